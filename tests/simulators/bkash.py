"""bKash Tokenized Checkout simulator: HTTP on loopback, payments kept in memory.

It follows the endpoints and fields of the tokenized checkout API (token grant and
refresh, create/execute, payment status, refund, search transaction, agreements)
and plays the customer's part on ``bkashURL``:

    sim = BkashSimulator().start()
    client = BkashClient(sim.app_key, sim.app_secret, sim.username, sim.password,
                         base_url=sim.base_url, timeout=2)
    created = client.create_payment("100.00", "INV-1", "C-1", "http://shop/cb")
    params = sim.complete_payment(created.payment_id)   # customer enters the PIN
    client.confirm_callback(params)
    sim.stop()

The browser path works too: ``GET bkashURL[?action=success|failure|cancel]``
answers 302 to ``callbackURL?paymentID=...&status=...``. With ``interactive`` set (the
demo's simulators), the page without ``action`` shows ``Pay`` / ``Cancel`` buttons instead.

Switches (attributes, settable at any time):
``cancel`` (the customer cancels), ``insufficient_balance`` (execute -> 2023),
``timeout`` (the next API answers come after ``timeout_delay`` seconds),
``bad_signature`` (bKash signs nothing; the answer of execute/status belongs to
another payment, which the client must refuse), ``amount_mismatch`` (execute and
status report ``amount_delta`` more than was created), ``duplicate_callback``
(the callback parameters are produced twice), ``server_error`` (HTTP 500),
``malformed`` (an answer that is not JSON).
A second execute of one paymentID answers ``2117`` as bKash does, whether it
comes from a duplicate or a concurrent callback.
"""

import itertools
import json
import secrets
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

from .checkout_page import render, with_action
from .http_base import LoopbackHttpSimulator

API_PREFIX = "/v1.2.0-beta/tokenized/checkout"
PAY_PATH = "/pay/"


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%S:000 GMT+0600")


def _error(code, message):
    return {"statusCode": code, "statusMessage": message}


