"""Rules of auto-debit mandates (bKash agreements), pure Python.

A mandate is charged every morning; consecutive failed charges are counted and, at
the limit, the mandate stops until staff reactivate it. A success resets the count.

>>> after_charge(0, succeeded=False)
(1, False)
>>> after_charge(2, succeeded=False)
(3, True)
>>> after_charge(2, succeeded=True)
(0, False)
>>> mask_msisdn("01770618575")
'8575'
"""

__all__ = [
    "MAX_CONSECUTIVE_FAILURES",
    "after_charge",
    "mask_msisdn",
]

MAX_CONSECUTIVE_FAILURES = 3


def after_charge(failures, succeeded, limit=MAX_CONSECUTIVE_FAILURES):
    """Return ``(failures, stop)`` after one charge of a mandate.

    ``failures`` is the count of consecutive failed charges before this one; ``stop``
    is True exactly when this failure reaches ``limit`` (the mandate stops then, once).

    >>> after_charge(5, succeeded=False)
    (6, False)
    >>> after_charge(0, succeeded=False, limit=1)
    (1, True)
    """
    if isinstance(failures, bool) or not isinstance(failures, int) or failures < 0:
        raise ValueError(f"failures must be a non-negative int, not {failures!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive int, not {limit!r}")
    if succeeded:
        return 0, False
    failures += 1
    return failures, failures == limit


def mask_msisdn(msisdn, keep=4):
    """The last ``keep`` digits of a wallet number: all we store of it.

    >>> mask_msisdn("+880 1770-618575")
    '8575'
    >>> mask_msisdn("")
    ''
    """
    digits = "".join(char for char in str(msisdn or "") if char.isdigit())
    return digits[-keep:] if keep > 0 else ""
