"""Nagad checkout simulator: HTTP on loopback speaking the merchant API with real RSA.

It holds its own RSA key pair (``public_key_pem`` is what the merchant configures as
"Nagad's public key") and the merchant's public key, decrypts and verifies what clients
send, refuses bad signatures, and encrypts and signs its own initialize replies.

    sim = NagadSimulator("683002007104225", merchant_public_pem).start()
    client = NagadClient(..., nagad_public_key=sim.public_key_pem, base_url=sim.base_url)
    checkout = client.create_payment("INV1", Decimal("115.00"), "https://isp/cb")
    params = sim.customer_pays(checkout.payment_reference_id)[0]   # the browser's callback
    sim.stop()

Switches (attributes, reset by ``reset()``): ``cancel`` (the customer aborts),
``insufficient_balance``, ``timeout`` (every reply waits ``timeout_delay`` s),
``bad_signature`` (initialize replies carry a wrong signature), ``amount_mismatch`` (the
customer is charged less than asked), ``duplicate_callback`` (the browser comes back
twice), ``server_error`` (HTTP 500).

The browser's page ``GET callBackUrl[?action=pay|cancel]`` plays the customer and answers
302 to the merchant's callback; with ``interactive`` set (the demo's simulators) the page
without ``action`` shows ``Pay`` / ``Cancel`` buttons instead.
"""

import base64
import json
import re
import secrets
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .checkout_page import render, with_action
from .http_base import LoopbackHttpSimulator

BASE_PATH = "/remote-payment-gateway-1.0/api/dfs"
REQUIRED_HEADERS = ("X-KM-Api-Version", "X-KM-IP-V4", "X-KM-Client-Type")
DHAKA = timezone(timedelta(hours=6))
SWITCHES = (
    "cancel",
    "insufficient_balance",
    "timeout",
    "bad_signature",
    "amount_mismatch",
    "duplicate_callback",
    "server_error",
)
# (verify status, verify statusCode, callback status_code) per outcome.
OUTCOMES = {
    "success": ("Success", "000", "00_0000_000"),
    "cancel": ("Aborted", "001", "00_1111_001"),
    "insufficient_balance": ("Failed", "InsufficientBalance", "00_1111_017"),
}
_INIT_RE = re.compile(rf"^{BASE_PATH}/check-out/initialize/([^/]+)/([^/]+)$")
_COMPLETE_RE = re.compile(rf"^{BASE_PATH}/check-out/complete/([^/]+)$")
_VERIFY_RE = re.compile(rf"^{BASE_PATH}/verify/payment/([^/]+)$")
_CHECKOUT_RE = re.compile(rf"^{BASE_PATH}/checkout/([^/]+)$")


