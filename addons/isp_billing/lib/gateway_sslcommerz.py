"""SSLCommerz v4 client: hosted checkout session, IPN signature, validation, query, refund.

The flow the payment provider drives:

1. ``create_session(tran_id, amount, ...)`` posts the order (form encoded) and returns the
   ``GatewayPageURL`` to send the customer to and the ``sessionkey``.
2. SSLCommerz posts an IPN (and the browser posts the same fields to ``success_url``).
   ``parse_ipn(post)`` checks ``verify_sign`` and returns the signed fields; nothing the
   browser or the IPN brings is trusted beyond that.
3. ``validate(val_id)`` asks the validation API server to server; ``check_result`` then
   compares amount, currency and our ``tran_id`` with the order. ``confirm_ipn`` does the
   three steps at once.

``query_transaction(tran_id)`` finds a payment when no IPN arrived, ``refund`` and
``refund_status`` handle refunds. Every HTTP call goes through ``_request`` with a timeout;
failures become the exceptions of :mod:`gateway_errors`. Nothing here imports odoo.
"""

import hashlib
import hmac
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import requests

from .gateway_errors import (
    GatewayError,
    GatewayMismatch,
    GatewayProtocolError,
    GatewayRejected,
    GatewayTimeout,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "LIVE_URL",
    "SANDBOX_URL",
    "IpnNotification",
    "PaymentResult",
    "RefundResult",
    "SSLCommerzClient",
    "SessionResult",
    "check_ipn_signature",
    "check_result",
    "compute_verify_sign",
    "format_amount",
]

SANDBOX_URL = "https://sandbox.sslcommerz.com"
LIVE_URL = "https://securepay.sslcommerz.com"

SESSION_PATH = "/gwprocess/v4/api.php"
VALIDATION_PATH = "/validator/api/validationserverAPI.php"
# Transaction query, refund request and refund status share one endpoint.
MERCHANT_API_PATH = "/validator/api/merchantTransIDvalidationAPI.php"

DEFAULT_TIMEOUT = 10

# Validation API statuses: VALID is the first confirmation, VALIDATED a repeated one.
PAID_STATUSES = ("VALID", "VALIDATED")
# IPN statuses other than VALID mean no money moved.
IPN_FAILURE_STATUSES = ("FAILED", "CANCELLED", "UNATTEMPTED", "EXPIRED")
# Fields an IPN signature must cover before we look at it; without them a validly signed
# IPN could still carry an unsigned amount or reference.
SIGNED_ALWAYS = ("status", "tran_id")
SIGNED_WHEN_VALID = ("val_id", "amount", "currency")

_CENT = Decimal("0.01")


def format_amount(amount):
    """Return *amount* as the gateway expects it: a string with exactly two decimals.

    >>> format_amount(Decimal("1150.5"))
    '1150.50'
    >>> format_amount("99.995")
    '100.00'
    """
    if isinstance(amount, float):
        raise TypeError("amounts must be Decimal, int or str, not float")
    try:
        value = Decimal(str(amount))
    except InvalidOperation as err:
        raise ValueError(f"invalid amount {amount!r}") from err
    if not value.is_finite() or value <= 0:
        raise ValueError(f"amount must be positive, got {amount!r}")
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _parse_amount(value, name, raw):
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, TypeError) as err:
        raise GatewayProtocolError(
            f"SSLCommerz sent an invalid {name} {value!r}", reason="bad_amount", raw=raw
        ) from err
    if not amount.is_finite():
        raise GatewayProtocolError(
            f"SSLCommerz sent an invalid {name} {value!r}", reason="bad_amount", raw=raw
        )
    return amount


def compute_verify_sign(post, store_passwd):
    """Return the md5 ``verify_sign`` SSLCommerz computes over the fields in ``verify_key``.

    The fields named in ``verify_key`` plus ``store_passwd`` = md5(store password) are
    sorted by key, joined as ``k=v&k=v`` and hashed with md5 (the vendor's own recipe).
    A field named in ``verify_key`` but absent from *post* counts as empty, as in the
    vendor's PHP library (form parsers may drop blank fields).

    >>> post = {"tran_id": "T1", "amount": "10.00", "verify_key": "tran_id,amount"}
    >>> compute_verify_sign(post, "secret") == hashlib.md5(
    ...     b"amount=10.00&store_passwd=5ebe2294ecd0e0f08eab7690d2a6ee69&tran_id=T1"
    ... ).hexdigest()
    True
    """
    keys = [key.strip() for key in str(post.get("verify_key") or "").split(",") if key.strip()]
    data = {key: str(post.get(key, "")) for key in keys}
    data["store_passwd"] = hashlib.md5(store_passwd.encode()).hexdigest()
    joined = "&".join(f"{key}={data[key]}" for key in sorted(data))
    return hashlib.md5(joined.encode()).hexdigest()


