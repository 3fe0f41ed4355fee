"""ShurjoPay v2 client (token, secret-pay, verification), pure Python.

Flow: :meth:`ShurjoPayClient.create_payment` gets (or reuses) a bearer token from
``get_token``, posts the order to ``secret-pay`` and returns ``checkout_url`` and
ShurjoPay's ``sp_order_id``. The customer comes back to ``return_url?order_id=<sp_order_id>``
(:func:`parse_return`); that is only a hint, the truth is
:meth:`ShurjoPayClient.verify_payment` (``verification``, server-to-server), whose
``sp_code`` 1000 means paid, and :func:`check_result` compares it with what we asked for.

ShurjoPay signs nothing towards the merchant; its tokens are signed by ShurjoPay, so a
token it no longer accepts (expired, revoked, bad signature) is answered with HTTP 401:
the client fetches a new token once and retries, then gives up with ``auth_failed``.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

import requests

from . import gateway_checks
from .gateway_checks import format_amount, gateway_decimal
from .gateway_errors import (
    GatewayError,
    GatewayMismatch,
    GatewayProtocolError,
    GatewayRejected,
    GatewayTimeout,
)

__all__ = [
    "CURRENCIES",
    "DEFAULT_TIMEOUT",
    "LIVE_URL",
    "SANDBOX_URL",
    "SP_REASONS",
    "ShurjoPayClient",
    "ShurjoPayResult",
    "ShurjoPaySession",
    "check_result",
    "format_amount",
    "parse_return",
]

_logger = logging.getLogger(__name__)

SANDBOX_URL = "https://sandbox.shurjopayment.com/api/"
LIVE_URL = "https://engine.shurjopayment.com/api/"
TOKEN_PATH = "get_token"
PAY_PATH = "secret-pay"
VERIFY_PATH = "verification"
DEFAULT_TIMEOUT = 10
CURRENCIES = ("BDT", "USD")
# Renew a cached token this many seconds before ShurjoPay says it expires.
TOKEN_MARGIN = 60
DEFAULT_TOKEN_LIFETIME = 3600

SP_TOKEN_OK = "200"
SP_SUCCESS = "1000"
SP_INVALID_ORDER = "1011"
SP_AUTH_FAILED = "1064"
# ShurjoPay's sp_code -> our short reason, for every code that is not a success.
SP_REASONS = {
    "1001": "failed",
    "1002": "cancelled",
    "1005": "bank_failed",
    "1006": "otp_mismatch",
    "1007": "pin_mismatch",
    "1008": "insufficient_balance",
    "1009": "daily_limit",
    "1010": "currency_not_accepted",
    "1011": "invalid_order",
    "1061": "duplicate_payment",
    "1064": "auth_failed",
    "1065": "not_completed",
    "1066": "not_initiated",
    "1067": "declined",
    "1068": "not_completed",
    "2000": "refund_requested",
    "2001": "refund_accepted",
    "2002": "refunded",
    "2005": "bank_review",
    "2006": "bank_error",
    "2007": "gateway_timeout",
    "2008": "merchant_inactive",
    "2009": "debit_party_prohibited",
}


@dataclass(frozen=True)
class ShurjoPaySession:
    """An initiated payment: send the customer to ``checkout_url``; keep ``sp_order_id``."""

    reference: str
    sp_order_id: str
    checkout_url: str
    raw: dict = field(repr=False)


@dataclass(frozen=True)
class ShurjoPayResult:
    """A payment ShurjoPay confirmed server-to-server (``sp_code`` 1000)."""

    reference: str  # our order id (customer_order_id)
    gateway_txn_id: str  # sp_order_id, unique per ShurjoPay payment
    amount: Decimal
    currency: str
    status: str  # sp_message
    sp_code: str
    bank_trx_id: str | None = None
    method: str | None = None
    raw: dict = field(default_factory=dict, repr=False)


def parse_return(params):
    """Return the ``sp_order_id`` the customer's browser brings back to return_url.

    Nothing is trusted: the caller then calls :meth:`ShurjoPayClient.verify_payment`.

    >>> parse_return({"order_id": "ISP65f0a1b200001"})
    'ISP65f0a1b200001'
    """
    order_id = (params or {}).get("order_id")
    if not isinstance(order_id, str) or not order_id.strip():
        raise GatewayProtocolError("return without order_id", reason="bad_callback", raw=params)
    return order_id.strip()


def check_result(result, expected_amount, expected_currency, expected_reference):
    """Raise :class:`GatewayMismatch` unless *result* is exactly the payment we expected."""
    return gateway_checks.check_result(
        "ShurjoPay", result, expected_amount, expected_currency, expected_reference
    )


def _code(value):
    """sp_code arrives as a string or an int depending on the endpoint."""
    return str(value).strip() if isinstance(value, str | int) and value != "" else None


def _is_text(value):
    return isinstance(value, str) and bool(value.strip())


class ShurjoPayClient:
    """Talks to ShurjoPay; one instance per merchant account, safe to share between threads.

    The bearer token is cached (per instance) until shortly before it expires.
    """

    def __init__(
        self,
        username,
        password,
        prefix,
        *,
        sandbox=True,
        base_url=None,
        timeout=DEFAULT_TIMEOUT,
        session=None,
        clock=time.monotonic,
    ):
        if not username or not password or not prefix:
            raise GatewayError("username, password and prefix are required", reason="config")
        self.username = username
        self.password = password
        self.prefix = prefix
        base = base_url or (SANDBOX_URL if sandbox else LIVE_URL)
        self.base_url = base if base.endswith("/") else base + "/"
        self.timeout = timeout
        self._session = session or requests.Session()
        self._clock = clock
        self._lock = threading.Lock()
        self._token = None
        self._store_id = None
        self._token_expiry = 0.0

    # -- token -----------------------------------------------------------------------------

    def get_token(self, force=False):
        """Return ``(token, store_id)``, from the cache unless expired or *force*."""
        with self._lock:
            if not force and self._token and self._clock() < self._token_expiry:
                return self._token, self._store_id
            data = self._request(
                "POST", TOKEN_PATH, json={"username": self.username, "password": self.password}
            )
            if not isinstance(data, dict):
                raise GatewayProtocolError("get_token reply is not an object", reason="bad_reply")
            code = _code(data.get("sp_code"))
            if code == SP_AUTH_FAILED or (code != SP_TOKEN_OK and not data.get("token")):
                if code in SP_REASONS:
                    raise GatewayRejected(
                        f"ShurjoPay refused the token: {data.get('message') or code}",
                        reason=SP_REASONS[code],
                        raw=data,
                        status_code=code,
                    )
                raise GatewayProtocolError(
                    f"get_token reply without token (sp_code {code})", reason="bad_reply", raw=data
                )
            if not _is_text(data.get("token")) or data.get("store_id") in (None, ""):
                raise GatewayProtocolError(
                    "get_token reply without token or store_id", reason="bad_reply", raw=data
                )
            try:
                lifetime = int(data.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
            except (TypeError, ValueError):
                lifetime = DEFAULT_TOKEN_LIFETIME
            self._token = data["token"]
            self._store_id = data["store_id"]
            self._token_expiry = self._clock() + max(lifetime - TOKEN_MARGIN, 0)
            return self._token, self._store_id

    def forget_token(self):
        with self._lock:
            self._token = None
            self._token_expiry = 0.0

    # -- API -------------------------------------------------------------------------------

    def create_payment(
        self,
        reference,
        amount,
        *,
        return_url,
        cancel_url,
        client_ip,
        customer_name,
        customer_phone,
        customer_address,
        customer_city,
        currency="BDT",
        customer_email=None,
        customer_post_code=None,
        extra=None,
    ):
        """Initiate a payment for our *reference* (ShurjoPay's ``order_id``)."""
        if currency not in CURRENCIES:
            raise GatewayError(f"currency {currency!r} is not supported", reason="config")
        payload = {
            "prefix": self.prefix,
            "amount": format_amount(amount),
            "order_id": reference,
            "currency": currency,
            "return_url": return_url,
            "cancel_url": cancel_url,
            "client_ip": client_ip,
            "customer_name": customer_name,
            "customer_phone": customer_phone,
            "customer_address": customer_address,
            "customer_city": customer_city,
        }
        if customer_email:
            payload["customer_email"] = customer_email
        if customer_post_code:
            payload["customer_post_code"] = customer_post_code
        for key, value in (extra or {}).items():  # value1 .. value4
            payload.setdefault(key, value)
        data = self._authed("POST", PAY_PATH, payload)
        if isinstance(data, dict) and _is_text(data.get("checkout_url")):
            if not _is_text(data.get("sp_order_id")):
                raise GatewayProtocolError(
                    "secret-pay reply without sp_order_id", reason="bad_reply", raw=data
                )
            return ShurjoPaySession(
                reference=reference,
                sp_order_id=data["sp_order_id"],
                checkout_url=data["checkout_url"],
                raw=data,
            )
        code = _code(data.get("sp_code")) if isinstance(data, dict) else None
        if code in SP_REASONS:
            raise GatewayRejected(
                f"ShurjoPay refused the payment: {data.get('message') or code}",
                reason=SP_REASONS[code],
                raw=data,
                status_code=code,
            )
        raise GatewayProtocolError(
            "secret-pay reply without checkout_url", reason="bad_reply", raw=data
        )

    def query_payment(self, sp_order_id):
        """Return the raw first ``verification`` item of *sp_order_id*, whatever its code."""
        data = self._authed("POST", VERIFY_PATH, {"order_id": sp_order_id})
        if isinstance(data, dict) and _code(data.get("sp_code")):
            data = [data]  # some errors come back as a bare object
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise GatewayProtocolError(
                "verification reply is not a non-empty list", reason="bad_reply", raw=data
            )
        item = data[0]
        if not _code(item.get("sp_code")):
            raise GatewayProtocolError(
                "verification reply without sp_code", reason="bad_reply", raw=data
            )
        return item

    def verify_payment(self, sp_order_id):
        """Confirm server-to-server that *sp_order_id* is paid; raise unless it is.

        Returns a :class:`ShurjoPayResult`; the caller still runs :func:`check_result`.
        """
        item = self.query_payment(sp_order_id)
        code = _code(item["sp_code"])
        message = item.get("sp_message") or item.get("message") or item.get("sp_massage") or ""
        if code != SP_SUCCESS:
            if code not in SP_REASONS:
                raise GatewayProtocolError(
                    f"unknown sp_code {code} for {sp_order_id}", reason="unknown_status", raw=item
                )
            raise GatewayRejected(
                f"ShurjoPay payment {sp_order_id} is not paid: {message or code}",
                reason=SP_REASONS[code],
                raw=item,
                status_code=code,
            )
        for key in ("order_id", "customer_order_id", "amount", "currency"):
            if not _is_text(item.get(key)):
                raise GatewayProtocolError(
                    f"verification reply without {key}", reason="bad_reply", raw=item
                )
        if item["order_id"] != sp_order_id:
            raise GatewayMismatch(
                f"verification answered for {item['order_id']!r}, asked {sp_order_id!r}",
                reason="reference_mismatch",
                raw=item,
            )
        return ShurjoPayResult(
            reference=item["customer_order_id"],
            gateway_txn_id=item["order_id"],
            amount=gateway_decimal(item["amount"], "amount", GatewayProtocolError),
            currency=item["currency"],
            status=message,
            sp_code=code,
            bank_trx_id=item.get("bank_trx_id"),
            method=item.get("method"),
            raw=item,
        )

    # -- internals -------------------------------------------------------------------------

    def _authed(self, method, path, payload):
        """A call with the bearer token; a refused token is renewed once."""
        for attempt in (1, 2):
            token, store_id = self.get_token(force=attempt == 2)
            body = dict(payload, token=token, store_id=store_id)
            try:
                return self._request(method, path, json=body, token=token)
            except GatewayRejected as exc:
                if exc.reason != "auth_failed" or attempt == 2:
                    raise
                _logger.info("ShurjoPay refused the cached token on %s; renewing it", path)
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, method, path, *, json=None, token=None):
        """The one place that talks HTTP; returns the decoded JSON body."""
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self._session.request(
                method, self.base_url + path, json=json, headers=headers, timeout=self.timeout
            )
        except requests.Timeout as exc:
            raise GatewayTimeout(f"ShurjoPay did not answer {path} within {self.timeout}s") from exc
        except requests.RequestException as exc:
            raise GatewayError(f"ShurjoPay is unreachable: {exc}", reason="unreachable") from exc
        if response.status_code in (401, 403):
            raise GatewayRejected(
                f"ShurjoPay refused the credentials on {path} (HTTP {response.status_code})",
                reason="auth_failed",
                raw=response.text[:500],
                status_code=str(response.status_code),
            )
        if response.status_code >= 500:
            raise GatewayError(
                f"ShurjoPay answered {path} with HTTP {response.status_code}",
                reason="server_error",
                raw=response.text[:500],
            )
        try:
            data = response.json()
        except ValueError as exc:
            raise GatewayProtocolError(
                f"ShurjoPay answered {path} with non-JSON (HTTP {response.status_code})",
                reason="bad_reply",
                raw=response.text[:500],
            ) from exc
        _logger.debug("ShurjoPay %s %s -> HTTP %s", method, path, response.status_code)
        return data
