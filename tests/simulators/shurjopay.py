"""ShurjoPay simulator: get_token, secret-pay and verification over loopback HTTP.

It is a test peer, not a mock: the real client talks to it with ``requests``.
Endpoints follow the reference, under ``/api/``: ``POST get_token`` (answers ``token``,
``token_type: "Bearer"``, ``store_id``, ``sp_code: "200"``, ``expires_in``), ``POST
secret-pay`` (bearer; answers ``checkout_url`` and ``sp_order_id``), ``POST verification``
(bearer; answers a list whose first item carries ``sp_code``: 1000 paid, 1011 unknown
order, 1068 initiated, 1002 cancelled, 1008 insufficient balance ...). Tokens are signed
(HMAC) by the simulator and checked on every bearer call; an unsigned, forged or expired
token gets HTTP 401. The hosted page ``GET /spaycheckout/?order_id=..&action=pay|cancel``
plays the customer and redirects to ``return_url?order_id=<sp_order_id>``.

    sim = ShurjoPaySimulator().start()
    client = ShurjoPayClient(sim.username, sim.password, "ISP", base_url=sim.base_url)
    session = client.create_payment("INV-1", "500.00", ...)
    params = sim.complete_payment(session.sp_order_id)   # -> {"order_id": sp_order_id}
    sim.stop()

Switches (attributes, set any time): ``cancel``, ``insufficient_balance``, ``timeout``
(every API answer waits ``timeout_delay`` seconds), ``bad_signature`` (issued tokens carry
a bad signature, so bearer calls are refused), ``amount_mismatch`` (the payment is
recorded and reported for 1.00 less than asked), ``duplicate_callback`` (the return comes
twice, concurrently), ``server_error`` (HTTP 500).
"""

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from http.server import BaseHTTPRequestHandler

from .checkout_page import render, with_action
from .http_base import LoopbackHttpSimulator

SANDBOX_USERNAME = "sp_sandbox"
SANDBOX_PASSWORD = "pyyk97hu&6u6"
STORE_ID = 1
REQUIRED_PAY_FIELDS = (
    "prefix",
    "token",
    "store_id",
    "amount",
    "order_id",
    "currency",
    "return_url",
    "cancel_url",
    "client_ip",
    "customer_name",
    "customer_phone",
    "customer_address",
    "customer_city",
)
MESSAGES = {
    "1000": "Success",
    "1002": "Cancel",
    "1008": "Insufficient balance",
    "1011": "Invalid order id",
    "1068": "initiated",
}
SWITCHES = (
    "cancel",
    "insufficient_balance",
    "timeout",
    "bad_signature",
    "amount_mismatch",
    "duplicate_callback",
    "server_error",
)


