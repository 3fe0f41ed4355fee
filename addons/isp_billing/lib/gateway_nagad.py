"""Nagad online payment gateway client (pure Python, no Odoo).

The checkout is three server-to-server calls around the customer's visit to Nagad:

1. ``initialize(order_id)``: ``POST /check-out/initialize/{merchantId}/{orderId}`` with
   ``sensitiveData`` (our JSON encrypted with Nagad's public key, RSA PKCS#1 v1.5) and
   ``signature`` (SHA256withRSA over the same JSON with the merchant private key). The
   reply's ``sensitiveData`` decrypts with the merchant key to ``{paymentReferenceId,
   challenge}`` and its signature must verify with Nagad's public key.
2. ``complete(...)``: ``POST /check-out/complete/{paymentReferenceId}`` with the order,
   amount and Nagad's challenge, encrypted and signed the same way -> ``callBackUrl``, the
   page the customer is sent to.
3. The customer comes back to our callback with ``payment_ref_id``, ``status`` and
   ``status_code``; none of that is trusted: ``verify_payment`` asks
   ``GET /verify/payment/{paymentRefId}`` and ``check_result`` compares amount, currency
   and our order id before anything is marked paid.

    client = NagadClient("683002007104225", "01711428036", merchant_key_pem, nagad_key_pem)
    checkout = client.create_payment("INV2024001", Decimal("115.00"), "https://isp/nagad/cb")
    ... redirect the customer to checkout.redirect_url ...
    result = client.confirm_callback(request_params, Decimal("115.00"), "INV2024001")

Every failure is raised as one of the types in ``gateway_errors``.
"""

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import gateway_checks
from .gateway_errors import (
    GatewayError,
    GatewayMismatch,
    GatewayProtocolError,
    GatewayRejected,
    GatewayTimeout,
)
from .money import InvalidAmount, to_decimal

__all__ = [
    "LIVE_URL",
    "SANDBOX_URL",
    "NagadCallback",
    "NagadCheckout",
    "NagadClient",
    "NagadInit",
    "NagadPayment",
    "dhaka_datetime",
    "format_amount",
    "load_private_key",
    "load_public_key",
]

SANDBOX_URL = "http://sandbox.mynagad.com:10080/remote-payment-gateway-1.0/api/dfs"
LIVE_URL = "https://api.mynagad.com/api/dfs"

API_VERSION = "v-0.2.0"
CLIENT_TYPE = "PC_WEB"
CURRENCY = "BDT"
CURRENCY_CODE = "050"  # ISO 4217 numeric code of BDT, the only currency Nagad takes
DEFAULT_TIMEOUT = 10
STATUS_SUCCESS = "Success"

# Final non-success statuses of /verify/payment and what we call them.
FAILURE_STATUS_REASONS = {
    "Aborted": "cancelled",
    "Cancelled": "cancelled",
    "Failed": "failed",
}
# Status codes that say more than the status (checked before FAILURE_STATUS_REASONS).
# Assumption: these are the values our simulator uses; compare with the sandbox.
FAILURE_CODE_REASONS = {
    "InsufficientBalance": "insufficient_balance",
}

# Bangladesh has kept UTC+6 without daylight saving since 2009; the fixed offset only
# stands in when the system has no tz database.
try:
    DHAKA = ZoneInfo("Asia/Dhaka")
except ZoneInfoNotFoundError:  # pragma: no cover - depends on the host
    DHAKA = timezone(timedelta(hours=6), "Asia/Dhaka")

# orderId travels in the URL path, so only letters and digits.
_ORDER_ID_RE = re.compile(r"^[A-Za-z0-9]{1,40}$")
_MONEY_STEP = Decimal("0.01")


@dataclass(frozen=True)
class NagadInit:
    """Answer of ``initialize``: what ``complete`` needs next."""

    order_id: str
    payment_reference_id: str
    challenge: str
    raw: dict = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class NagadCheckout:
    """A checkout ready for the customer: send them to ``redirect_url``."""

    order_id: str
    payment_reference_id: str
    amount: Decimal
    redirect_url: str
    raw: dict = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class NagadCallback:
    """What the customer's browser brought back: untrusted until verified."""

    payment_ref_id: str
    order_id: str
    status: str
    status_code: str
    raw: dict = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class NagadPayment:
    """A payment Nagad confirmed server to server (``status`` is always ``Success``).

    ``reference`` is our order id; ``transaction_id`` is Nagad's issuer reference, the key
    to record the payment under exactly once.
    """

    reference: str
    transaction_id: str
    amount: Decimal
    currency: str
    status: str
    payment_ref_id: str
    customer_msisdn: str
    raw: dict = field(repr=False, default_factory=dict)