class BkashSimulator(LoopbackHttpSimulator):
    def __init__(
        self,
        app_key="sim-app-key",
        app_secret="sim-app-secret",
        username="sandboxTokenizedUser02",
        password="sim-password",
        expires_in=3600,
        msisdn="01770618575",
    ):
        self.app_key = app_key
        self.app_secret = app_secret
        self.username = username
        self.password = password
        self.expires_in = expires_in
        self.msisdn = msisdn
        # switches
        self.cancel = False
        self.insufficient_balance = False
        self.timeout = False
        self.timeout_delay = 2.0
        self.bad_signature = False
        self.amount_mismatch = False
        self.amount_delta = Decimal("1.00")
        self.duplicate_callback = False
        self.server_error = False
        self.malformed = False
        self.interactive = False  # GET bkashURL without action: a clickable page (demo)
        # state
        self.payments = {}
        self.agreements = {}
        self.tokens = {}  # id_token -> expires_at (time.time())
        self.refresh_tokens = set()
        self.calls = []  # (path, body) of every API call, in order
        self.lock = threading.RLock()
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle

    def _get_handler_class(self):
        return _Handler

    @property
    def base_url(self):
        return self.root_url + API_PREFIX

    # ------------------------------------------------------------------ helpers for tests

    def count(self, path):
        return sum(1 for called, _body in self.calls if called == path)

    def expire_tokens(self):
        """Make every granted id_token invalid (as after an hour), keep refresh tokens."""
        with self.lock:
            self.tokens.clear()

    def completed_transactions(self):
        """trxIDs of payments that moved money (one per completed payment)."""
        with self.lock:
            return [p["trxID"] for p in self.payments.values() if p.get("trxID")]

    def customer_cancels_agreement(self, agreement_id):
        """The customer cancels the agreement in the bKash app (auto-debit tests)."""
        with self.lock:
            self.agreements[agreement_id]["agreementStatus"] = "Cancelled"

    def complete_payment(self, payment_id, action=None):
        """Play the customer on bkashURL; return the callback query parameters.

        ``action`` defaults to ``success``, or ``cancel`` with the ``cancel`` switch.
        """
        params = self.customer_pays(payment_id, action)
        return params

    def customer_pays(self, payment_id, action=None):
        action = action or ("cancel" if self.cancel else "success")
        with self.lock:
            payment = self.payments[payment_id]
            if payment["status"] == "Initiated":
                payment["status"] = {
                    "success": "Authorized",
                    "failure": "Failed",
                    "cancel": "Cancelled",
                }[action]
                payment["customerMsisdn"] = self.msisdn
        return {"paymentID": payment_id, "status": action}

    def callback_params(self, payment_id, action=None):
        """The callbacks the browser brings back: twice with ``duplicate_callback``."""
        params = self.customer_pays(payment_id, action)
        return [params, dict(params)] if self.duplicate_callback else [params]

    def callback_url(self, payment_id, action=None):
        params = self.customer_pays(payment_id, action)
        base = self.payments[payment_id]["callbackURL"]
        return base + ("&" if "?" in base else "?") + urlencode(params)

    # ------------------------------------------------------------------ API

    def handle(self, path, headers, body):
        """Return (http_status, json-able dict) for one API call."""
        with self.lock:
            self.calls.append((path, body))
        if path in ("/token/grant", "/token/refresh"):
            return self._token(path, headers, body)
        token = headers.get("Authorization", "")
        with self.lock:
            expires_at = self.tokens.get(token)
        if expires_at is None or expires_at < time.time():
            return 401, {"message": "Unauthorized"}
        if headers.get("X-APP-Key") != self.app_key:
            return 200, _error("2001", "Invalid App Key")
        routes = {
            "/create": self._create,
            "/execute": self._execute,
            "/payment/status": self._status,
            "/payment/refund": self._refund,
            "/general/searchTransaction": self._search,
            "/agreement/status": self._agreement_status,
            "/agreement/cancel": self._agreement_cancel,
        }
        if path not in routes:
            return 404, {"message": "Not Found"}
        with self.lock:
            return routes[path](body)

    def _token(self, path, headers, body):
        if (
            headers.get("username") != self.username
            or headers.get("password") != self.password
            or body.get("app_key") != self.app_key
            or body.get("app_secret") != self.app_secret
        ):
            return 200, _error("2079", "Invalid username and password")
        with self.lock:
            if path == "/token/refresh":
                if body.get("refresh_token") not in self.refresh_tokens:
                    return 200, _error("2079", "Invalid refresh token")
            id_token = "tok-" + secrets.token_hex(12)
            refresh = "ref-" + secrets.token_hex(12)
            self.tokens[id_token] = time.time() + self.expires_in
            self.refresh_tokens.add(refresh)
        return 200, {
            "statusCode": "0000",
            "statusMessage": "Successful",
            "id_token": id_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": refresh,
        }

    def _new_payment_id(self, mode):
        return f"TR{mode}{next(self._ids):06d}{secrets.token_hex(4).upper()}"

    def _create(self, body):
        mode = body.get("mode")
        if mode not in ("0000", "0001", "0011"):
            return 200, _error("2003", "Process failed")
        payment_id = self._new_payment_id(mode)
        payment = {
            "paymentID": payment_id,
            "mode": mode,
            "payerReference": body.get("payerReference", ""),
            "callbackURL": body.get("callbackURL", ""),
            "status": "Initiated",
            "paymentCreateTime": _now(),
        }
        if mode != "0000":
            try:
                amount = Decimal(body.get("amount", ""))
            except ArithmeticError:
                return 200, _error("2008", "Invalid Amount")
            if amount <= 0 or body.get("currency") != "BDT":
                return 200, _error("2008", "Invalid Amount")
            payment.update(
                amount=amount,
                currency=body["currency"],
                intent=body.get("intent", "sale"),
                merchantInvoiceNumber=body.get("merchantInvoiceNumber", ""),
            )
        if mode == "0001":
            agreement = self.agreements.get(body.get("agreementID"))
            if agreement is None or agreement["agreementStatus"] != "Completed":
                return 200, _error("2054", "Invalid Agreement ID or agreement not active")
            payment["agreementID"] = agreement["agreementID"]
            payment["customerMsisdn"] = agreement["customerMsisdn"]
            # Auto-debit: the agreement already carries the customer's consent.
            payment["status"] = "Authorized"
        self.payments[payment_id] = payment
        reply = {
            "statusCode": "0000",
            "statusMessage": "Successful",
            "paymentID": payment_id,
            "bkashURL": f"{self.root_url}{PAY_PATH}{payment_id}",
            "callbackURL": payment["callbackURL"],
            "paymentCreateTime": payment["paymentCreateTime"],
        }
        if mode == "0000":
            reply["agreementStatus"] = "Initiated"
        else:
            reply.update(
                transactionStatus="Initiated",
                amount=str(payment["amount"]),
                currency=payment["currency"],
                intent=payment["intent"],
                merchantInvoiceNumber=payment["merchantInvoiceNumber"],
            )
        return 200, reply

    def _payment_view(self, payment):
        amount = payment["amount"]
        if self.amount_mismatch:
            amount += self.amount_delta
        view = {
            "paymentID": payment["paymentID"],
            "mode": payment["mode"],
            "paymentCreateTime": payment["paymentCreateTime"],
            "amount": str(amount),
            "currency": payment["currency"],
            "intent": payment["intent"],
            "merchantInvoiceNumber": payment["merchantInvoiceNumber"],
            "payerReference": payment["payerReference"],
            "transactionStatus": (
                "Initiated" if payment["status"] == "Authorized" else payment["status"]
            ),
            "statusCode": "0000",
            "statusMessage": "Successful",
        }
        for key in ("trxID", "customerMsisdn", "agreementID", "paymentExecuteTime"):
            if payment.get(key):
                view[key] = payment[key]
        if self.bad_signature:
            view["paymentID"] = self._new_payment_id(payment["mode"])
        return view

    def _execute(self, body):
        payment = self.payments.get(body.get("paymentID"))
        if payment is None:
            return 200, _error("2002", "Invalid Payment ID")
        if payment.get("executed"):
            return 200, _error("2117", "Payment execution already been called before")
        if payment["status"] != "Authorized":
            return 200, _error("2056", "Invalid Payment State")
        payment["executed"] = True
        if payment["mode"] == "0000":
            return self._execute_agreement(payment)
        if self.insufficient_balance:
            payment["status"] = "Failed"
            return 200, _error("2023", "Insufficient Balance")
        payment["status"] = "Completed"
        payment["trxID"] = f"BK{next(self._ids):04d}{secrets.token_hex(3).upper()}"
        payment["paymentExecuteTime"] = _now()
        return 200, self._payment_view(payment)

    def _execute_agreement(self, payment):
        agreement_id = f"AGR{next(self._ids):04d}{secrets.token_hex(6).upper()}"
        payment["status"] = "Completed"
        agreement = {
            "paymentID": payment["paymentID"],
            "agreementID": agreement_id,
            "payerReference": payment["payerReference"],
            "customerMsisdn": payment["customerMsisdn"],
            "agreementExecuteTime": _now(),
            "agreementStatus": "Completed",
        }
        self.agreements[agreement_id] = agreement
        payment["agreementID"] = agreement_id
        return 200, {**agreement, "statusCode": "0000", "statusMessage": "Successful"}

    def _status(self, body):
        payment = self.payments.get(body.get("paymentID"))
        if payment is None or payment["mode"] == "0000":
            return 200, _error("2002", "Invalid Payment ID")
        return 200, self._payment_view(payment)

    def _refund(self, body):
        payment = self.payments.get(body.get("paymentID"))
        if payment is None or payment.get("trxID") != body.get("trxID"):
            return 200, _error("2002", "Invalid Payment ID")
        try:
            amount = Decimal(body.get("amount", ""))
        except ArithmeticError:
            return 200, _error("2008", "Invalid Amount")
        refunded = payment.get("refunded", Decimal(0))
        if amount <= 0 or amount + refunded > payment["amount"]:
            return 200, _error("2071", "Refund amount exceeds the transaction amount")
        payment["refunded"] = refunded + amount
        return 200, {
            "completedTime": _now(),
            "transactionStatus": "Completed",
            "originalTrxID": payment["trxID"],
            "refundTrxID": f"RF{next(self._ids):04d}{secrets.token_hex(3).upper()}",
            "amount": str(amount),
            "currency": payment["currency"],
            "charge": "0.00",
        }

    def _search(self, body):
        for payment in self.payments.values():
            if payment.get("trxID") and payment["trxID"] == body.get("trxID"):
                view = self._payment_view(payment)
                view.pop("paymentID", None)
                view.update(
                    trxID=payment["trxID"],
                    transactionType="Tokenized Checkout",
                    organizationShortCode="50022",
                    initiationTime=payment["paymentCreateTime"],
                    completedTime=payment["paymentExecuteTime"],
                )
                return 200, view
        return 200, _error("2002", "Invalid transaction ID")

    def _agreement_status(self, body):
        agreement = self.agreements.get(body.get("agreementID"))
        if agreement is None:
            return 200, _error("2054", "Invalid Agreement ID")
        return 200, {**agreement, "statusCode": "0000", "statusMessage": "Successful"}

    def _agreement_cancel(self, body):
        agreement = self.agreements.get(body.get("agreementID"))
        if agreement is None or agreement["agreementStatus"] != "Completed":
            return 200, _error("2054", "Invalid Agreement ID")
        agreement["agreementStatus"] = "Cancelled"
        agreement["agreementVoidTime"] = _now()
        return 200, {**agreement, "statusCode": "0000", "statusMessage": "Successful"}