class ShurjoPaySimulator(LoopbackHttpSimulator):
    def __init__(self, username=SANDBOX_USERNAME, password=SANDBOX_PASSWORD):
        self.username = username
        self.password = password
        self.store_id = STORE_ID
        self.token_lifetime = 3600
        self.timeout_delay = 2.0
        for name in SWITCHES:
            setattr(self, name, False)
        self.payments = {}  # sp_order_id -> verification item (plus our urls)
        self.requests = []  # (method, path) of every API call, for assertions
        self.tokens_issued = 0
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._seq = itertools.count(1)

    # -- lifecycle -------------------------------------------------------------------------

    def _get_handler_class(self):
        return _Handler

    @property
    def base_url(self):
        return f"{self.root_url}/api/"

    def reset(self):
        for name in SWITCHES:
            setattr(self, name, False)
        with self._lock:
            self.payments.clear()
            self.requests.clear()

    # -- tokens ----------------------------------------------------------------------------

    def _sign(self, payload):
        return base64.urlsafe_b64encode(
            hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        ).decode()

    def issue_token(self):
        claims = {"sub": self.store_id, "exp": time.time() + self.token_lifetime}
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode()
        signature = self._sign(payload)
        if self.bad_signature:
            signature = signature[::-1]
        self.tokens_issued += 1
        return f"eyJ0eXAiOiJKV1QifQ.{payload}.{signature}"

    def token_valid(self, token):
        try:
            __, payload, signature = token.split(".")
            if not hmac.compare_digest(signature, self._sign(payload)):
                return False
            claims = json.loads(base64.urlsafe_b64decode(payload))
        except (ValueError, AttributeError):
            return False
        return claims.get("exp", 0) > time.time()

    # -- the customer's and the gateway's part ---------------------------------------------

    def _find(self, order_id):
        if order_id in self.payments:
            return self.payments[order_id]
        for record in self.payments.values():
            if record["customer_order_id"] == order_id:
                return record
        raise KeyError(order_id)

    def complete_payment(self, order_id, cancel=False):
        """The customer finishes on the checkout page (*order_id*: ShurjoPay's or ours).

        Honours ``cancel`` (or *cancel*) and ``insufficient_balance``; ``amount_mismatch``
        records the payment for 1.00 less than asked. Returns the return-URL parameters.
        """
        with self._lock:
            record = self._find(order_id)
            if cancel or self.cancel:
                self._set_code(record, "1002")
                record["transaction_status"] = "Cancel"
            elif self.insufficient_balance:
                self._set_code(record, "1008")
                record["transaction_status"] = "Failed"
                record["method"] = "bKash"
            else:
                if self.amount_mismatch:
                    record["amount"] = f"{Decimal(record['amount']) - Decimal('1.00'):.4f}"
                record["received_amount"] = record["amount"]
                record["bank_trx_id"] = f"BKT{next(self._seq):08d}"
                record["bank_status"] = "Success"
                record["method"] = "bKash"
                record["phone_no"] = record["customer_phone"]
                record["transaction_status"] = "Completed"
                record["date_time"] = time.strftime("%Y-%m-%d %H:%M:%S")
                self._set_code(record, "1000")
            return {"order_id": record["order_id"]}

    customer_pays = complete_payment

    def callback_params(self, order_id):
        """The query parameter(s) the browser brings back (two with ``duplicate_callback``)."""
        with self._lock:
            sp_order_id = self._find(order_id)["order_id"]
        params = {"order_id": sp_order_id}
        return [params, dict(params)] if self.duplicate_callback else [params]

    def callback_url(self, order_id):
        """Where the browser goes back to, with the query string ShurjoPay appends."""
        with self._lock:
            record = self._find(order_id)
        base = record["cancel_url"] if record["sp_code"] == "1002" else record["return_url"]
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}{urllib.parse.urlencode({'order_id': record['order_id']})}"

    def send_callback(self, order_id, timeout=10):
        """Bring the customer back to the merchant over HTTP; returns HTTP statuses.

        Duplicates are sent concurrently, as a double-loading browser would.
        """
        url = self.callback_url(order_id)
        count = len(self.callback_params(order_id))
        statuses = []

        def deliver():
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)

        threads = [threading.Thread(target=deliver) for __ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout + 1)
        return statuses

    # -- request handling (called by the handler) ------------------------------------------

    @staticmethod
    def _set_code(record, code):
        record["sp_code"] = code
        record["sp_message"] = record["sp_massage"] = MESSAGES[code]

    def _faults(self):
        if self.timeout:
            self._stopping.wait(self.timeout_delay)
        if self.server_error:
            return 500, "<html><body>500 Server Error</body></html>"
        return None

    def handle_token(self, payload):
        if (
            not isinstance(payload, dict)
            or payload.get("username") != self.username
            or payload.get("password") != self.password
        ):
            return 200, {"sp_code": "1064", "message": "Authentication failed"}
        return 200, {
            "token": self.issue_token(),
            "store_id": self.store_id,
            "execute_url": f"{self.base_url}secret-pay",
            "token_type": "Bearer",
            "sp_code": "200",
            "message": "Ok",
            "token_create_time": time.strftime("%Y-%m-%d %I:%M:%S%p").lower(),
            "expires_in": self.token_lifetime,
        }

    def handle_pay(self, payload):
        missing = [
            key for key in REQUIRED_PAY_FIELDS if not str((payload or {}).get(key) or "").strip()
        ]
        if missing:
            return 422, {"message": f"The {missing[0]} field is required."}
        if str(payload["store_id"]) != str(self.store_id):
            return 200, {"sp_code": "1064", "message": "Invalid store id"}
        if payload["currency"] not in ("BDT", "USD"):
            return 200, {"sp_code": "1010", "message": "Only BDT and USD are accepted"}
        try:
            amount = Decimal(str(payload["amount"]))
        except ArithmeticError:
            amount = Decimal(0)
        if not amount.is_finite() or amount <= 0:
            return 422, {"message": "The amount must be greater than 0."}
        with self._lock:
            number = next(self._seq)
            sp_order_id = f"{payload['prefix']}{int(time.time()):x}{number:05d}"
            record = {
                "id": number,
                "order_id": sp_order_id,
                "currency": payload["currency"],
                "amount": f"{amount:.4f}",
                "payable_amount": f"{amount:.4f}",
                "discount_amount": "0.0000",
                "disc_percent": 0,
                "received_amount": None,
                "usd_amt": "0.0000",
                "usd_rate": 0,
                "card_holder_name": None,
                "card_number": None,
                "phone_no": None,
                "bank_trx_id": None,
                "invoice_no": sp_order_id,
                "bank_status": None,
                "customer_order_id": payload["order_id"],
                "name": payload["customer_name"],
                "email": payload.get("customer_email"),
                "address": payload["customer_address"],
                "city": payload["customer_city"],
                "customer_phone": payload["customer_phone"],
                "value1": payload.get("value1"),
                "value2": payload.get("value2"),
                "value3": payload.get("value3"),
                "value4": payload.get("value4"),
                "transaction_status": None,
                "method": None,
                "date_time": None,
                "return_url": payload["return_url"],
                "cancel_url": payload["cancel_url"],
            }
            self._set_code(record, "1068")
            self.payments[sp_order_id] = record
        return 200, {
            "checkout_url": (
                f"{self.root_url}/spaycheckout/?token={secrets.token_urlsafe(16)}"
                f"&order_id={sp_order_id}"
            ),
            "amount": float(amount),
            "currency": payload["currency"],
            "sp_order_id": sp_order_id,
            "customer_order_id": payload["order_id"],
            "customer_name": payload["customer_name"],
            "customer_address": payload["customer_address"],
            "customer_city": payload["customer_city"],
            "customer_phone": payload["customer_phone"],
            "customer_email": payload.get("customer_email"),
            "client_ip": payload["client_ip"],
            "intent": "sale",
            "transactionStatus": "Initiated",
        }

    def handle_verification(self, payload):
        order_id = (payload or {}).get("order_id")
        with self._lock:
            record = self.payments.get(order_id)
            if record is None:
                return 200, [{"sp_code": 1011, "message": MESSAGES["1011"]}]
            item = {
                key: value
                for key, value in record.items()
                if key not in ("return_url", "cancel_url", "customer_phone")
            }
        item["recived_amount"] = item["received_amount"]  # ShurjoPay's own spelling, too
        return 200, [item]

    def handle_checkout(self, query, path="/spaycheckout/"):
        """The hosted page: ``action=pay|cancel`` plays the customer, then redirects."""
        if query.get("order_id") not in self.payments:
            return 404, "<html><body>Invalid order</body></html>", None
        if query.get("action") not in ("pay", "cancel"):
            record = self.payments[query["order_id"]]
            page = render(
                "shurjoPay",
                record.get("customer_order_id") or query["order_id"],
                record.get("amount", ""),
                record.get("currency", "BDT"),
                with_action(path, "pay"),
                with_action(path, "cancel"),
            )
            return 200, page, None
        self.complete_payment(query["order_id"], cancel=query["action"] == "cancel")
        return 302, "", self.callback_url(query["order_id"])


