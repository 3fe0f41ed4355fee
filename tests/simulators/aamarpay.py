"""AamarPay simulator: the JSON checkout and trxcheck API over loopback HTTP.

It is a test peer, not a mock: the real client talks to it with ``requests``.
Endpoints follow the reference: ``POST /jsonpost.php`` (JSON, answers
``{result: "true", payment_url}``), ``GET /api/v1/trxcheck/request.php`` (answers the
transaction record with ``pay_status``, ``amount``, ``pg_txnid`` ...), plus the hosted
page ``GET /paynow.php?track=...&action=pay|cancel`` a browser can drive. Payments live in
memory. Where the reference is silent, refusals are ``{result: "false", message}``.

    sim = AamarPaySimulator().start()
    client = AamarPayClient(sim.store_id, sim.signature_key, base_url=sim.base_url)
    client.create_payment("INV-1", "500.00", ...)
    params = sim.complete_payment("INV-1")      # the customer pays; callback POST data
    sim.send_callback("INV-1")                  # or let the "browser" post it
    sim.stop()

Switches (attributes, set any time): ``cancel``, ``insufficient_balance``, ``timeout``
(every API answer waits ``timeout_delay`` seconds), ``bad_signature`` (the store's
signature_key is refused), ``amount_mismatch`` (the payment is recorded and reported
for 1.00 less than asked), ``duplicate_callback`` (callbacks come twice, concurrently),
``server_error`` (HTTP 500).
"""

import html
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from http.server import BaseHTTPRequestHandler

from .checkout_page import render, with_action
from .http_base import LoopbackHttpSimulator

SANDBOX_STORE_ID = "aamarpaytest"
SANDBOX_SIGNATURE_KEY = "dbb74894e82415a2f7ff0ec3a97e4183"
FEE_RATE = Decimal("0.02")
REQUIRED_INIT_FIELDS = (
    "store_id",
    "signature_key",
    "tran_id",
    "amount",
    "currency",
    "desc",
    "cus_name",
    "cus_email",
    "cus_phone",
    "success_url",
    "fail_url",
    "cancel_url",
)
STATUS_CODES = {"Pending": "0", "Successful": "2", "Cancelled": "3", "Failed": "7"}
SWITCHES = (
    "cancel",
    "insufficient_balance",
    "timeout",
    "bad_signature",
    "amount_mismatch",
    "duplicate_callback",
    "server_error",
)


