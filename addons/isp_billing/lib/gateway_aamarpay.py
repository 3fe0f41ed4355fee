"""AamarPay client (JSON checkout and transaction check), pure Python.

Flow: :meth:`AamarPayClient.create_payment` posts the order to ``/jsonpost.php`` and
returns the ``payment_url`` the customer is sent to. AamarPay posts the outcome back
to ``success_url``/``fail_url`` from the customer's browser, so those parameters are
only a hint of *which* payment to look at (:func:`parse_callback`); the truth comes
from :meth:`AamarPayClient.verify_payment`, a server-to-server ``trxcheck`` call, and
:func:`check_result` compares it with what we asked for.

AamarPay signs nothing: the store's ``signature_key`` is a shared secret sent with each
request, so a refused key comes back as a refusal (``reason="auth_failed"``).
"""

import logging
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
    "AamarPayClient",
    "AamarPayResult",
    "AamarPaySession",
    "CURRENCIES",
    "DEFAULT_TIMEOUT",
    "LIVE_URL",
    "SANDBOX_URL",
    "check_result",
    "format_amount",
    "parse_callback",
]

_logger = logging.getLogger(__name__)

SANDBOX_URL = "https://sandbox.aamarpay.com"
LIVE_URL = "https://secure.aamarpay.com"
INIT_PATH = "/jsonpost.php"
VERIFY_PATH = "/api/v1/trxcheck/request.php"
DEFAULT_TIMEOUT = 10
CURRENCIES = ("BDT", "USD")

STATUS_SUCCESSFUL = "Successful"
# pay_status values of a payment the customer has not finished (yet).
PENDING_STATUSES = frozenset({"Pending", "Unattempted", "Initiated", "Processing"})
CANCELLED_STATUSES = frozenset({"Cancelled", "Canceled"})
FAILED_STATUSES = frozenset({"Failed", "Declined", "Expired"})


@dataclass(frozen=True)
class AamarPaySession:
    """An initiated payment: send the customer to ``payment_url``."""

    reference: str
    payment_url: str
    raw: dict = field(repr=False)


@dataclass(frozen=True)
class AamarPayResult:
    """A payment AamarPay confirmed server-to-server (``pay_status`` Successful)."""

    reference: str  # our tran_id (mer_txnid)
    gateway_txn_id: str  # pg_txnid, unique per AamarPay payment
    amount: Decimal
    currency: str
    status: str
    fee: Decimal | None = None  # amount minus store_amount, when AamarPay reports it
    raw: dict = field(default_factory=dict, repr=False)


def parse_callback(params):
    """Return our reference (``mer_txnid``) from the parameters posted to a callback URL.

    Nothing else in them is trusted: the caller must then call
    :meth:`AamarPayClient.verify_payment` with the returned reference.

    >>> parse_callback({"mer_txnid": " INV-0001 ", "pay_status": "Successful"})
    'INV-0001'
    """
    reference = (params or {}).get("mer_txnid")
    if not isinstance(reference, str) or not reference.strip():
        raise GatewayProtocolError("callback without mer_txnid", reason="bad_callback", raw=params)
    return reference.strip()


def check_result(result, expected_amount, expected_currency, expected_reference):
    """Raise :class:`GatewayMismatch` unless *result* is exactly the payment we expected."""
    return gateway_checks.check_result(
        "AamarPay", result, expected_amount, expected_currency, expected_reference
    )