def generate_key_pair(bits=2048):
    """Return ``(private_pem, public_pem)`` strings of a fresh RSA key pair."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


class _Refused(Exception):
    def __init__(self, reason, message, status=400):
        super().__init__(message)
        self.reason, self.message, self.status = reason, message, status


class NagadSimulator(LoopbackHttpSimulator):
    """In-memory Nagad checkout on ``127.0.0.1`` (a free port)."""

    handler_attribute = "simulator"

    def __init__(
        self,
        merchant_id,
        merchant_public_key_pem,
        *,
        merchant_number="01711428036",
        private_key_pem=None,
        timeout_delay=2.0,
    ):
        self.merchant_id = merchant_id
        self.merchant_number = merchant_number
        self.merchant_public_key = serialization.load_pem_public_key(
            merchant_public_key_pem.encode()
        )
        if private_key_pem is None:
            private_key_pem, _public = generate_key_pair()
        self._key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        self.public_key_pem = (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self.timeout_delay = timeout_delay
        self.payments = {}  # paymentReferenceId -> dict
        self.orders = set()
        self.requests = []  # (method, path, headers, body) as received
        self.interactive = False  # GET callBackUrl without action: a clickable page (demo)
        self._lock = threading.Lock()
        self.reset()

    # Life cycle -----------------------------------------------------------------------

    def reset(self):
        for name in SWITCHES:
            setattr(self, name, False)

    def _get_handler_class(self):
        return _Handler

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    # Crypto ---------------------------------------------------------------------------

    def _open(self, sensitive, signature):
        """Decrypt the merchant's sensitiveData and check its signature."""
        try:
            plain = self._key.decrypt(base64.b64decode(sensitive), padding.PKCS1v15())
            data = json.loads(plain)
        except (ValueError, TypeError):
            raise _Refused("InvalidSensitiveData", "sensitiveData does not decrypt.") from None
        try:
            self.merchant_public_key.verify(
                base64.b64decode(signature), plain, padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError, TypeError):
            raise _Refused("InvalidSignature", "The merchant signature is invalid.") from None
        if not isinstance(data, dict):
            raise _Refused("InvalidSensitiveData", "sensitiveData is not a JSON object.")
        return data

    def _seal(self, payload):
        """Encrypt *payload* for the merchant and sign it with Nagad's key."""
        plain = json.dumps(payload, separators=(",", ":")).encode()
        sealed = self.merchant_public_key.encrypt(plain, padding.PKCS1v15())
        signed = plain + b" " if self.bad_signature else plain
        signature = self._key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        return {
            "sensitiveData": base64.b64encode(sealed).decode(),
            "signature": base64.b64encode(signature).decode(),
        }

    # Endpoints ------------------------------------------------------------------------

    def initialize(self, merchant_id, order_id, body):
        for name in ("accountNumber", "dateTime", "sensitiveData", "signature"):
            if not isinstance(body.get(name), str):
                raise _Refused("InvalidRequest", f"{name} is missing.")
        if merchant_id != self.merchant_id or body["accountNumber"] != self.merchant_number:
            raise _Refused("InvalidMerchant", "Unknown merchant or account number.")
        if not re.match(r"^\d{14}$", body["dateTime"]):
            raise _Refused("InvalidDateTime", "dateTime must be YYYYmmddHHMMSS.")
        data = self._open(body["sensitiveData"], body["signature"])
        if (
            data.get("merchantId") != merchant_id
            or data.get("orderId") != order_id
            or data.get("datetime") != body["dateTime"]
            or not data.get("challenge")
        ):
            raise _Refused("InvalidSensitiveData", "sensitiveData does not match the request.")
        with self._lock:
            if order_id in self.orders:
                raise _Refused("DuplicateOrderId", f"Order {order_id} was already initialized.")
            self.orders.add(order_id)
            ref = f"MDE{secrets.token_hex(8).upper()}"
            challenge = secrets.token_hex(20)
            self.payments[ref] = {
                "orderId": order_id,
                "challenge": challenge,
                "status": "Initiated",
                "orderDateTime": datetime.now(DHAKA).strftime("%Y-%m-%d %H:%M:%S"),
            }
        return self._seal(
            {
                "paymentReferenceId": ref,
                "challenge": challenge,
                "acceptDateTime": datetime.now(DHAKA).strftime("%Y%m%d%H%M%S"),
            }
        )

    def complete(self, ref, body):
        for name in ("sensitiveData", "signature", "merchantCallbackURL"):
            if not isinstance(body.get(name), str):
                raise _Refused("InvalidRequest", f"{name} is missing.")
        data = self._open(body["sensitiveData"], body["signature"])
        with self._lock:
            payment = self.payments.get(ref)
            if payment is None:
                raise _Refused("InvalidPaymentReference", f"Unknown payment {ref}.")
            if payment["status"] != "Initiated":
                raise _Refused("InvalidState", f"Payment {ref} is already {payment['status']}.")
            if (
                data.get("merchantId") != self.merchant_id
                or data.get("orderId") != payment["orderId"]
                or data.get("challenge") != payment["challenge"]
            ):
                raise _Refused("InvalidSensitiveData", "merchantId, orderId or challenge differ.")
            if data.get("currencyCode") != "050":
                raise _Refused("InvalidCurrency", "Only BDT (050) is accepted.")
            try:
                amount = Decimal(str(data.get("amount")))
            except InvalidOperation:
                amount = None
            if amount is None or not amount.is_finite() or amount <= 0:
                raise _Refused("InvalidAmount", f"Bad amount {data.get('amount')!r}.")
            payment.update(
                status="Ready",
                amount=amount,
                callbackURL=body["merchantCallbackURL"],
                additionalMerchantInfo=body.get("additionalMerchantInfo"),
            )
        return {"status": "Success", "callBackUrl": f"{self.base_url}/checkout/{ref}"}

    def verify(self, ref):
        with self._lock:
            payment = self.payments.get(ref)
            if payment is None:
                raise _Refused("InvalidPaymentReference", f"Unknown payment {ref}.")
            paid = payment.get("charged", payment.get("amount", Decimal(0)))
            return {
                "merchantId": self.merchant_id,
                "orderId": payment["orderId"],
                "paymentRefId": ref,
                "amount": f"{paid}",
                "clientMobileNo": payment.get("clientMobileNo"),
                "merchantMobileNo": self.merchant_number,
                "orderDateTime": payment["orderDateTime"],
                "issuerPaymentDateTime": payment.get("issuerPaymentDateTime"),
                "issuerPaymentRefNo": payment.get("issuerPaymentRefNo"),
                "additionalMerchantInfo": payment.get("additionalMerchantInfo"),
                "status": payment["status"],
                "statusCode": payment.get("statusCode", ""),
            }

    # The customer's part ----------------------------------------------------------------

    def customer_pays(self, ref, msisdn="01700000000", action=None):
        """Play the customer on Nagad's page; return the callback parameter dicts.

        One dict normally, the same one twice with ``duplicate_callback``. ``action``
        ``cancel`` (the page's button) cancels whatever the switches say.
        """
        if action == "cancel" or self.cancel:
            outcome = "cancel"
        elif self.insufficient_balance:
            outcome = "insufficient_balance"
        else:
            outcome = "success"
        status, code, callback_code = OUTCOMES[outcome]
        with self._lock:
            payment = self.payments[ref]
            if payment["status"] != "Ready":
                raise ValueError(f"Payment {ref} is {payment['status']}, not ready to pay.")
            payment.update(status=status, statusCode=code, callbackStatusCode=callback_code)
            if outcome == "success":
                charged = payment["amount"]
                if self.amount_mismatch:
                    charged = (charged * Decimal("0.9")).quantize(Decimal("0.01"))
                payment.update(
                    charged=charged,
                    clientMobileNo=msisdn,
                    issuerPaymentRefNo=f"7{secrets.token_hex(4).upper()}",
                    issuerPaymentDateTime=datetime.now(DHAKA).strftime("%Y%m%d%H%M%S"),
                )
        params = self.callback_params(ref)
        return [params, dict(params)] if self.duplicate_callback else [params]

    complete_payment = customer_pays

    def callback_params(self, ref):
        """The query parameters Nagad puts on the merchant's callback URL for *ref*."""
        with self._lock:
            payment = self.payments[ref]
            return {
                "merchant": self.merchant_id,
                "order_id": payment["orderId"],
                "payment_ref_id": ref,
                "status": payment["status"],
                "status_code": payment.get("callbackStatusCode", ""),
                "message": payment["status"],
                "payment_dt": payment.get("issuerPaymentDateTime") or "",
                "issuer_payment_ref": payment.get("issuerPaymentRefNo") or "",
            }

    def callback_url(self, ref):
        """The full URL the customer's browser is sent back to."""
        base = self.payments[ref]["callbackURL"]
        return f"{base}{'&' if '?' in base else '?'}{urlencode(self.callback_params(ref))}"


