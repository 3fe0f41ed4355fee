"""bKash Tokenized Checkout client (pure Python, no Odoo).

Covers the checkout URL flow (create -> customer pays on ``bkashURL`` -> callback ->
execute), status/refund/search, and the agreement flow used for auto-debit
(create with mode ``0000`` -> execute -> ``agreementID``; later payments with
mode ``0001``).

bKash signs nothing: the callback query string (``paymentID``, ``status``) is
only a hint. Trust comes from calling execute/status server-side and checking
amount, currency and our invoice number with :func:`check_result`.

    client = BkashClient(app_key, app_secret, username, password, sandbox=True)
    created = client.create_payment("100.00", "INV/2024/0001", "C-42", callback_url)
    ... redirect the browser to created.bkash_url ...
    result = client.confirm_callback(request_params)   # execute, idempotent
    check_result(result, Decimal("100.00"), "BDT", "INV/2024/0001")

Tokens are granted once and kept in a :class:`TokenCache` until shortly before
they expire, then refreshed with the refresh token (bKash limits how often a
token may be granted). Share one cache between clients of the same merchant
(``token_cache=``) so that every request does not grant a new token.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin

import requests

from . import gateway_checks
from .gateway_errors import (
    GatewayError,
    GatewayProtocolError,
    GatewayRejected,
    GatewayTimeout,
)

__all__ = [
    "LIVE_URL",
    "SANDBOX_URL",
    "BkashAgreement",
    "BkashCallback",
    "BkashClient",
    "BkashCreatedPayment",
    "BkashRefund",
    "BkashResult",
    "TokenCache",
    "check_result",
    "format_amount",
    "parse_callback",
]

_logger = logging.getLogger(__name__)

SANDBOX_URL = "https://tokenized.sandbox.bka.sh/v1.2.0-beta/tokenized/checkout"
LIVE_URL = "https://tokenized.pay.bka.sh/v1.2.0-beta/tokenized/checkout"
DEFAULT_TIMEOUT = 10

MODE_AGREEMENT = "0000"
MODE_WITH_AGREEMENT = "0001"
MODE_CHECKOUT = "0011"

STATUS_OK = "0000"
# Answers of execute when the payment was already executed (a duplicate callback or two
# callbacks racing): the payment may well be completed, so ask payment/status.
ALREADY_EXECUTED_CODES = frozenset({"2062", "2117"})
# bKash status codes with a reason of their own; any other code is "rejected".
REASONS = {
    "2001": "invalid_app_key",
    "2002": "invalid_payment_id",
    "2023": "insufficient_balance",
    "2029": "duplicate",
    "2056": "invalid_state",
    "2062": "already_executed",
    "2117": "already_executed",
    "2079": "invalid_credentials",
    "9999": "system_error",
}
CALLBACK_STATUSES = ("success", "failure", "cancel")
COMPLETED = "Completed"
# Renew the token this many seconds before bKash says it expires.
TOKEN_MARGIN = 60


def format_amount(amount):
    """Return *amount* as the 2-decimal string bKash expects.

    >>> format_amount(Decimal("100"))
    '100.00'
    >>> format_amount("57.5")
    '57.50'
    """
    if isinstance(amount, bool) or not isinstance(amount, int | str | Decimal):
        raise ValueError(f"amount must be an int, str or Decimal, not {amount!r}")
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise ValueError(f"amount is not a decimal number: {amount!r}") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"amount must be positive: {amount!r}")
    return str(value.quantize(Decimal("0.01")))


def _parse_amount(value, what="amount"):
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise GatewayProtocolError(f"bKash sent a {what} that is not a number: {value!r}")
    if not result.is_finite():
        raise GatewayProtocolError(f"bKash sent a {what} that is not a number: {value!r}")
    return result


@dataclass(frozen=True)
class BkashCreatedPayment:
    """Answer of create: send the customer to ``bkash_url``."""

    payment_id: str
    bkash_url: str
    status: str
    raw: dict = field(repr=False)


@dataclass(frozen=True)
class BkashResult:
    """A payment as bKash reports it (execute, payment/status, searchTransaction)."""

    reference: str  # our merchantInvoiceNumber
    transaction_id: str  # bKash trxID
    amount: Decimal
    currency: str
    status: str  # transactionStatus
    raw: dict = field(repr=False)
    payment_id: str = ""
    customer_msisdn: str = ""
    agreement_id: str = ""
    # True when execute answered "already executed" and the result came from payment/status.
    already_executed: bool = False

    @property
    def is_completed(self):
        return self.status == COMPLETED


@dataclass(frozen=True)
class BkashAgreement:
    """An agreement (auto-debit mandate) as bKash reports it."""

    agreement_id: str
    status: str  # agreementStatus: Initiated, Completed, Cancelled ...
    payer_reference: str
    customer_msisdn: str
    raw: dict = field(repr=False)
    payment_id: str = ""

    @property
    def is_active(self):
        return self.status == COMPLETED


@dataclass(frozen=True)
class BkashRefund:
    original_transaction_id: str
    refund_transaction_id: str
    amount: Decimal
    currency: str
    status: str
    charge: Decimal
    raw: dict = field(repr=False)


@dataclass(frozen=True)
class BkashCallback:
    """The query string bKash appends to the callback URL (untrusted)."""

    payment_id: str
    status: str  # success | failure | cancel

    @property
    def is_success(self):
        return self.status == "success"


def check_result(result, expected_amount, expected_currency, expected_reference):
    """Raise :class:`GatewayMismatch` unless *result* is exactly what we asked for."""
    return gateway_checks.check_result(
        "bKash", result, expected_amount, expected_currency, expected_reference
    )


def parse_callback(params):
    """Read the callback query string; raise GatewayProtocolError when it is not one."""
    payment_id = (params.get("paymentID") or "").strip()
    status = (params.get("status") or "").strip().lower()
    if not payment_id or status not in CALLBACK_STATUSES:
        raise GatewayProtocolError(
            f"not a bKash callback: paymentID={payment_id!r} status={status!r}",
            reason="bad_callback",
        )
    return BkashCallback(payment_id, status)


class TokenCache:
    """Thread-safe store of granted tokens, keyed by merchant.

    Entries are ``{"id_token", "refresh_token", "expires_at"}`` with ``expires_at`` in
    ``time.time()`` seconds. Subclass and override ``get``/``set`` to keep tokens
    elsewhere (e.g. shared between worker processes).
    """

    def __init__(self):
        self._entries = {}
        self.lock = threading.RLock()

    def get(self, key):
        return self._entries.get(key)

    def set(self, key, entry):
        if entry is None:
            self._entries.pop(key, None)
        else:
            self._entries[key] = dict(entry)


class BkashClient:
    def __init__(
        self,
        app_key,
        app_secret,
        username,
        password,
        sandbox=True,
        base_url=None,
        timeout=DEFAULT_TIMEOUT,
        token_cache=None,
        session=None,
        clock=time.time,
    ):
        self.app_key = app_key
        self.app_secret = app_secret
        self.username = username
        self.password = password
        self.base_url = (base_url or (SANDBOX_URL if sandbox else LIVE_URL)).rstrip("/") + "/"
        self.timeout = timeout
        self.token_cache = token_cache if token_cache is not None else TokenCache()
        self.session = session or requests.Session()
        self.clock = clock

    # ------------------------------------------------------------------ transport

    def _request(self, method, path, payload=None, auth=True, _retry=True):
        """Send one request and return the decoded JSON object.

        Every call of this client goes through here: timeouts, unreachable hosts,
        server errors and non-JSON answers become gateway errors. With ``auth`` the
        token headers are added, and a 401 (token revoked or expired early) is
        retried once with a newly granted token.
        """
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = self._get_token()
            headers["X-APP-Key"] = self.app_key
        else:
            headers["username"] = self.username
            headers["password"] = self.password
        url = urljoin(self.base_url, path.lstrip("/"))
        try:
            response = self.session.request(
                method, url, json=payload, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise GatewayTimeout(f"bKash did not answer {path} within {self.timeout} s")
        except requests.RequestException as exc:
            raise GatewayError(f"bKash is unreachable ({path}): {exc}", reason="unreachable")
        if response.status_code == 401 and auth and _retry:
            self._drop_token()
            return self._request(method, path, payload, auth=auth, _retry=False)
        if response.status_code >= 500:
            raise GatewayError(
                f"bKash answered {path} with HTTP {response.status_code}",
                reason="server_error",
            )
        try:
            data = response.json()
        except ValueError:
            raise GatewayProtocolError(
                f"bKash answered {path} with HTTP {response.status_code} and no JSON",
                reason="not_json",
            )
        if not isinstance(data, dict):
            raise GatewayProtocolError(f"bKash answered {path} with {type(data).__name__}")
        if response.status_code == 401:
            raise GatewayRejected(
                f"bKash refused the token for {path}", reason="unauthorized", raw=data
            )
        return data

    def _call(self, path, payload, require_status=True):
        data = self._request("POST", path, payload)
        self._check_status(data, path, require_status)
        return data

    @staticmethod
    def _check_status(data, path, require_status=True):
        code = data.get("statusCode", data.get("errorCode"))
        if code is None:
            if require_status:
                raise GatewayProtocolError(f"bKash answered {path} without statusCode", raw=data)
            return
        code = str(code)
        if code != STATUS_OK:
            message = data.get("statusMessage") or data.get("errorMessage") or "no message"
            raise GatewayRejected(
                f"bKash refused {path}: {message} ({code})",
                reason=REASONS.get(code, "rejected"),
                raw=data,
                status_code=code,
            )

    @staticmethod
    def _field(data, name, path):
        value = data.get(name)
        if value in (None, ""):
            raise GatewayProtocolError(f"bKash answered {path} without {name}", raw=data)
        return value

    # ------------------------------------------------------------------ token

    @property
    def _token_key(self):
        return (self.base_url, self.username, self.app_key)

    def _get_token(self):
        with self.token_cache.lock:
            entry = self.token_cache.get(self._token_key)
            now = self.clock()
            if entry and now < entry["expires_at"] - TOKEN_MARGIN:
                return entry["id_token"]
            if entry and entry.get("refresh_token"):
                try:
                    return self._store_token(self.refresh_token(entry["refresh_token"]))
                except (GatewayRejected, GatewayProtocolError) as exc:
                    # The refresh token expired or was revoked: grant a new one.
                    _logger.info("bKash token refresh refused, granting a new token: %s", exc)
            return self._store_token(self.grant_token())

    def _store_token(self, data):
        entry = {
            "id_token": data["id_token"],
            "refresh_token": data.get("refresh_token"),
            "expires_at": self.clock() + data["expires_in"],
        }
        self.token_cache.set(self._token_key, entry)
        return entry["id_token"]

    def _drop_token(self):
        with self.token_cache.lock:
            self.token_cache.set(self._token_key, None)

    def _token_reply(self, path, payload):
        data = self._request("POST", path, payload, auth=False)
        self._check_status(data, path, require_status=False)
        self._field(data, "id_token", path)
        try:
            data["expires_in"] = int(self._field(data, "expires_in", path))
        except (TypeError, ValueError):
            raise GatewayProtocolError(f"bKash answered {path} with a bad expires_in", raw=data)
        return data

    def grant_token(self):
        """POST /token/grant; return bKash's answer (id_token, expires_in, refresh_token)."""
        return self._token_reply(
            "/token/grant", {"app_key": self.app_key, "app_secret": self.app_secret}
        )

    def refresh_token(self, refresh_token):
        """POST /token/refresh; return bKash's answer like :meth:`grant_token`."""
        return self._token_reply(
            "/token/refresh",
            {
                "app_key": self.app_key,
                "app_secret": self.app_secret,
                "refresh_token": refresh_token,
            },
        )

    # ------------------------------------------------------------------ checkout

    def create_payment(self, amount, invoice_number, payer_reference, callback_url, currency="BDT"):
        """POST /create (mode 0011); the customer then pays on ``bkash_url``."""
        return self._create(
            {
                "mode": MODE_CHECKOUT,
                "payerReference": payer_reference,
                "callbackURL": callback_url,
                "amount": format_amount(amount),
                "currency": currency,
                "intent": "sale",
                "merchantInvoiceNumber": invoice_number,
            },
            "transactionStatus",
        )

    def _create(self, payload, status_field):
        data = self._call("/create", payload)
        return BkashCreatedPayment(
            payment_id=self._field(data, "paymentID", "/create"),
            bkash_url=data.get("bkashURL") or "",
            status=data.get(status_field) or "",
            raw=data,
        )

    def _result(self, data, path, already_executed=False):
        return BkashResult(
            reference=data.get("merchantInvoiceNumber") or data.get("merchantInvoice") or "",
            transaction_id=data.get("trxID") or "",
            amount=_parse_amount(self._field(data, "amount", path)),
            currency=data.get("currency") or "",
            status=self._field(data, "transactionStatus", path),
            raw=data,
            payment_id=data.get("paymentID") or "",
            customer_msisdn=data.get("customerMsisdn") or "",
            agreement_id=data.get("agreementID") or "",
            already_executed=already_executed,
        )

    def _same_payment(self, data, payment_id, path):
        if data.get("paymentID") != payment_id:
            raise GatewayProtocolError(
                f"bKash answered {path} for payment {data.get('paymentID')!r}, not {payment_id!r}",
                reason="foreign_reply",
                raw=data,
            )

    def execute_payment(self, payment_id):
        """POST /execute and return the completed payment.

        Idempotent: when bKash says the payment was already executed (a duplicate or
        concurrent callback), the payment's status is returned instead, provided it is
        completed. Raises GatewayRejected when the payment did not complete.
        """
        try:
            data = self._call("/execute", {"paymentID": payment_id})
        except GatewayRejected as exc:
            if exc.status_code not in ALREADY_EXECUTED_CODES:
                raise
            result = self.payment_status(payment_id, already_executed=True)
            if not result.is_completed:
                raise GatewayRejected(
                    f"bKash payment {payment_id} was already executed and is {result.status}",
                    reason="not_completed",
                    raw=result.raw,
                    status_code=exc.status_code,
                )
            return result
        self._same_payment(data, payment_id, "/execute")
        result = self._result(data, "/execute")
        self._require_completed(result, "/execute")
        if not result.transaction_id:
            raise GatewayProtocolError("bKash completed /execute without trxID", raw=data)
        return result

    @staticmethod
    def _require_completed(result, path):
        if not result.is_completed:
            raise GatewayRejected(
                f"bKash {path}: payment {result.payment_id} is {result.status}, not Completed",
                reason="not_completed",
                raw=result.raw,
            )

    def confirm_callback(self, params):
        """Handle the callback query string: execute on success, refuse otherwise.

        Returns the completed :class:`BkashResult`; the caller still runs
        :func:`check_result` against its own transaction.
        """
        callback = parse_callback(params)
        if callback.status == "cancel":
            raise GatewayRejected(
                f"customer cancelled bKash payment {callback.payment_id}", reason="cancelled"
            )
        if callback.status == "failure":
            raise GatewayRejected(f"bKash payment {callback.payment_id} failed", reason="failed")
        return self.execute_payment(callback.payment_id)

    def payment_status(self, payment_id, already_executed=False):
        """POST /payment/status: the payment as bKash knows it (any status)."""
        data = self._call("/payment/status", {"paymentID": payment_id})
        self._same_payment(data, payment_id, "/payment/status")
        return self._result(data, "/payment/status", already_executed=already_executed)

    def refund(self, payment_id, trx_id, amount, reason, sku="isp"):
        """POST /payment/refund (full or partial)."""
        path = "/payment/refund"
        data = self._call(
            path,
            {
                "paymentID": payment_id,
                "trxID": trx_id,
                "amount": format_amount(amount),
                "sku": sku,
                "reason": reason,
            },
            require_status=False,
        )
        refund = BkashRefund(
            original_transaction_id=self._field(data, "originalTrxID", path),
            refund_transaction_id=self._field(data, "refundTrxID", path),
            amount=_parse_amount(self._field(data, "amount", path)),
            currency=data.get("currency") or "",
            status=self._field(data, "transactionStatus", path),
            charge=_parse_amount(data.get("charge") or "0", "charge"),
            raw=data,
        )
        if refund.original_transaction_id != trx_id:
            raise GatewayProtocolError(
                f"bKash refunded {refund.original_transaction_id!r}, not {trx_id!r}",
                reason="foreign_reply",
                raw=data,
            )
        if refund.status != COMPLETED:
            raise GatewayRejected(
                f"bKash refund of {trx_id} is {refund.status}", reason="not_completed", raw=data
            )
        return refund

    def search_transaction(self, trx_id):
        """POST /general/searchTransaction: look a payment up by its trxID."""
        path = "/general/searchTransaction"
        data = self._call(path, {"trxID": trx_id})
        if data.get("trxID") != trx_id:
            raise GatewayProtocolError(
                f"bKash answered {path} for {data.get('trxID')!r}, not {trx_id!r}",
                reason="foreign_reply",
                raw=data,
            )
        return self._result(data, path)

    # ------------------------------------------------------------------ agreement

    def create_agreement(self, payer_reference, callback_url):
        """POST /create (mode 0000): the customer approves the agreement on ``bkash_url``."""
        return self._create(
            {
                "mode": MODE_AGREEMENT,
                "payerReference": payer_reference,
                "callbackURL": callback_url,
            },
            "agreementStatus",
        )

    def _agreement(self, data, path):
        return BkashAgreement(
            agreement_id=self._field(data, "agreementID", path),
            status=self._field(data, "agreementStatus", path),
            payer_reference=data.get("payerReference") or "",
            customer_msisdn=data.get("customerMsisdn") or "",
            raw=data,
            payment_id=data.get("paymentID") or "",
        )

    def execute_agreement(self, payment_id):
        """POST /execute for an agreement's paymentID; return the active agreement."""
        data = self._call("/execute", {"paymentID": payment_id})
        self._same_payment(data, payment_id, "/execute")
        agreement = self._agreement(data, "/execute")
        if not agreement.is_active:
            raise GatewayRejected(
                f"bKash agreement {agreement.agreement_id} is {agreement.status}",
                reason="not_completed",
                raw=data,
            )
        return agreement

    def confirm_agreement_callback(self, params):
        """Like :meth:`confirm_callback` for the agreement's callback."""
        callback = parse_callback(params)
        if not callback.is_success:
            raise GatewayRejected(
                f"bKash agreement {callback.payment_id}: {callback.status}",
                reason="cancelled" if callback.status == "cancel" else "failed",
            )
        return self.execute_agreement(callback.payment_id)

    def agreement_status(self, agreement_id):
        """POST /agreement/status."""
        data = self._call("/agreement/status", {"agreementID": agreement_id})
        return self._checked_agreement(data, agreement_id, "/agreement/status")

    def cancel_agreement(self, agreement_id):
        """POST /agreement/cancel; return the (cancelled) agreement."""
        data = self._call("/agreement/cancel", {"agreementID": agreement_id})
        return self._checked_agreement(data, agreement_id, "/agreement/cancel")

    def _checked_agreement(self, data, agreement_id, path):
        agreement = self._agreement(data, path)
        if agreement.agreement_id != agreement_id:
            raise GatewayProtocolError(
                f"bKash answered {path} for agreement {agreement.agreement_id!r}, "
                f"not {agreement_id!r}",
                reason="foreign_reply",
                raw=data,
            )
        return agreement

    def create_agreement_payment(
        self,
        agreement_id,
        amount,
        invoice_number,
        payer_reference,
        callback_url,
        currency="BDT",
    ):
        """POST /create (mode 0001) charging an agreement."""
        return self._create(
            {
                "mode": MODE_WITH_AGREEMENT,
                "agreementID": agreement_id,
                "payerReference": payer_reference,
                "callbackURL": callback_url,
                "amount": format_amount(amount),
                "currency": currency,
                "intent": "sale",
                "merchantInvoiceNumber": invoice_number,
            },
            "transactionStatus",
        )

    def pay_with_agreement(
        self,
        agreement_id,
        amount,
        invoice_number,
        payer_reference,
        callback_url,
        currency="BDT",
    ):
        """Charge an agreement (create mode 0001, then execute) and check the result.

        For the auto-debit job: returns the completed :class:`BkashResult` after
        :func:`check_result`, or raises.
        """
        created = self.create_agreement_payment(
            agreement_id, amount, invoice_number, payer_reference, callback_url, currency
        )
        result = self.execute_payment(created.payment_id)
        return check_result(result, amount, currency, invoice_number)