def check_ipn_signature(post, store_passwd):
    """Return True when *post* (IPN or return form) carries a valid ``verify_sign``."""
    given = post.get("verify_sign")
    if not given or not post.get("verify_key"):
        return False
    expected = compute_verify_sign(post, store_passwd)
    return hmac.compare_digest(expected.encode(), str(given).strip().lower().encode())


@dataclass(frozen=True)
class SessionResult:
    """A hosted checkout session: send the customer to ``gateway_url``."""

    sessionkey: str
    gateway_url: str
    raw: dict = field(repr=False)


@dataclass(frozen=True)
class IpnNotification:
    """The signed fields of an IPN (or of the form posted to success/fail/cancel URLs)."""

    reference: str
    status: str
    val_id: str
    amount: Decimal | None
    currency: str
    bank_tran_id: str
    raw: dict = field(repr=False)

    @property
    def is_valid(self):
        return self.status == "VALID"


@dataclass(frozen=True)
class PaymentResult:
    """A payment as the validation or query API reports it.

    ``amount``/``currency`` are what the order asked for (``currency_amount`` and
    ``currency_type`` when SSLCommerz converted it); ``settled_amount`` is the BDT amount and
    ``store_amount`` what reaches the merchant after the gateway's fee.
    """

    reference: str
    transaction_id: str
    amount: Decimal
    currency: str
    status: str
    raw: dict = field(repr=False)
    val_id: str = ""
    settled_amount: Decimal | None = None
    store_amount: Decimal | None = None
    risk_level: str = ""

    @property
    def is_paid(self):
        return self.status in PAID_STATUSES

    @property
    def already_validated(self):
        """True when this val_id was validated before (a replayed or duplicate IPN)."""
        return self.status == "VALIDATED"

    @property
    def fee(self):
        if self.settled_amount is None or self.store_amount is None:
            return None
        return self.settled_amount - self.store_amount


@dataclass(frozen=True)
class RefundResult:
    """A refund request or its later status (``success``/``processing``/``refunded`` ...)."""

    refund_ref_id: str
    bank_tran_id: str
    reference: str
    status: str
    raw: dict = field(repr=False)


def check_result(result, expected_amount, expected_currency, expected_reference):
    """Raise ``GatewayMismatch`` unless *result* is for our reference, amount and currency."""
    if str(result.reference) != str(expected_reference):
        raise GatewayMismatch(
            f"SSLCommerz reference {result.reference!r} is not {expected_reference!r}",
            reason="reference_mismatch",
            raw=result.raw,
        )
    if (result.currency or "").upper() != str(expected_currency).upper():
        raise GatewayMismatch(
            f"SSLCommerz currency {result.currency!r} is not {expected_currency!r}",
            reason="currency_mismatch",
            raw=result.raw,
        )
    expected = Decimal(format_amount(expected_amount))
    if result.amount.quantize(_CENT, rounding=ROUND_HALF_UP) != expected:
        raise GatewayMismatch(
            f"SSLCommerz amount {result.amount} is not {expected}",
            reason="amount_mismatch",
            raw=result.raw,
        )
    return result