class AamarPaySimulator(LoopbackHttpSimulator):
    def __init__(self, store_id=SANDBOX_STORE_ID, signature_key=SANDBOX_SIGNATURE_KEY):
        self.store_id = store_id
        self.signature_key = signature_key
        self.timeout_delay = 2.0
        for name in SWITCHES:
            setattr(self, name, False)
        self.payments = {}  # tran_id -> record (what trxcheck answers)
        self.requests = []  # (method, path) of every API call, for assertions
        self._lock = threading.Lock()
        self._seq = itertools.count(1)

    # -- lifecycle -------------------------------------------------------------------------

    def _get_handler_class(self):
        return _Handler

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def reset(self):
        for name in SWITCHES:
            setattr(self, name, False)
        with self._lock:
            self.payments.clear()
            self.requests.clear()

    # -- the customer's and the gateway's part ---------------------------------------------

    def complete_payment(self, tran_id, cancel=False):
        """The customer finishes on the hosted page; returns the trxcheck record.

        Honours ``cancel`` (or *cancel*) and ``insufficient_balance``; ``amount_mismatch``
        records the payment for 1.00 less than asked.
        """
        with self._lock:
            record = self.payments[tran_id]
            if cancel or self.cancel:
                self._set_status(record, "Cancelled", "Customer cancelled the payment")
            elif self.insufficient_balance:
                self._set_status(record, "Failed", "Insufficient Balance")
            else:
                if self.amount_mismatch:
                    paid = Decimal(record["amount"]) - Decimal("1.00")
                    record["amount"] = f"{paid:.2f}"
                    record["other_currency"] = record["amount"]
                paid = Decimal(record["amount"])
                fee = (paid * FEE_RATE).quantize(Decimal("0.01"))
                record["store_amount"] = f"{paid - fee:.2f}"
                record["pg_service_charge_bdt"] = f"{fee:.2f}"
                record["bank_trxid"] = f"BKT{next(self._seq):08d}"
                record["card_type"] = "bKash-bKash"
                record["pay_time"] = time.strftime("%Y-%m-%d %H:%M:%S")
                self._set_status(record, "Successful", "")
            return dict(record)

    customer_pays = complete_payment

    def callback_params(self, tran_id):
        """The POST data(s) the browser brings to success_url/fail_url (two with
        ``duplicate_callback``); empty for a cancel, AamarPay posts nothing there."""
        with self._lock:
            record = dict(self.payments[tran_id])
        params = {} if record["pay_status"] == "Cancelled" else _callback_fields(record)
        return [params, dict(params)] if self.duplicate_callback else [params]

    def callback_url(self, tran_id):
        record = self.payments[tran_id]
        return {
            "Successful": record["success_url"],
            "Cancelled": record["cancel_url"],
        }.get(record["pay_status"], record["fail_url"])

    def send_callback(self, tran_id, timeout=10):
        """Deliver the callback(s) to the merchant's URL over HTTP; returns HTTP statuses.

        Duplicates are sent concurrently, as a double-submitting browser would.
        """
        url = self.callback_url(tran_id)
        statuses = []

        def deliver(params):
            data = urllib.parse.urlencode(params).encode() if params else None
            request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)

        threads = [
            threading.Thread(target=deliver, args=(p,)) for p in self.callback_params(tran_id)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout + 1)
        return statuses

    # -- request handling (called by the handler) ------------------------------------------

    def _set_status(self, record, status, details):
        record["pay_status"] = status
        record["status_code"] = STATUS_CODES[status]
        record["status_title"] = f"{status} Transaction"
        record["pg_error_code_details"] = details

    def _faults(self):
        """Return (status, body) for the server_error switch, sleeping for timeout."""
        if self.timeout:
            self._stopping.wait(self.timeout_delay)
        if self.server_error:
            return 500, "<html><body>500 Internal Server Error</body></html>"
        return None

    def _credentials_ok(self, store_id, signature_key):
        return (
            not self.bad_signature
            and store_id == self.store_id
            and signature_key == self.signature_key
        )

    def handle_init(self, payload):
        if not isinstance(payload, dict):
            return 200, {"result": "false", "message": "Invalid JSON request"}
        if not self._credentials_ok(payload.get("store_id"), payload.get("signature_key")):
            return 200, {"result": "false", "message": "Invalid Store ID or Signature Key"}
        missing = [key for key in REQUIRED_INIT_FIELDS if not str(payload.get(key) or "").strip()]
        if missing:
            return 200, {"result": "false", "message": f"{missing[0]} is required"}
        if payload.get("type") != "json":
            return 200, {"result": "false", "message": "type must be json"}
        try:
            amount = Decimal(str(payload["amount"]))
        except ArithmeticError:
            amount = Decimal(0)
        if not amount.is_finite() or amount <= 0:
            return 200, {"result": "false", "message": "Invalid amount"}
        if payload["currency"] not in ("BDT", "USD"):
            return 200, {"result": "false", "message": "Invalid currency"}
        tran_id = payload["tran_id"]
        with self._lock:
            existing = self.payments.get(tran_id)
            if existing and existing["pay_status"] != "Pending":
                return 200, {"result": "false", "message": "Duplicate tran_id"}
            pg_txnid = f"AAM{int(time.time())}{next(self._seq):06d}"
            record = {
                "pg_txnid": pg_txnid,
                "mer_txnid": tran_id,
                "store_id": self.store_id,
                "risk_title": "Safe",
                "risk_level": "0",
                "cus_name": payload["cus_name"],
                "cus_email": payload["cus_email"],
                "cus_phone": payload["cus_phone"],
                "cus_add1": payload.get("cus_add1", ""),
                "cus_city": payload.get("cus_city", ""),
                "desc": payload["desc"],
                "currency_merchant": payload["currency"],
                "convertion_rate": "",
                "ip_address": "127.0.0.1",
                "other_currency": f"{amount:.2f}",
                "amount": f"{amount:.2f}",
                "currency": payload["currency"],
                "store_amount": "",
                "pg_service_charge_bdt": "",
                "pay_time": "",
                "bank_trxid": "",
                "card_type": "",
                "payment_type": "bKash",
                "success_url": payload["success_url"],
                "fail_url": payload["fail_url"],
                "cancel_url": payload["cancel_url"],
                "opt_a": payload.get("opt_a", ""),
                "opt_b": payload.get("opt_b", ""),
                "opt_c": payload.get("opt_c", ""),
                "opt_d": payload.get("opt_d", ""),
            }
            self._set_status(record, "Pending", "")
            self.payments[tran_id] = record
        return 200, {
            "result": "true",
            "payment_url": f"{self.base_url}/paynow.php?track={pg_txnid}",
        }

    def handle_trxcheck(self, query):
        if not self._credentials_ok(query.get("store_id"), query.get("signature_key")):
            return 200, {"result": "false", "message": "Invalid Store ID or Signature Key"}
        with self._lock:
            record = self.payments.get(query.get("request_id", ""))
            if record is None:
                return 200, {"result": "false", "message": "Invalid Request ID"}
            return 200, {
                key: value
                for key, value in record.items()
                if key not in ("success_url", "fail_url", "cancel_url")
            }

    def handle_paynow(self, query, path="/paynow.php"):
        """The hosted page: ``action=pay|cancel`` plays the customer and returns the
        auto-submitting form a browser would post to the merchant."""
        with self._lock:
            tran_id = next(
                (t for t, r in self.payments.items() if r["pg_txnid"] == query.get("track")),
                None,
            )
        if tran_id is None:
            return 404, "<html><body>Invalid track</body></html>"
        action = query.get("action")
        if action not in ("pay", "cancel"):
            record = self.payments[tran_id]
            page = render(
                "aamarPay",
                tran_id,
                record["amount"],
                record["currency"],
                with_action(path, "pay"),
                with_action(path, "cancel"),
            )
            return 200, page
        self.complete_payment(tran_id, cancel=action == "cancel")
        url = self.callback_url(tran_id)
        params = self.callback_params(tran_id)[0]
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(str(v))}"/>'
            for k, v in params.items()
        )
        return 200, (
            f'<html><body onload="document.forms[0].submit()">'
            f'<form method="{"post" if params else "get"}" action="{html.escape(url)}">'
            f"{inputs}</form></body></html>"
        )


def _callback_fields(record):
    params = {
        key: value
        for key, value in record.items()
        if key not in ("success_url", "fail_url", "cancel_url", "status_code", "status_title")
    }
    params["epw_txnid"] = record["pg_txnid"]
    params["merchant_id"] = record["store_id"]
    return params


class _Handler(BaseHTTPRequestHandler):
    sim = None  # set on the subclass made by AamarPaySimulator.start()
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def _send(self, status, body):
        if isinstance(body, dict | list):
            payload, ctype = json.dumps(body).encode(), "application/json"
        else:
            payload, ctype = str(body).encode(), "text/html; charset=utf-8"
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (timeout switch)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/paynow.php":
            self._send(*self.sim.handle_paynow(query, self.path))
            return
        if url.path != "/api/v1/trxcheck/request.php":
            self._send(404, {"result": "false", "message": "Not found"})
            return
        self.sim.requests.append(("GET", url.path))
        self._send(*(self.sim._faults() or self.sim.handle_trxcheck(query)))

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if url.path != "/jsonpost.php":
            self._send(404, {"result": "false", "message": "Not found"})
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
        self._send(*self.sim.handle_init(payload))