class _Handler(BaseHTTPRequestHandler):
    simulator = None
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def _reply(self, status, payload):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        ctype = "text/html" if isinstance(payload, bytes) else "application/json"
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout switch)

    def _checkout_page(self, ref, query):
        """The customer's page: pay or cancel, then back to the merchant (302)."""
        sim = self.simulator
        payment = sim.payments.get(ref)
        action = parse_qs(query).get("action", [None])[0]
        if payment is None or action not in (None, "pay", "cancel"):
            return self._reply(404, b"<html><body>Unknown payment</body></html>")
        if action is None and sim.interactive:
            page = render(
                "Nagad",
                payment["orderId"],
                payment.get("amount", ""),
                "BDT",
                with_action(self.path, "pay"),
                with_action(self.path, "cancel"),
            )
            return self._reply(200, page.encode())
        if payment["status"] == "Ready":  # a reload after paying just goes back
            sim.customer_pays(ref, action=action)
        self.send_response(302)
        self.send_header("Location", sim.callback_url(ref))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _handle(self, method):
        sim = self.simulator
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if method == "GET" and (match := _CHECKOUT_RE.match(path)):
            return self._checkout_page(match.group(1), urlsplit(self.path).query)
        sim.requests.append((method, path, dict(self.headers), raw))
        if sim.timeout:
            sim._stopping.wait(sim.timeout_delay)
        if sim.server_error:
            return self._reply(500, b"<html><body>Internal Server Error</body></html>")
        try:
            missing = [name for name in REQUIRED_HEADERS if not self.headers.get(name)]
            if missing:
                raise _Refused("InvalidRequest", f"Missing headers: {', '.join(missing)}.")
            if self.headers["X-KM-Api-Version"] != "v-0.2.0":
                raise _Refused("InvalidRequest", "Unsupported X-KM-Api-Version.")
            body = {}
            if method == "POST":
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    raise _Refused("InvalidRequest", "The body is not a JSON object.")
            if method == "POST" and (match := _INIT_RE.match(path)):
                return self._reply(200, sim.initialize(*match.groups(), body))
            if method == "POST" and (match := _COMPLETE_RE.match(path)):
                return self._reply(200, sim.complete(match.group(1), body))
            if method == "GET" and (match := _VERIFY_RE.match(path)):
                return self._reply(200, sim.verify(match.group(1)))
            raise _Refused("NotFound", f"No endpoint {method} {path}.", status=404)
        except _Refused as refusal:
            return self._reply(
                refusal.status, {"reason": refusal.reason, "message": refusal.message}
            )

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")
