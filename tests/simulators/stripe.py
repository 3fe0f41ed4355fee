"""Stripe API v1 simulator: HTTP on loopback, objects kept in memory.

It answers the calls Odoo 18's ``payment_stripe`` makes for a direct card payment
(form-encoded POST ``/v1/customers``, POST ``/v1/payment_intents``, GET
``/v1/payment_intents/<id>`` with ``expand[]=payment_method``, POST
``/v1/payment_intents/<id>/cancel``, POST ``/v1/refunds``), authenticated with the
secret key (``Authorization: Bearer sk_...``), and plays Stripe.js's part: the
customer confirms the intent with the publishable key and its client secret
(POST ``/v1/payment_intents/<id>/confirm``), then the browser returns to
``return_url?payment_intent=...&payment_intent_client_secret=...&redirect_status=...``.
Webhook events are signed as Stripe does: header
``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(webhook_secret, "<t>.<payload>")>``.

    sim = StripeSimulator().start()
    intent = requests.post(sim.base_url + "payment_intents", data={...},
                           headers={"Authorization": f"Bearer {sim.secret_key}"}).json()
    return_url = sim.confirm(intent["id"], intent["client_secret"], "https://shop/return")
    payload, headers = sim.webhook_event(intent["id"])   # payment_intent.succeeded
    sim.stop()

Switches (attributes, settable at any time): ``card_declined`` (the confirmation
fails with ``card_declined``: status ``requires_payment_method``), ``amount_mismatch``
(intents are reported with ``amount_delta`` minor units more than created),
``bad_signature`` (webhook events are signed with another secret), ``timeout``
(API answers come after ``timeout_delay`` seconds).
"""

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlencode, urlsplit

from .http_base import LoopbackHttpSimulator

API_PREFIX = "/v1/"

DECLINE = {
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
    "type": "card_error",
}


def _error(message, type_="invalid_request_error", code=None, **extra):
    error = {"message": message, "type": type_, **extra}
    if code:
        error["code"] = code
    return {"error": error}