class _Handler(BaseHTTPRequestHandler):
    sim = None  # set on the subclass made by BkashSimulator.start()
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        """Keep the test output quiet."""

    def _send(self, status, body, content_type="application/json", extra=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        sim = self.sim
        url = urlsplit(self.path)
        if not url.path.startswith(PAY_PATH):
            return self._send(404, {"message": "Not Found"})
        payment_id = url.path[len(PAY_PATH) :]
        if payment_id not in sim.payments:
            return self._send(404, {"message": "Not Found"})
        action = parse_qs(url.query).get("action", [None])[0]
        if action not in (None, "success", "failure", "cancel"):
            return self._send(400, {"message": "Bad action"})
        if action is None and sim.interactive:
            payment = sim.payments[payment_id]
            page = render(
                "bKash",
                payment.get("merchantInvoiceNumber") or payment_id,
                payment.get("amount", ""),
                payment.get("currency", ""),
                with_action(self.path, "success"),
                with_action(self.path, "cancel"),
            )
            return self._send(200, page.encode(), "text/html; charset=utf-8")
        self._send(302, b"", "text/plain", {"Location": sim.callback_url(payment_id, action)})

    def do_POST(self):
        sim = self.sim
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if not path.startswith(API_PREFIX):
            return self._send(404, {"message": "Not Found"})
        path = path[len(API_PREFIX) :]
        if sim.timeout:
            sim._stopping.wait(sim.timeout_delay)
        if sim.server_error:
            return self._send(500, b"<html>Internal Server Error</html>", "text/html")
        if sim.malformed:
            return self._send(200, b"<html>Service Unavailable</html>", "text/html")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._send(400, _error("2003", "Process failed"))
        status, reply = sim.handle(path, self.headers, body)
        self._send(status, reply)
