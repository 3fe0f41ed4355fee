"""Make each addon's pure-Python `lib` package importable without importing Odoo.

`from isp_base.lib import phone` must not run `addons/isp_base/__init__.py` (it imports
Odoo models), so unless the addon is importable as a real package, a bare namespace module
stands in for the addon and only its `lib` subpackage is loaded from disk.
"""

import importlib.machinery
import importlib.util
import sys
import types
from pathlib import Path

ADDONS_DIR = Path(__file__).resolve().parent.parent / "addons"


def _register_addon_libs() -> None:
    for lib_init in sorted(ADDONS_DIR.glob("*/lib/__init__.py")):
        addon_dir = lib_init.parent.parent
        addon = addon_dir.name
        if addon in sys.modules or importlib.util.find_spec(addon) is not None:
            continue
        spec = importlib.machinery.ModuleSpec(addon, None, is_package=True)
        spec.submodule_search_locations = [str(addon_dir)]
        stub = types.ModuleType(addon, f"Stand-in for the {addon} addon (lib only).")
        stub.__spec__ = spec
        stub.__path__ = [str(addon_dir)]
        sys.modules[addon] = stub


_register_addon_libs()