class StripeSimulator(LoopbackHttpSimulator):
    def __init__(
        self,
        secret_key="sk_test_sim",
        publishable_key="pk_test_sim",
        webhook_secret="whsec_sim",
    ):
        self.secret_key = secret_key
        self.publishable_key = publishable_key
        self.webhook_secret = webhook_secret
        self.reset()

    def reset(self):
        """Forget objects, calls and switches (one test each)."""
        self.card_declined = False
        self.amount_mismatch = False
        self.amount_delta = 100
        self.bad_signature = False
        self.timeout = False
        self.timeout_delay = 2.0
        self.customers = {}
        self.intents = {}
        self.refunds = {}
        self.idempotent = {}  # Idempotency-Key -> answer
        self.calls = []  # (method, path) of every API call, in order
        self.lock = threading.RLock()
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle

    def _get_handler_class(self):
        return _Handler

    @property
    def base_url(self):
        """What replaces ``https://api.stripe.com/v1/``."""
        return self.root_url + API_PREFIX

    # ------------------------------------------------------------------ helpers for tests

    def count(self, method, path):
        return sum(1 for m, p in self.calls if m == method and p == path)

    def succeeded_intents(self):
        with self.lock:
            return [i["id"] for i in self.intents.values() if i["status"] == "succeeded"]

    def confirm(self, intent_id, client_secret, return_url, payment_method="pm_card_visa"):
        """Stripe.js ``confirmPayment``: confirm with the publishable key, then return
        the URL the browser is sent to."""
        status, intent = self.handle(
            "POST",
            f"payment_intents/{intent_id}/confirm",
            {"Authorization": f"Bearer {self.publishable_key}"},
            {
                "client_secret": client_secret,
                "payment_method": payment_method,
                "return_url": return_url,
            },
        )
        if status != 200 and "error" in intent:
            intent = intent["error"].get("payment_intent") or {}
        redirect_status = "succeeded" if intent.get("status") == "succeeded" else "failed"
        query = urlencode(
            {
                "payment_intent": intent_id,
                "payment_intent_client_secret": client_secret,
                "redirect_status": redirect_status,
            }
        )
        return return_url + ("&" if "?" in return_url else "?") + query

    def webhook_event(self, intent_id, event_type=None):
        """A webhook delivery for the intent: ``(payload bytes, headers)``.

        ``event_type`` defaults to the event of the intent's status.
        """
        with self.lock:
            intent = self._intent_view(self.intents[intent_id], expand=False)
        event_type = event_type or {
            "succeeded": "payment_intent.succeeded",
            "requires_payment_method": "payment_intent.payment_failed",
            "canceled": "payment_intent.canceled",
            "processing": "payment_intent.processing",
        }.get(intent["status"], "payment_intent.created")
        event = {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": "2019-05-16",
            "created": int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": intent},
        }
        payload = json.dumps(event).encode()
        return payload, self.sign(payload)

    def sign(self, payload, timestamp=None):
        """The ``Stripe-Signature`` header of ``payload`` (bytes)."""
        timestamp = int(timestamp or time.time())
        secret = ("whsec_forged" if self.bad_signature else self.webhook_secret).encode()
        signed = f"{timestamp}.".encode() + payload
        signature = hmac.new(secret, signed, hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/json",
            "Stripe-Signature": f"t={timestamp},v1={signature}",
        }

    # ------------------------------------------------------------------ API

    def handle(self, method, path, headers, body):
        """Return (http_status, json-able dict) for one API call (path without /v1/)."""
        with self.lock:
            self.calls.append((method, path))
        key = (headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if method == "POST" and path.endswith("/confirm"):
            if key != self.publishable_key:
                return 401, _error("Invalid API Key provided.")
        elif key != self.secret_key:
            return 401, _error("Invalid API Key provided.")
        idempotency_key = method == "POST" and headers.get("Idempotency-Key")
        with self.lock:
            if idempotency_key and idempotency_key in self.idempotent:
                return self.idempotent[idempotency_key]
            answer = self._route(method, path.strip("/").split("/"), body)
            if idempotency_key:
                self.idempotent[idempotency_key] = answer
            return answer

    def _route(self, method, parts, body):
        head = parts[0]
        if method == "POST" and parts == ["customers"]:
            return self._create_customer(body)
        if method == "POST" and parts == ["payment_intents"]:
            return self._create_intent(body)
        if head == "payment_intents" and len(parts) >= 2:
            intent = self.intents.get(parts[1])
            if intent is None:
                return 404, _error(f"No such payment_intent: '{parts[1]}'", code="resource_missing")
            if method == "GET" and len(parts) == 2:
                return 200, self._intent_view(intent, expand="payment_method" in body.values())
            if method == "POST" and parts[2:] == ["confirm"]:
                return self._confirm(intent, body)
            if method == "POST" and parts[2:] == ["cancel"]:
                return self._cancel(intent)
        if method == "POST" and parts == ["refunds"]:
            return self._refund(body)
        return 404, _error("Unrecognized request URL.")

    def _create_customer(self, body):
        customer_id = f"cus_{next(self._ids):06d}{secrets.token_hex(4)}"
        customer = {"id": customer_id, "object": "customer", "created": int(time.time())}
        customer.update({k: v for k, v in body.items() if not k.startswith("address[")})
        self.customers[customer_id] = customer
        return 200, customer

    def _create_intent(self, body):
        try:
            amount = int(body.get("amount", ""))
        except ValueError:
            return 400, _error("Invalid integer: amount", param="amount")
        currency = (body.get("currency") or "").lower()
        if amount < 1 or len(currency) != 3:
            return 400, _error("Amount must be at least 1 and currency valid.", param="amount")
        customer = body.get("customer")
        if customer and customer not in self.customers:
            return 400, _error(f"No such customer: '{customer}'", code="resource_missing")
        intent_id = f"pi_{next(self._ids):06d}{secrets.token_hex(6)}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": currency,
            "customer": customer,
            "description": body.get("description"),
            "capture_method": body.get("capture_method", "automatic"),
            "payment_method_types": [body.get("payment_method_types[]", "card")],
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
            "created": int(time.time()),
            "livemode": False,
            "status": "requires_payment_method",
            "payment_method": None,
            "last_payment_error": None,
        }
        self.intents[intent_id] = intent
        return 200, self._intent_view(intent, expand=False)

    def _payment_method(self, intent):
        return {
            "id": intent["payment_method"],
            "object": "payment_method",
            "type": "card",
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
            "customer": intent["customer"],
        }

    def _intent_view(self, intent, expand):
        view = dict(intent)
        if self.amount_mismatch:
            view["amount"] += self.amount_delta
        if view["status"] == "succeeded":
            view["amount_received"] = view["amount"]
        if expand and intent["payment_method"]:
            view["payment_method"] = self._payment_method(intent)
        view["charges"] = {"object": "list", "data": [], "has_more": False}
        return view

    def _confirm(self, intent, body):
        if body.get("client_secret") != intent["client_secret"]:
            return 400, _error("The client_secret does not match this PaymentIntent.")
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            return 400, _error(
                "This PaymentIntent's status is not confirmable.",
                code="payment_intent_unexpected_state",
                payment_intent=self._intent_view(intent, expand=False),
            )
        intent["payment_method"] = f"pm_{secrets.token_hex(8)}"
        if self.card_declined or body.get("payment_method") == "pm_card_chargeDeclined":
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = dict(DECLINE)
            return 402, {
                "error": {
                    **DECLINE,
                    "payment_intent": self._intent_view(intent, expand=False),
                }
            }
        intent["last_payment_error"] = None
        intent["status"] = (
            "requires_capture" if intent["capture_method"] == "manual" else "succeeded"
        )
        return 200, self._intent_view(intent, expand=False)

    def _cancel(self, intent):
        if intent["status"] == "succeeded":
            return 400, _error(
                "You cannot cancel this PaymentIntent because it has a status of succeeded.",
                code="payment_intent_unexpected_state",
            )
        intent["status"] = "canceled"
        return 200, self._intent_view(intent, expand=False)

    def _refund(self, body):
        intent = self.intents.get(body.get("payment_intent"))
        if intent is None or intent["status"] != "succeeded":
            return 400, _error("This PaymentIntent has no successful charge to refund.")
        amount = int(body.get("amount") or intent["amount"])
        refunded = sum(
            r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
        )
        if amount < 1 or amount + refunded > intent["amount"]:
            return 400, _error("Refund amount is greater than the unrefunded amount.")
        refund_id = f"re_{next(self._ids):06d}{secrets.token_hex(6)}"
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "status": "succeeded",
        }
        self.refunds[refund_id] = refund
        return 200, refund


class _Handler(BaseHTTPRequestHandler):
    sim = None  # set on the subclass made by StripeSimulator.start()
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        """Keep the test output quiet."""

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method):
        sim = self.sim
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not url.path.startswith(API_PREFIX):
            return self._send(404, _error("Unrecognized request URL."))
        if sim.timeout:
            sim._stopping.wait(sim.timeout_delay)
        # Odoo sends GET parameters (expand[]) in the body, as requests does with data=.
        body = dict(parse_qsl(url.query))
        body.update(parse_qsl(raw.decode()))
        status, reply = sim.handle(method, url.path[len(API_PREFIX) :], self.headers, body)
        self._send(status, reply)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")
