"""Auto-debit mandate rules (no Odoo)."""

import pytest

from isp_billing.lib.mandates import MAX_CONSECUTIVE_FAILURES, after_charge, mask_msisdn


def test_three_failures_in_a_row_stop_once():
    failures, stops = 0, []
    for _day in range(5):
        failures, stop = after_charge(failures, succeeded=False)
        stops.append(stop)
    assert failures == 5
    assert stops == [False, False, True, False, False]
    assert MAX_CONSECUTIVE_FAILURES == 3


def test_success_resets():
    failures, _stop = after_charge(2, succeeded=False, limit=5)
    assert after_charge(failures, succeeded=True) == (0, False)


@pytest.mark.parametrize("failures", [-1, 1.5, None, True])
def test_bad_failures(failures):
    with pytest.raises(ValueError):
        after_charge(failures, succeeded=False)


@pytest.mark.parametrize("limit", [0, -3, "3"])
def test_bad_limit(limit):
    with pytest.raises(ValueError):
        after_charge(0, succeeded=False, limit=limit)


def test_mask_keeps_only_last_digits():
    assert mask_msisdn("01770618575") == "8575"
    assert mask_msisdn("01770618575", keep=2) == "75"
    assert mask_msisdn(None) == ""
    assert mask_msisdn("123", keep=0) == ""