class SSLCommerzClient:
    """Client of one SSLCommerz store (``store_id`` + ``store_passwd``)."""

    def __init__(
        self,
        store_id,
        store_passwd,
        *,
        sandbox=True,
        base_url=None,
        timeout=DEFAULT_TIMEOUT,
        session=None,
    ):
        if not store_id or not store_passwd:
            raise ValueError("SSLCommerz needs a store_id and a store_passwd")
        self.store_id = store_id
        self.store_passwd = store_passwd
        self.base_url = (base_url or (SANDBOX_URL if sandbox else LIVE_URL)).rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    # ------------------------------------------------------------------ transport
    def _request(self, method, path, *, params=None, data=None):
        """Send one request and return the decoded JSON object (the only HTTP call)."""
        url = self.base_url + path
        try:
            response = self.session.request(
                method, url, params=params, data=data, timeout=self.timeout
            )
        except requests.Timeout as err:
            raise GatewayTimeout(
                f"SSLCommerz did not answer {path} within {self.timeout} s"
            ) from err
        except requests.RequestException as err:
            raise GatewayError(
                f"SSLCommerz is unreachable at {path}: {err}", reason="unreachable"
            ) from err
        if response.status_code >= 500:
            raise GatewayError(
                f"SSLCommerz answered {path} with HTTP {response.status_code}",
                reason="server_error",
                raw={"status_code": response.status_code, "body": response.text[:500]},
            )
        if response.status_code != 200:
            raise GatewayProtocolError(
                f"SSLCommerz answered {path} with HTTP {response.status_code}",
                reason="http_status",
                raw={"status_code": response.status_code, "body": response.text[:500]},
            )
        try:
            payload = response.json()
        except ValueError as err:
            raise GatewayProtocolError(
                f"SSLCommerz answered {path} with non-JSON content",
                reason="not_json",
                raw={"body": response.text[:500]},
            ) from err
        if not isinstance(payload, dict):
            raise GatewayProtocolError(
                f"SSLCommerz answered {path} with a JSON {type(payload).__name__}",
                reason="unexpected_reply",
                raw={"body": payload},
            )
        return payload

    def _credentials(self):
        return {"store_id": self.store_id, "store_passwd": self.store_passwd}

    def _merchant_api(self, params, what):
        """Call the validator APIs; ``APIConnect`` must be DONE."""
        payload = self._request(
            "GET", MERCHANT_API_PATH, params={**params, **self._credentials(), "format": "json"}
        )
        connect = payload.get("APIConnect")
        if connect is None:
            raise GatewayProtocolError(
                f"SSLCommerz {what} reply has no APIConnect", reason="unexpected_reply", raw=payload
            )
        if connect != "DONE":
            # INVALID_REQUEST, FAILED (bad store credentials) or INACTIVE.
            raise GatewayError(
                f"SSLCommerz refused the {what} call: APIConnect={connect}",
                reason=f"api_{str(connect).lower()}",
                raw=payload,
            )
        return payload

    @staticmethod
    def _require(payload, keys, what):
        missing = [key for key in keys if payload.get(key) in (None, "")]
        if missing:
            raise GatewayProtocolError(
                f"SSLCommerz {what} reply lacks {', '.join(missing)}",
                reason="unexpected_reply",
                raw=payload,
            )

    # ------------------------------------------------------------------ checkout
    def _prepare_session_values(
        self,
        tran_id,
        amount,
        currency,
        urls,
        customer,
        product_name,
        product_category,
        product_profile,
        extra,
    ):
        """Return the session form; a hook for callers who need more vendor fields."""
        country = customer.get("country") or "Bangladesh"
        values = {
            **self._credentials(),
            "total_amount": format_amount(amount),
            "currency": currency,
            "tran_id": tran_id,
            "success_url": urls["success_url"],
            "fail_url": urls["fail_url"],
            "cancel_url": urls["cancel_url"],
            "ipn_url": urls["ipn_url"],
            "cus_name": customer.get("name") or "Customer",
            "cus_email": customer.get("email") or "",
            "cus_phone": customer.get("phone") or "",
            # SSLCommerz refuses a session without cus_add1; the city or country will do.
            "cus_add1": customer.get("address") or customer.get("city") or country,
            "cus_city": customer.get("city") or "",
            "cus_country": country,
            "shipping_method": "NO",
            "num_of_item": 1,
            "product_name": product_name,
            "product_category": product_category,
            "product_profile": product_profile,
        }
        values.update(extra or {})
        return values

    def create_session(
        self,
        tran_id,
        amount,
        currency,
        *,
        success_url,
        fail_url,
        cancel_url,
        ipn_url,
        customer=None,
        product_name="Internet subscription",
        product_category="Internet",
        product_profile="non-physical-goods",
        extra=None,
    ):
        """Open a hosted checkout session for our *tran_id* and return its gateway URL."""
        urls = {
            "success_url": success_url,
            "fail_url": fail_url,
            "cancel_url": cancel_url,
            "ipn_url": ipn_url,
        }
        values = self._prepare_session_values(
            tran_id,
            amount,
            currency,
            urls,
            customer or {},
            product_name,
            product_category,
            product_profile,
            extra,
        )
        payload = self._request("POST", SESSION_PATH, data=values)
        status = payload.get("status")
        if status != "SUCCESS":
            if status == "FAILED":
                raise GatewayRejected(
                    f"SSLCommerz refused the session: {payload.get('failedreason') or 'no reason'}",
                    reason="session_failed",
                    raw=payload,
                    status_code=status,
                )
            raise GatewayProtocolError(
                f"SSLCommerz session reply has status {status!r}",
                reason="unexpected_reply",
                raw=payload,
            )
        self._require(payload, ("sessionkey", "GatewayPageURL"), "session")
        return SessionResult(
            sessionkey=payload["sessionkey"], gateway_url=payload["GatewayPageURL"], raw=payload
        )

    # ------------------------------------------------------------------ IPN
    def parse_ipn(self, post):
        """Check the signature of an IPN or return form and return its signed fields.

        Raises ``GatewayProtocolError`` (reason ``bad_signature``) for a missing or forged
        signature, or when the signature does not cover the fields we rely on.
        """
        post = {str(key): str(value) for key, value in dict(post).items()}
        if not check_ipn_signature(post, self.store_passwd):
            raise GatewayProtocolError(
                f"SSLCommerz IPN for tran_id {post.get('tran_id')!r} has a bad signature",
                reason="bad_signature",
                raw=post,
            )
        signed = {key.strip() for key in post["verify_key"].split(",")}
        needed = SIGNED_ALWAYS + (SIGNED_WHEN_VALID if post.get("status") == "VALID" else ())
        unsigned = [key for key in needed if key not in signed]
        if unsigned:
            raise GatewayProtocolError(
                f"SSLCommerz IPN signature does not cover {', '.join(unsigned)}",
                reason="bad_signature",
                raw=post,
            )
        if "store_id" in signed and post["store_id"] != self.store_id:
            raise GatewayMismatch(
                f"SSLCommerz IPN is for store {post['store_id']!r}",
                reason="store_mismatch",
                raw=post,
            )
        amount = post.get("amount") if "amount" in signed else None
        return IpnNotification(
            reference=post.get("tran_id", ""),
            status=post.get("status", ""),
            val_id=post.get("val_id", "") if "val_id" in signed else "",
            amount=_parse_amount(amount, "amount", post) if amount else None,
            currency=post.get("currency", "") if "currency" in signed else "",
            bank_tran_id=post.get("bank_tran_id", "") if "bank_tran_id" in signed else "",
            raw=post,
        )

    def confirm_ipn(
        self, post, expected_amount=None, expected_currency=None, expected_reference=None
    ):
        """Signature check, then server-to-server validation of an IPN's ``val_id``.

        A cancelled or failed payment raises ``GatewayRejected`` (status in ``status_code``);
        when the expected values are given the validated payment is checked against them.
        """
        ipn = self.parse_ipn(post)
        if not ipn.is_valid:
            raise GatewayRejected(
                f"SSLCommerz payment {ipn.reference} is {ipn.status}"
                + (f": {ipn.raw['error']}" if ipn.raw.get("error") else ""),
                reason=ipn.status.lower() or "not_paid",
                raw=ipn.raw,
                status_code=ipn.status,
            )
        result = self.validate(ipn.val_id)
        if result.reference != ipn.reference:
            raise GatewayMismatch(
                f"val_id {ipn.val_id} validates tran_id {result.reference}, not {ipn.reference}",
                reason="reference_mismatch",
                raw=result.raw,
            )
        if expected_reference is not None:
            check_result(result, expected_amount, expected_currency, expected_reference)
        return result

    # ------------------------------------------------------------------ validation and query
    def _payment_result(self, payload, what):
        self._require(payload, ("status", "tran_id", "amount"), what)
        settled = _parse_amount(payload["amount"], "amount", payload)
        if payload.get("currency_amount") not in (None, ""):
            amount = _parse_amount(payload["currency_amount"], "currency_amount", payload)
        else:
            amount = settled
        store_amount = payload.get("store_amount")
        return PaymentResult(
            reference=str(payload["tran_id"]),
            transaction_id=str(payload.get("bank_tran_id") or ""),
            amount=amount,
            currency=str(payload.get("currency_type") or payload.get("currency") or ""),
            status=str(payload["status"]),
            raw=payload,
            val_id=str(payload.get("val_id") or ""),
            settled_amount=settled,
            store_amount=_parse_amount(store_amount, "store_amount", payload)
            if store_amount not in (None, "")
            else None,
            risk_level=str(payload.get("risk_level") or ""),
        )

    def validate(self, val_id):
        """Validate *val_id* server to server; return the payment or raise.

        ``VALID`` and ``VALIDATED`` (seen before) return a ``PaymentResult``;
        ``INVALID_TRANSACTION`` raises ``GatewayRejected``.
        """
        if not val_id:
            raise GatewayProtocolError("no val_id to validate", reason="missing_val_id")
        payload = self._request(
            "GET",
            VALIDATION_PATH,
            params={"val_id": val_id, **self._credentials(), "v": 1, "format": "json"},
        )
        if payload.get("APIConnect") not in (None, "DONE"):
            raise GatewayError(
                f"SSLCommerz refused the validation call: APIConnect={payload['APIConnect']}",
                reason=f"api_{str(payload['APIConnect']).lower()}",
                raw=payload,
            )
        status = payload.get("status")
        if status == "INVALID_TRANSACTION":
            raise GatewayRejected(
                f"SSLCommerz says val_id {val_id} is not a valid transaction",
                reason="invalid_transaction",
                raw=payload,
                status_code=status,
            )
        if status not in PAID_STATUSES:
            raise GatewayProtocolError(
                f"SSLCommerz validation of {val_id} has status {status!r}",
                reason="unexpected_reply",
                raw=payload,
            )
        return self._payment_result(payload, "validation")

    def query_transaction(self, tran_id):
        """Return every attempt SSLCommerz knows for our *tran_id* (possibly none)."""
        payload = self._merchant_api({"tran_id": tran_id}, "transaction query")
        elements = payload.get("element") or []
        if not isinstance(elements, list):
            raise GatewayProtocolError(
                "SSLCommerz transaction query: element is not a list",
                reason="unexpected_reply",
                raw=payload,
            )
        results = []
        for element in elements:
            if not isinstance(element, dict):
                raise GatewayProtocolError(
                    "SSLCommerz transaction query: malformed element",
                    reason="unexpected_reply",
                    raw=payload,
                )
            results.append(self._payment_result(element, "transaction query"))
        return results

    def find_payment(self, tran_id):
        """Return the paid attempt of *tran_id*, or raise ``GatewayRejected`` (none paid)."""
        attempts = self.query_transaction(tran_id)
        for result in attempts:
            if result.is_paid:
                if result.reference != str(tran_id):
                    raise GatewayMismatch(
                        f"SSLCommerz query for {tran_id} returned {result.reference}",
                        reason="reference_mismatch",
                        raw=result.raw,
                    )
                return result
        status = attempts[-1].status if attempts else "NOT_FOUND"
        raise GatewayRejected(
            f"SSLCommerz has no paid transaction for {tran_id} (last status {status})",
            reason="not_paid" if attempts else "not_found",
            raw=attempts[-1].raw if attempts else None,
            status_code=status,
        )

    # ------------------------------------------------------------------ refunds
    def _refund_result(self, payload, what):
        self._require(payload, ("status",), what)
        return RefundResult(
            refund_ref_id=str(payload.get("refund_ref_id") or ""),
            bank_tran_id=str(payload.get("bank_tran_id") or ""),
            reference=str(payload.get("tran_id") or payload.get("trans_id") or ""),
            status=str(payload["status"]).lower(),
            raw=payload,
        )

    def refund(self, bank_tran_id, amount, remarks, refe_id=None):
        """Ask for a refund of *amount* of the payment *bank_tran_id*.

        Returns the accepted request (``refund_ref_id``); a refused one raises
        ``GatewayRejected`` with SSLCommerz's ``errorReason``.
        """
        params = {
            "bank_tran_id": bank_tran_id,
            "refund_amount": format_amount(amount),
            "refund_remarks": remarks,
            "v": 1,
        }
        if refe_id:
            params["refe_id"] = refe_id
        payload = self._merchant_api(params, "refund")
        result = self._refund_result(payload, "refund")
        if result.status == "failed":
            raise GatewayRejected(
                f"SSLCommerz refused the refund of {bank_tran_id}: "
                f"{payload.get('errorReason') or 'no reason'}",
                reason="refund_failed",
                raw=payload,
                status_code=payload.get("status"),
            )
        if not result.refund_ref_id:
            raise GatewayProtocolError(
                "SSLCommerz refund reply lacks refund_ref_id",
                reason="unexpected_reply",
                raw=payload,
            )
        return result

    def refund_status(self, refund_ref_id):
        """Return the state of a refund: ``refunded``, ``processing`` or ``cancelled``."""
        payload = self._merchant_api({"refund_ref_id": refund_ref_id}, "refund status")
        return self._refund_result(payload, "refund status")
