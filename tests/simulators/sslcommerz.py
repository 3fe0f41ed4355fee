"""SSLCommerz v4 simulator: an HTTP server on loopback speaking the vendor's API.

It keeps sessions and payments in memory and answers the real endpoints:

- ``POST /gwprocess/v4/api.php`` (form) opens a session -> ``sessionkey``, ``GatewayPageURL``;
- ``GET /EasyCheckOut/<sessionkey>`` is the hosted page: the amount with ``Pay`` / ``Cancel``
  buttons; ``?action=pay|cancel`` plays the customer, sends the IPN to ``ipn_url`` and
  answers the form the browser posts back to the merchant;
- ``GET /validator/api/validationserverAPI.php?val_id=`` -> VALID, then VALIDATED, or
  INVALID_TRANSACTION;
- ``GET /validator/api/merchantTransIDvalidationAPI.php`` with ``tran_id`` (query),
  ``sessionkey`` (session query), ``bank_tran_id`` + ``refund_amount`` (refund request) or
  ``refund_ref_id`` (refund status).

The customer's part is played by ``complete_payment(tran_id)``: it settles the session and
returns what the browser posts back (``redirect_url`` + ``form``) and the IPN(s) SSLCommerz
sends (``ipns``), signed as the vendor does (md5 over the ``verify_key`` fields plus
md5(store_passwd)). ``deliver_ipn(checkout)`` posts them to the session's ``ipn_url``.

Switches (attributes, all off by default; ``reset()`` clears them):
``cancel``, ``insufficient_balance``, ``timeout`` (API replies wait ``timeout_delay`` s),
``bad_signature``, ``amount_mismatch`` (the customer pays ``mismatch_amount`` less),
``duplicate_callback`` (the IPN is sent twice), ``server_error`` (API replies are HTTP 500).

    sim = SSLCommerzSimulator().start()
    client = SSLCommerzClient(sim.store_id, sim.store_passwd, base_url=sim.base_url)
    ...
    sim.stop()
"""

import datetime
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler

from .checkout_page import autopost, render, with_action
from .http_base import LoopbackHttpSimulator

SESSION_PATH = "/gwprocess/v4/api.php"
VALIDATION_PATH = "/validator/api/validationserverAPI.php"
MERCHANT_API_PATH = "/validator/api/merchantTransIDvalidationAPI.php"
CHECKOUT_PREFIX = "/EasyCheckOut/"

SWITCHES = (
    "cancel",
    "insufficient_balance",
    "timeout",
    "bad_signature",
    "amount_mismatch",
    "duplicate_callback",
    "server_error",
)
SESSION_REQUIRED = (
    "total_amount",
    "currency",
    "tran_id",
    "success_url",
    "fail_url",
    "cancel_url",
    "cus_name",
    "cus_email",
    "cus_phone",
    "cus_add1",
    "shipping_method",
    "product_name",
    "product_category",
    "product_profile",
)
# BDT per unit of the currencies the simulated store accepts; everything settles in BDT.
RATES = {"BDT": Decimal("1"), "USD": Decimal("110.00"), "EUR": Decimal("120.00")}
CENT = Decimal("0.01")


def _money(value):
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def sign(fields, store_passwd):
    """Return ``fields`` with ``verify_key`` and ``verify_sign`` added the way SSLCommerz does."""
    signed = {key: str(value) for key, value in fields.items()}
    keys = sorted(signed)
    signed["verify_key"] = ",".join(keys)
    data = {key: signed[key] for key in keys}
    data["store_passwd"] = hashlib.md5(store_passwd.encode()).hexdigest()
    text = "&".join(f"{key}={data[key]}" for key in sorted(data))
    signed["verify_sign"] = hashlib.md5(text.encode()).hexdigest()
    signed["verify_sign_sha2"] = hashlib.sha256(text.encode()).hexdigest()
    return signed


@dataclass
class Checkout:
    """What the customer's visit to the gateway produced."""

    tran_id: str
    status: str
    redirect_url: str
    form: dict
    ipns: list
    ipn_url: str = ""


@dataclass
class _Session:
    sessionkey: str
    tran_id: str
    amount: Decimal
    currency: str
    form: dict
    status: str = "UNATTEMPTED"
    val_id: str = ""
    bank_tran_id: str = ""
    paid_bdt: Decimal = Decimal("0")
    paid_amount: Decimal = Decimal("0")
    tran_date: str = ""
    validated_on: str = ""
    error: str = ""
    refunds: list = field(default_factory=list)


