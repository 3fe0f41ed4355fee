"""The billing lib as a package: importable without Odoo, doctests pass, __all__ complete."""

import doctest
import importlib
import inspect
from pathlib import Path

import pytest

import isp_billing.lib

MODULES = [
    "advance",
    "dunning",
    "gateway_aamarpay",
    "gateway_bkash",
    "gateway_checks",
    "gateway_errors",
    "gateway_fees",
    "gateway_nagad",
    "gateway_shurjopay",
    "gateway_sslcommerz",
    "late_fee",
    "mandates",
    "money",
    "payments",
    "periods",
    "proration",
    "tax",
    "validity",
    "volume",
    "vouchers",
]
LIB_DIR = Path(__file__).resolve().parents[2] / "addons" / "isp_billing" / "lib"


def test_every_module_is_listed():
    on_disk = {path.stem for path in LIB_DIR.glob("*.py")} - {"__init__"}
    assert on_disk == set(MODULES)


def test_lib_is_loaded_from_the_addon_without_odoo():
    assert Path(isp_billing.lib.__file__).resolve() == LIB_DIR / "__init__.py"
    assert isp_billing.lib.__doc__


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(f"isp_billing.lib.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_the_public_api(name):
    module = importlib.import_module(f"isp_billing.lib.{name}")
    assert len(module.__all__) == len(set(module.__all__))
    for attribute in module.__all__:
        assert hasattr(module, attribute), attribute
    defined_here = {
        attribute
        for attribute, value in vars(module).items()
        if not attribute.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }
    assert defined_here <= set(module.__all__)


# Billing rules refuse bad input with ValueErrors; gateway clients raise GatewayError (I/O).
RULE_MODULES = [name for name in MODULES if not name.startswith("gateway_")]


@pytest.mark.parametrize("name", RULE_MODULES)
def test_exceptions_are_value_errors(name):
    module = importlib.import_module(f"isp_billing.lib.{name}")
    errors = [
        getattr(module, attribute)
        for attribute in module.__all__
        if inspect.isclass(getattr(module, attribute))
        and issubclass(getattr(module, attribute), Exception)
    ]
    assert all(issubclass(error, ValueError) for error in errors)