class AamarPayClient:
    """Talks to AamarPay; one instance per store (credentials), safe to share between threads."""

    def __init__(
        self,
        store_id,
        signature_key,
        *,
        sandbox=True,
        base_url=None,
        timeout=DEFAULT_TIMEOUT,
        session=None,
    ):
        if not store_id or not signature_key:
            raise GatewayError("store_id and signature_key are required", reason="config")
        self.store_id = store_id
        self.signature_key = signature_key
        self.base_url = (base_url or (SANDBOX_URL if sandbox else LIVE_URL)).rstrip("/")
        self.timeout = timeout
        self._session = session or requests.Session()

    # -- API -------------------------------------------------------------------------------

    def create_payment(
        self,
        reference,
        amount,
        *,
        success_url,
        fail_url,
        cancel_url,
        customer_name,
        customer_email,
        customer_phone,
        description,
        currency="BDT",
        customer_address=None,
        customer_city=None,
        extra=None,
    ):
        """Initiate a payment for our *reference* (AamarPay's ``tran_id``)."""
        if currency not in CURRENCIES:
            raise GatewayError(f"currency {currency!r} is not supported", reason="config")
        payload = {
            "store_id": self.store_id,
            "signature_key": self.signature_key,
            "tran_id": reference,
            "amount": format_amount(amount),
            "currency": currency,
            "desc": description,
            "cus_name": customer_name,
            "cus_email": customer_email,
            "cus_phone": customer_phone,
            "success_url": success_url,
            "fail_url": fail_url,
            "cancel_url": cancel_url,
            "type": "json",
        }
        if customer_address:
            payload["cus_add1"] = customer_address
        if customer_city:
            payload["cus_city"] = customer_city
        for key, value in (extra or {}).items():  # opt_a .. opt_d
            payload.setdefault(key, value)
        data = self._request("POST", INIT_PATH, json=payload)
        self._raise_refusal(data, "payment initiation")
        if (
            not isinstance(data, dict)
            or str(data.get("result")).lower() != "true"
            or not _is_text(data.get("payment_url"))
        ):
            raise GatewayProtocolError(
                "jsonpost reply without result=true and payment_url", reason="bad_reply", raw=data
            )
        return AamarPaySession(reference=reference, payment_url=data["payment_url"], raw=data)

    def query_payment(self, reference):
        """Return the raw ``trxcheck`` record of our *reference*, whatever its status."""
        data = self._request(
            "GET",
            VERIFY_PATH,
            params={
                "request_id": reference,
                "store_id": self.store_id,
                "signature_key": self.signature_key,
                "type": "json",
            },
        )
        self._raise_refusal(data, "transaction check")
        if not isinstance(data, dict) or not _is_text(data.get("pay_status")):
            raise GatewayProtocolError(
                "trxcheck reply without pay_status", reason="bad_reply", raw=data
            )
        return data

    def verify_payment(self, reference):
        """Confirm server-to-server that *reference* is paid; raise unless it is.

        Returns an :class:`AamarPayResult`; the caller still runs :func:`check_result`.
        """
        data = self.query_payment(reference)
        status = data["pay_status"]
        code = data.get("status_code")
        if status in PENDING_STATUSES:
            raise GatewayRejected(
                f"payment {reference} is not completed ({status})",
                reason="not_completed",
                raw=data,
                status_code=code,
            )
        if status in CANCELLED_STATUSES:
            raise GatewayRejected(
                f"payment {reference} was cancelled", reason="cancelled", raw=data, status_code=code
            )
        if status in FAILED_STATUSES:
            details = str(data.get("pg_error_code_details") or data.get("status_title") or "")
            reason = "insufficient_balance" if "insufficient" in details.lower() else "failed"
            raise GatewayRejected(
                f"payment {reference} failed: {details or status}",
                reason=reason,
                raw=data,
                status_code=code,
            )
        if status != STATUS_SUCCESSFUL:
            raise GatewayProtocolError(
                f"unknown pay_status {status!r}", reason="unknown_status", raw=data
            )
        return self._result(reference, data)

    # -- internals -------------------------------------------------------------------------

    def _result(self, reference, data):
        for key in ("mer_txnid", "pg_txnid", "amount"):
            if not _is_text(data.get(key)):
                raise GatewayProtocolError(
                    f"trxcheck reply without {key}", reason="bad_reply", raw=data
                )
        amount = gateway_decimal(data["amount"], "amount", GatewayProtocolError)
        currency = data.get("currency_merchant") or data.get("currency")
        if not _is_text(currency):
            raise GatewayProtocolError(
                "trxcheck reply without currency", reason="bad_reply", raw=data
            )
        fee = None
        if _is_text(data.get("store_amount")):
            fee = amount - gateway_decimal(
                data["store_amount"], "store_amount", GatewayProtocolError
            )
        if data["mer_txnid"] != reference:
            # trxcheck answered about another payment: never take it for ours.
            raise GatewayMismatch(
                f"trxcheck answered for {data['mer_txnid']!r}, asked {reference!r}",
                reason="reference_mismatch",
                raw=data,
            )
        return AamarPayResult(
            reference=data["mer_txnid"],
            gateway_txn_id=data["pg_txnid"],
            amount=amount,
            currency=currency,
            status=data["pay_status"],
            fee=fee,
            raw=data,
        )

    @staticmethod
    def _raise_refusal(data, what):
        """AamarPay refuses with ``{"result": "false", ...}`` or a bare JSON string."""
        if isinstance(data, str):
            message = data
        elif isinstance(data, dict) and str(data.get("result")).lower() == "false":
            message = str(data.get("message") or data.get("reason") or data)
        else:
            return
        lowered = message.lower()
        reason = "auth_failed" if "signature" in lowered or "store id" in lowered else "refused"
        raise GatewayRejected(f"AamarPay refused the {what}: {message}", reason=reason, raw=data)

    def _request(self, method, path, *, params=None, json=None):
        """The one place that talks HTTP; returns the decoded JSON body."""
        url = self.base_url + path
        try:
            response = self._session.request(
                method, url, params=params, json=json, timeout=self.timeout
            )
        except requests.Timeout as exc:
            raise GatewayTimeout(f"AamarPay did not answer {path} within {self.timeout}s") from exc
        except requests.RequestException as exc:
            raise GatewayError(f"AamarPay is unreachable: {exc}", reason="unreachable") from exc
        if response.status_code >= 500:
            raise GatewayError(
                f"AamarPay answered {path} with HTTP {response.status_code}",
                reason="server_error",
                raw=response.text[:500],
            )
        try:
            data = response.json()
        except ValueError as exc:
            raise GatewayProtocolError(
                f"AamarPay answered {path} with non-JSON (HTTP {response.status_code})",
                reason="bad_reply",
                raw=response.text[:500],
            ) from exc
        if response.status_code >= 400 and not isinstance(data, str | dict):
            raise GatewayProtocolError(
                f"AamarPay answered {path} with HTTP {response.status_code}",
                reason="bad_reply",
                raw=data,
            )
        _logger.debug("AamarPay %s %s -> HTTP %s", method, path, response.status_code)
        return data


def _is_text(value):
    return isinstance(value, str) and bool(value.strip())