def dhaka_datetime(now=None):
    """Return *now* (aware, default: the current time) as Nagad's ``YYYYmmddHHMMSS`` in Dhaka.

    >>> dhaka_datetime(datetime(2024, 1, 31, 18, 30, 5, tzinfo=timezone.utc))
    '20240201003005'
    """
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("dhaka_datetime needs an aware datetime.")
    return now.astimezone(DHAKA).strftime("%Y%m%d%H%M%S")


def _pem_bytes(key, kind):
    if isinstance(key, bytes):
        key = key.decode("ascii")
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"The {kind} must be a PEM string.")
    return key.strip()


def load_private_key(pem):
    """Load an RSA private key from PEM (PKCS#1 or PKCS#8) or from bare base64 DER.

    Nagad's merchant portal hands keys out as bare base64 without PEM armour.
    """
    text = _pem_bytes(pem, "merchant private key")
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        else:
            der = base64.b64decode("".join(text.split()), validate=True)
            key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise ValueError(f"The merchant private key cannot be read: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("The merchant private key is not an RSA key.")
    return key


def load_public_key(pem):
    """Load an RSA public key from PEM or from bare base64 DER (SubjectPublicKeyInfo)."""
    text = _pem_bytes(pem, "Nagad public key")
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
        else:
            der = base64.b64decode("".join(text.split()), validate=True)
            key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise ValueError(f"The Nagad public key cannot be read: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("The Nagad public key is not an RSA key.")
    return key


def format_amount(amount):
    """Return *amount* as Nagad's string with two decimals; refuse floats and sub-poisha.

    >>> format_amount(Decimal("115"))
    '115.00'
    """
    value = to_decimal(amount)
    if value <= 0:
        raise InvalidAmount(f"amount must be positive, not {amount!r}.")
    if value != value.quantize(_MONEY_STEP):
        raise InvalidAmount(f"amount has more than two decimals: {amount!r}.")
    return f"{value.quantize(_MONEY_STEP)}"


def _check_order_id(order_id):
    if not isinstance(order_id, str) or not _ORDER_ID_RE.match(order_id):
        raise ValueError(f"Nagad order ids are 1 to 40 letters or digits, not {order_id!r}.")
    return order_id


class NagadClient:
    """Client of Nagad's merchant checkout API (initialize, complete, verify)."""

    def __init__(
        self,
        merchant_id,
        merchant_number,
        merchant_private_key,
        nagad_public_key,
        *,
        sandbox=True,
        base_url=None,
        timeout=DEFAULT_TIMEOUT,
        client_ip="127.0.0.1",
        session=None,
    ):
        if not merchant_id or not merchant_number:
            raise ValueError("Nagad needs a merchant id and the merchant account number.")
        self.merchant_id = str(merchant_id)
        self.merchant_number = str(merchant_number)
        self._merchant_key = load_private_key(merchant_private_key)
        self._nagad_key = load_public_key(nagad_public_key)
        self.base_url = (base_url or (SANDBOX_URL if sandbox else LIVE_URL)).rstrip("/")
        self.timeout = timeout
        self.client_ip = client_ip
        self.session = session or requests.Session()

    # Crypto ---------------------------------------------------------------------------

    def _seal(self, payload):
        """Return ``(sensitiveData, signature)`` for *payload* (a dict)."""
        plain = json.dumps(payload, separators=(",", ":")).encode()
        # PKCS#1 v1.5 leaves room for key size - 11 bytes of plaintext.
        if len(plain) > self._nagad_key.key_size // 8 - 11:
            raise ValueError("The data is too long for Nagad's RSA key; shorten the order id.")
        sealed = self._nagad_key.encrypt(plain, padding.PKCS1v15())
        signature = self._merchant_key.sign(plain, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(sealed).decode(), base64.b64encode(signature).decode()

    def _open(self, reply):
        """Decrypt and verify the ``sensitiveData``/``signature`` of a Nagad *reply*."""
        sensitive, signature = reply.get("sensitiveData"), reply.get("signature")
        if not isinstance(sensitive, str) or not isinstance(signature, str):
            raise GatewayProtocolError(
                "Nagad's reply has no sensitiveData/signature.", reason="bad_reply", raw=reply
            )
        try:
            plain = self._merchant_key.decrypt(
                base64.b64decode(sensitive, validate=True), padding.PKCS1v15()
            )
        except (ValueError, binascii.Error):
            raise GatewayProtocolError(
                "Nagad's sensitiveData does not decrypt with the merchant key.",
                reason="bad_sensitive_data",
                raw=reply,
            ) from None
        try:
            self._nagad_key.verify(
                base64.b64decode(signature, validate=True),
                plain,
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError, binascii.Error):
            raise GatewayProtocolError(
                "Nagad's reply signature does not verify with Nagad's public key.",
                reason="bad_signature",
                raw=reply,
            ) from None
        try:
            data = json.loads(plain)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise GatewayProtocolError(
                "Nagad's sensitiveData is not a JSON object.", reason="bad_reply", raw=reply
            )
        return data

    # HTTP -----------------------------------------------------------------------------

    def _headers(self, client_ip=None):
        return {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-KM-Api-Version": API_VERSION,
            "X-KM-IP-V4": client_ip or self.client_ip,
            "X-KM-Client-Type": CLIENT_TYPE,
        }

    def _request(self, method, path, payload=None, client_ip=None):
        """Send one request and return the JSON object of a 2xx reply.

        4xx replies carrying Nagad's ``{reason, message}`` become ``GatewayRejected`` with
        the gateway's ``reason`` as ``status_code``.
        """
        url = f"{self.base_url}/{path.lstrip('/')}"
        try:
            response = self.session.request(
                method,
                url,
                json=payload,
                headers=self._headers(client_ip),
                timeout=self.timeout,
            )
        except requests.Timeout:
            raise GatewayTimeout(
                f"Nagad did not answer {method} {path} within {self.timeout} s.", reason="timeout"
            ) from None
        except requests.RequestException as exc:
            raise GatewayError(f"Nagad is unreachable: {exc}", reason="unreachable") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 500:
            raise GatewayError(
                f"Nagad answered {method} {path} with HTTP {response.status_code}.",
                reason="server_error",
                raw=data if isinstance(data, dict) else {"body": response.text[:500]},
            )
        if not isinstance(data, dict):
            raise GatewayProtocolError(
                f"Nagad answered {method} {path} with HTTP {response.status_code} and no JSON "
                "object.",
                reason="bad_reply",
                raw={"body": response.text[:500]},
            )
        if response.status_code >= 400 or (data.get("reason") and not data.get("status")):
            code = str(data.get("reason") or response.status_code)
            raise GatewayRejected(
                f"Nagad refused {method} {path}: {code}: {data.get('message', '')}".rstrip(": "),
                reason="refused",
                raw=data,
                status_code=code,
            )
        return data

    # API ------------------------------------------------------------------------------

    def initialize(self, order_id, *, client_ip=None, now=None):
        """Open a checkout for our *order_id*; return a ``NagadInit``."""
        _check_order_id(order_id)
        date_time = dhaka_datetime(now)
        sensitive, signature = self._seal(
            {
                "merchantId": self.merchant_id,
                "datetime": date_time,
                "orderId": order_id,
                "challenge": secrets.token_hex(20),
            }
        )
        reply = self._request(
            "POST",
            f"/check-out/initialize/{self.merchant_id}/{order_id}",
            {
                "accountNumber": self.merchant_number,
                "dateTime": date_time,
                "sensitiveData": sensitive,
                "signature": signature,
            },
            client_ip=client_ip,
        )
        data = self._open(reply)
        reference, challenge = data.get("paymentReferenceId"), data.get("challenge")
        if not isinstance(reference, str) or not reference or not isinstance(challenge, str):
            raise GatewayProtocolError(
                "Nagad's initialize reply lacks paymentReferenceId or challenge.",
                reason="bad_reply",
                raw=reply,
            )
        return NagadInit(order_id, reference, challenge, raw={**reply, "decrypted": data})

    def complete(self, init, amount, callback_url, *, additional_info=None, client_ip=None):
        """Submit the order's *amount* for the checkout *init*; return a ``NagadCheckout``."""
        amount_text = format_amount(amount)
        sensitive, signature = self._seal(
            {
                "merchantId": self.merchant_id,
                "orderId": init.order_id,
                "currencyCode": CURRENCY_CODE,
                "amount": amount_text,
                "challenge": init.challenge,
            }
        )
        payload = {
            "sensitiveData": sensitive,
            "signature": signature,
            "merchantCallbackURL": callback_url,
        }
        if additional_info:
            payload["additionalMerchantInfo"] = additional_info
        reply = self._request(
            "POST",
            f"/check-out/complete/{init.payment_reference_id}",
            payload,
            client_ip=client_ip,
        )
        redirect_url = reply.get("callBackUrl")
        if reply.get("status") != STATUS_SUCCESS or not isinstance(redirect_url, str):
            raise GatewayProtocolError(
                f"Nagad's complete reply is not a success: {reply.get('status')!r}.",
                reason="bad_reply",
                raw=reply,
            )
        return NagadCheckout(
            init.order_id, init.payment_reference_id, Decimal(amount_text), redirect_url, reply
        )

    def create_payment(
        self, order_id, amount, callback_url, *, additional_info=None, client_ip=None
    ):
        """``initialize`` then ``complete``: one call from an order to the customer's URL."""
        format_amount(amount)  # refuse a bad amount before opening a checkout
        init = self.initialize(order_id, client_ip=client_ip)
        return self.complete(
            init, amount, callback_url, additional_info=additional_info, client_ip=client_ip
        )

    @staticmethod
    def parse_callback(params):
        """Read the callback's query parameters; nothing in them is trusted."""
        if not isinstance(params, dict):
            raise GatewayProtocolError("The Nagad callback has no parameters.", reason="bad_reply")
        payment_ref_id = params.get("payment_ref_id")
        if not isinstance(payment_ref_id, str) or not re.match(r"^[\w-]{1,100}$", payment_ref_id):
            raise GatewayProtocolError(
                "The Nagad callback has no usable payment_ref_id.", reason="bad_reply", raw=params
            )
        return NagadCallback(
            payment_ref_id,
            str(params.get("order_id") or ""),
            str(params.get("status") or ""),
            str(params.get("status_code") or ""),
            dict(params),
        )

    def verify_payment(self, payment_ref_id):
        """Ask Nagad for the payment's state; return a ``NagadPayment`` only when it succeeded.

        A cancelled or failed payment raises ``GatewayRejected`` (reason ``cancelled``,
        ``insufficient_balance`` or ``failed``); one still open raises it with reason
        ``not_completed``.
        """
        if not isinstance(payment_ref_id, str) or not re.match(r"^[\w-]{1,100}$", payment_ref_id):
            raise ValueError(f"Not a Nagad payment reference: {payment_ref_id!r}.")
        reply = self._request("GET", f"/verify/payment/{payment_ref_id}")
        status, code = reply.get("status"), str(reply.get("statusCode") or "")
        if not isinstance(status, str) or not status:
            raise GatewayProtocolError(
                "Nagad's verify reply has no status.", reason="bad_reply", raw=reply
            )
        if status != STATUS_SUCCESS:
            reason = FAILURE_CODE_REASONS.get(code) or FAILURE_STATUS_REASONS.get(
                status, "not_completed"
            )
            raise GatewayRejected(
                f"Nagad payment {payment_ref_id} is {status} ({code or 'no code'}).",
                reason=reason,
                raw=reply,
                status_code=code or status,
            )
        try:
            amount = to_decimal(reply.get("amount"))
        except InvalidAmount:
            raise GatewayProtocolError(
                f"Nagad's verify reply has no usable amount: {reply.get('amount')!r}.",
                reason="bad_reply",
                raw=reply,
            ) from None
        order_id, trx_id = reply.get("orderId"), reply.get("issuerPaymentRefNo")
        if not isinstance(order_id, str) or not order_id or not isinstance(trx_id, str):
            raise GatewayProtocolError(
                "Nagad's verify reply lacks orderId or issuerPaymentRefNo.",
                reason="bad_reply",
                raw=reply,
            )
        if reply.get("paymentRefId") != payment_ref_id:
            raise GatewayProtocolError(
                "Nagad's verify reply is about another payment.", reason="bad_reply", raw=reply
            )
        if str(reply.get("merchantId")) != self.merchant_id:
            raise GatewayMismatch(
                f"Nagad payment {payment_ref_id} belongs to merchant {reply.get('merchantId')}.",
                reason="merchant_mismatch",
                raw=reply,
            )
        return NagadPayment(
            reference=order_id,
            transaction_id=trx_id,
            amount=amount,
            currency=CURRENCY,
            status=status,
            payment_ref_id=payment_ref_id,
            customer_msisdn=str(reply.get("clientMobileNo") or ""),
            raw=reply,
        )

    @staticmethod
    def check_result(result, expected_amount, expected_currency, expected_reference):
        """Raise ``GatewayMismatch`` unless *result* is for our amount, currency and order."""
        return gateway_checks.check_result(
            "Nagad", result, expected_amount, expected_currency, expected_reference
        )

    def confirm_callback(self, params, expected_amount, expected_reference):
        """Parse a callback, verify it server to server and check it against our order."""
        callback = self.parse_callback(params)
        result = self.verify_payment(callback.payment_ref_id)
        return self.check_result(result, expected_amount, CURRENCY, expected_reference)