class SSLCommerzSimulator(LoopbackHttpSimulator):
    """In-memory SSLCommerz store served over HTTP on 127.0.0.1."""

    handler_attribute = "simulator"

    def __init__(
        self,
        store_id="testbox",
        store_passwd="qwerty",
        *,
        timeout_delay=1.5,
        fee_rate=Decimal("0.025"),
        mismatch_amount=Decimal("1.00"),
    ):
        self.store_id = store_id
        self.store_passwd = store_passwd
        self.timeout_delay = timeout_delay
        self.fee_rate = Decimal(fee_rate)
        self.mismatch_amount = Decimal(mismatch_amount)
        self.settle_refunds = True
        self.sessions = {}
        self.requests = []
        self._lock = threading.Lock()
        self.reset()

    # ------------------------------------------------------------------ lifecycle
    def reset(self):
        for name in SWITCHES:
            setattr(self, name, False)

    def _get_handler_class(self):
        return _Handler

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ lookups
    def _latest(self, tran_id):
        matches = [s for s in self.sessions.values() if s.tran_id == tran_id]
        if not matches:
            raise KeyError(f"no session for tran_id {tran_id!r}")
        return matches[-1]

    def _by(self, attr, value):
        for session in self.sessions.values():
            if value and getattr(session, attr) == value:
                return session
        return None

    def session_for(self, tran_id):
        with self._lock:
            return self._latest(tran_id)

    # ------------------------------------------------------------------ the customer's part
    def complete_payment(self, tran_id, *, sessionkey=None, cancel=False):
        """Play the customer on the hosted page; return the browser post and the IPN(s).

        The switches decide the outcome: ``cancel`` -> CANCELLED, ``insufficient_balance``
        -> FAILED, otherwise VALID (for ``mismatch_amount`` less with ``amount_mismatch``).
        *cancel* (the page's button) cancels whatever the switches say.
        """
        with self._lock:
            session = self.sessions[sessionkey] if sessionkey else self._latest(tran_id)
            now = datetime.datetime.now()
            session.tran_date = now.strftime("%Y-%m-%d %H:%M:%S")
            stamp = now.strftime("%y%m%d%H%M%S")
            if cancel or self.cancel:
                session.status, session.error = "CANCELLED", "Cancelled by customer"
                redirect = session.form["cancel_url"]
            elif self.insufficient_balance:
                session.status, session.error = "FAILED", "Insufficient balance"
                redirect = session.form["fail_url"]
            else:
                session.status, session.error = "VALID", ""
                session.val_id = stamp + secrets.token_hex(7)
                session.bank_tran_id = stamp + secrets.token_hex(4).upper()
                paid = session.amount
                if self.amount_mismatch:
                    paid -= self.mismatch_amount
                session.paid_amount = paid
                session.paid_bdt = (paid * RATES[session.currency]).quantize(CENT)
                redirect = session.form["success_url"]
            fields = self._ipn_fields(session)
            if self.bad_signature:
                fields["verify_sign"] = hashlib.md5(b"forged").hexdigest()
            copies = 2 if self.duplicate_callback else 1
            return Checkout(
                tran_id=session.tran_id,
                status=session.status,
                redirect_url=redirect,
                form=dict(fields),
                ipns=[dict(fields) for _ in range(copies)],
                ipn_url=session.form.get("ipn_url", ""),
            )

    def _ipn_fields(self, session):
        paid = session.status == "VALID"
        store_amount = session.paid_bdt * (1 - self.fee_rate) if paid else Decimal(0)
        fields = {
            "status": session.status,
            "tran_date": session.tran_date,
            "tran_id": session.tran_id,
            "val_id": session.val_id,
            "amount": _money(session.paid_bdt if paid else session.amount),
            "store_amount": _money(store_amount),
            "currency": "BDT",
            "bank_tran_id": session.bank_tran_id,
            "card_type": "BKASH-BKash" if paid else "",
            "card_no": "",
            "card_issuer": "BKash Mobile Banking" if paid else "",
            "card_brand": "MOBILEBANKING" if paid else "",
            "card_issuer_country": "Bangladesh",
            "card_issuer_country_code": "BD",
            "currency_type": session.currency,
            "currency_amount": _money(session.paid_amount if paid else session.amount),
            "currency_rate": _money(RATES[session.currency]),
            "base_fair": "0.00",
            "value_a": session.form.get("value_a", ""),
            "value_b": session.form.get("value_b", ""),
            "value_c": session.form.get("value_c", ""),
            "value_d": session.form.get("value_d", ""),
            "risk_level": "0",
            "risk_title": "Safe",
            "store_id": self.store_id,
            "error": session.error,
        }
        return sign(fields, self.store_passwd)

    def deliver_ipn(self, checkout, *, url=None, timeout=10):
        """POST the checkout's IPN(s) to ``ipn_url`` at once (duplicates concurrently).

        Returns the HTTP status of each delivery (None when it could not be delivered).
        """
        target = url or checkout.ipn_url
        statuses = [None] * len(checkout.ipns)

        def post(index, fields):
            body = urllib.parse.urlencode(fields).encode()
            request = urllib.request.Request(target, data=body, method="POST")
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    statuses[index] = response.status
            except urllib.error.HTTPError as err:
                statuses[index] = err.code
            except OSError:
                statuses[index] = None

        threads = [
            threading.Thread(target=post, args=(index, fields))
            for index, fields in enumerate(checkout.ipns)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return statuses

    # ------------------------------------------------------------------ API
    def _credentials_ok(self, params):
        return (
            params.get("store_id") == self.store_id
            and params.get("store_passwd") == self.store_passwd
        )

    def handle(self, method, path, params):
        """Return (HTTP status, JSON-able body or str) for one API request."""
        self.requests.append((method, path, dict(params)))
        if path == SESSION_PATH and method == "POST":
            return 200, self._session_init(params)
        if path == VALIDATION_PATH:
            return 200, self._validate(params)
        if path == MERCHANT_API_PATH:
            return 200, self._merchant_api(params)
        return 404, "Not Found"

    def _session_init(self, params):
        if not self._credentials_ok(params):
            return {
                "status": "FAILED",
                "failedreason": "Store Credential Error Or Store is De-active",
            }
        missing = [key for key in SESSION_REQUIRED if not params.get(key)]
        if missing:
            return {"status": "FAILED", "failedreason": f"Invalid Information: {missing[0]}"}
        try:
            amount = Decimal(params["total_amount"])
        except InvalidOperation:
            return {"status": "FAILED", "failedreason": "Invalid amount"}
        if not amount.is_finite() or not Decimal("10") <= amount <= Decimal("500000"):
            return {"status": "FAILED", "failedreason": "Invalid amount: 10.00 to 500000.00"}
        if params["currency"] not in RATES:
            return {"status": "FAILED", "failedreason": "Invalid currency"}
        with self._lock:
            if any(
                s.tran_id == params["tran_id"] and s.status == "VALID"
                for s in self.sessions.values()
            ):
                return {"status": "FAILED", "failedreason": "Duplicate tran_id"}
            key = secrets.token_hex(16).upper()
            self.sessions[key] = _Session(
                sessionkey=key,
                tran_id=params["tran_id"],
                amount=amount,
                currency=params["currency"],
                form=dict(params),
            )
        page = f"{self.base_url}{CHECKOUT_PREFIX}testcde{key}"
        return {
            "status": "SUCCESS",
            "failedreason": "",
            "sessionkey": key,
            "gw": {"visa": "", "master": "", "mobilebanking": "bkash,nagad"},
            "redirectGatewayURL": f"{self.base_url}/gwprocess/v4/bankgw/indexhtml.php?mamount=",
            "directPaymentURLBank": "",
            "directPaymentURLCard": "",
            "directPaymentURL": "",
            "redirectGatewayURLFailed": "",
            "GatewayPageURL": page,
            "storeBanner": "",
            "storeLogo": "",
            "desc": [],
            "is_direct_pay_enable": "0",
        }

    def _validate(self, params):
        if not self._credentials_ok(params):
            return {"status": "INVALID_TRANSACTION", "APIConnect": "INVALID_REQUEST"}
        with self._lock:
            session = self._by("val_id", params.get("val_id"))
            if session is None or session.status not in ("VALID", "VALIDATED"):
                return {"status": "INVALID_TRANSACTION", "APIConnect": "DONE"}
            if not session.validated_on:
                session.validated_on = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
                status = "VALID"
            else:
                status = "VALIDATED"
            return {**self._element(session), "status": status, "APIConnect": "DONE"}

    def _element(self, session):
        ipn = self._ipn_fields(session)
        for key in ("verify_key", "verify_sign", "verify_sign_sha2", "store_id"):
            ipn.pop(key)
        status = session.status
        if status == "VALID" and session.validated_on:
            status = "VALIDATED"
        return {
            **ipn,
            "status": status,
            "sessionkey": session.sessionkey,
            "validated_on": session.validated_on,
            "gw_version": "",
            "emi_instalment": "0",
            "emi_amount": "0.00",
            "discount_amount": "0.00",
        }

    def _merchant_api(self, params):
        if not self._credentials_ok(params):
            return {"APIConnect": "INVALID_REQUEST"}
        with self._lock:
            if params.get("refund_ref_id"):
                return self._refund_status(params["refund_ref_id"])
            if params.get("bank_tran_id") and params.get("refund_amount"):
                return self._refund(params)
            if params.get("tran_id"):
                elements = [
                    self._element(s)
                    for s in self.sessions.values()
                    if s.tran_id == params["tran_id"]
                ]
                return {
                    "APIConnect": "DONE",
                    "no_of_trans_found": len(elements),
                    "element": elements,
                }
            if params.get("sessionkey"):
                session = self.sessions.get(params["sessionkey"])
                if session is None:
                    return {"APIConnect": "DONE", "status": "INVALID_TRANSACTION"}
                return {**self._element(session), "APIConnect": "DONE"}
        return {"APIConnect": "INVALID_REQUEST"}

    def _refund(self, params):
        session = self._by("bank_tran_id", params["bank_tran_id"])
        base = {"APIConnect": "DONE", "bank_tran_id": params["bank_tran_id"]}
        if session is None or session.status != "VALID":
            return {**base, "status": "failed", "errorReason": "Invalid bank_tran_id"}
        base["trans_id"] = session.tran_id
        try:
            amount = Decimal(params["refund_amount"])
        except InvalidOperation:
            amount = Decimal(0)
        refunded = sum((r["amount"] for r in session.refunds), Decimal(0))
        if not amount.is_finite() or amount <= 0 or amount + refunded > session.paid_bdt:
            return {**base, "status": "failed", "errorReason": "Invalid refund amount"}
        if not params.get("refund_remarks"):
            return {**base, "status": "failed", "errorReason": "refund_remarks is required"}
        ref = f"{secrets.token_hex(6)}"
        session.refunds.append(
            {
                "refund_ref_id": ref,
                "amount": amount,
                "remarks": params["refund_remarks"],
                "refe_id": params.get("refe_id", ""),
                "initiated_on": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
        return {**base, "refund_ref_id": ref, "status": "success", "errorReason": ""}

    def _refund_status(self, ref):
        for session in self.sessions.values():
            for refund in session.refunds:
                if refund["refund_ref_id"] == ref:
                    settled = self.settle_refunds
                    return {
                        "APIConnect": "DONE",
                        "bank_tran_id": session.bank_tran_id,
                        "tran_id": session.tran_id,
                        "refund_ref_id": ref,
                        "initiated_on": refund["initiated_on"],
                        "refunded_on": refund["initiated_on"] if settled else "",
                        "status": "refunded" if settled else "processing",
                        "errorReason": "",
                    }
        return {"APIConnect": "DONE", "status": "failed", "errorReason": "Invalid refund_ref_id"}


class _Handler(BaseHTTPRequestHandler):
    simulator = None
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep the test output quiet
        pass

    def _params(self):
        parsed = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            body = self.rfile.read(length).decode()
            params.update(urllib.parse.parse_qsl(body, keep_blank_values=True))
        return parsed.path, params

    def _send(self, status, body, content_type="application/json"):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (the timeout switch); nothing left to answer.
            self.close_connection = True

    def _dispatch(self, method):
        sim = self.simulator
        path, params = self._params()
        if path.startswith(CHECKOUT_PREFIX):
            key = path[len(CHECKOUT_PREFIX) :].removeprefix("testcde")
            session = sim.sessions.get(key)
            if session is None:
                return self._send(404, "Session not found", "text/html")
            return self._checkout_page(session, params.get("action"))
        if sim.timeout:
            time.sleep(sim.timeout_delay)
        if sim.server_error:
            return self._send(500, "<html><body>Internal Server Error</body></html>", "text/html")
        status, body = sim.handle(method, path, params)
        if isinstance(body, str):
            return self._send(status, body, "text/html")
        return self._send(status, body)

    def _checkout_page(self, session, action):
        """The hosted page: Pay / Cancel; an action settles, sends the IPN, posts back."""
        sim = self.simulator
        if action not in ("pay", "cancel"):
            page = render(
                "SSLCommerz",
                session.tran_id,
                _money(session.amount),
                session.currency,
                with_action(self.path, "pay"),
                with_action(self.path, "cancel"),
            )
            return self._send(200, page, "text/html; charset=utf-8")
        if session.status != "UNATTEMPTED":  # a reload: the outcome is already known
            return self._send(409, "<html><body>Already completed</body></html>", "text/html")
        checkout = sim.complete_payment(
            session.tran_id, sessionkey=session.sessionkey, cancel=action == "cancel"
        )
        if checkout.ipn_url:
            sim.deliver_ipn(checkout, timeout=5)
        return self._send(200, autopost(checkout.redirect_url, checkout.form), "text/html")

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")
