"""Exceptions shared by the payment gateway clients (pure Python).

Every gateway client turns transport failures and gateway answers into one
of these types so that callers (payment providers, controllers, crons) can
react without knowing the vendor.

>>> error = GatewayRejected("Insufficient Balance", "insufficient_balance", status_code="2023")
>>> (error.reason, error.status_code, isinstance(error, GatewayError))
('insufficient_balance', '2023', True)
>>> str(GatewayTimeout("no answer within 10 s"))
'[timeout] no answer within 10 s'
"""

__all__ = [
    "GatewayError",
    "GatewayMismatch",
    "GatewayProtocolError",
    "GatewayRejected",
    "GatewayTimeout",
]


class GatewayError(Exception):
    """Base class for every payment gateway failure.

    ``reason`` is a short machine readable code (``"unreachable"``,
    ``"timeout"``, ``"rejected"`` ...); ``message`` is for humans and logs.
    """

    default_reason = "error"

    def __init__(self, message="", reason=None, raw=None):
        self.reason = reason or self.default_reason
        self.message = message or self.reason
        self.raw = raw
        super().__init__(self.message)

    def __str__(self):
        return f"[{self.reason}] {self.message}"


class GatewayTimeout(GatewayError):
    """The gateway did not answer within the client timeout."""

    default_reason = "timeout"


class GatewayRejected(GatewayError):
    """The gateway declined the operation (cancelled, insufficient balance ...).

    ``status_code`` carries the gateway's own status/error code.
    """

    default_reason = "rejected"

    def __init__(self, message="", reason=None, raw=None, status_code=None):
        super().__init__(message, reason=reason, raw=raw)
        self.status_code = status_code


class GatewayProtocolError(GatewayError):
    """Malformed or unexpected reply, or a bad signature."""

    default_reason = "protocol"


class GatewayMismatch(GatewayError):
    """Amount, currency or reference differ from what we expected."""

    default_reason = "mismatch"