class _Handler(BaseHTTPRequestHandler):
    sim = None  # set on the subclass made by ShurjoPaySimulator.start()
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def _send(self, status, body, location=None):
        if isinstance(body, dict | list):
            payload, ctype = json.dumps(body).encode(), "application/json"
        else:
            payload, ctype = str(body).encode(), "text/html; charset=utf-8"
        try:
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (timeout switch)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.rstrip("/") == "/spaycheckout":
            query = dict(urllib.parse.parse_qsl(url.query))
            self._send(*self.sim.handle_checkout(query, self.path))
        else:
            self._send(404, {"message": "Not found"})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        route = {
            "/api/get_token": (self.sim.handle_token, False),
            "/api/secret-pay": (self.sim.handle_pay, True),
            "/api/verification": (self.sim.handle_verification, True),
        }.get(url.path)
        if route is None:
            self._send(404, {"message": "Not found"})
            return
        self.sim.requests.append(("POST", url.path))
        fault = self.sim._faults()
        if fault:
            self._send(*fault)
            return
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            payload = None
        handler, bearer = route
        if bearer:
            header = self.headers.get("Authorization") or ""
            token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
            body_token = (payload or {}).get("token") if isinstance(payload, dict) else None
            if not self.sim.token_valid(token) or body_token not in (None, token):
                self._send(401, {"message": "Unauthenticated."})
                return
        self._send(*handler(payload))
