"""PayPal REST simulator (OAuth2, Orders v2, webhooks): HTTP on loopback, in memory.

It answers the calls Odoo 18's ``payment_paypal`` makes: POST ``/v1/oauth2/token``
(HTTP Basic client id/secret, ``grant_type=client_credentials``), POST
``/v2/checkout/orders`` (JSON, ``PayPal-Request-Id`` idempotency), POST
``/v2/checkout/orders/<id>/capture``, POST ``/v1/notifications/verify-webhook-signature``
and GET ``/v2/checkout/orders/<id>``; every call but the token one needs
``Authorization: Bearer <access_token>``. The buyer's part (the PayPal popup) is
``sim.approve(order_id)``; webhook deliveries are made by ``sim.webhook_event``:

    sim = PaypalSimulator().start()
    order = ...POST /v2/checkout/orders...
    sim.approve(order["id"])                     # the buyer approves in the popup
    ...POST /v2/checkout/orders/<id>/capture...
    body, headers = sim.webhook_event(order["id"], "CHECKOUT.ORDER.COMPLETED")
    sim.stop()

The webhook signature: PayPal signs ``transmission_id|time|webhook_id|crc32(body)``
with its certificate; the simulator keeps each delivery it made and
``verify-webhook-signature`` answers ``SUCCESS`` only for a delivery it made, with
its signature, for the merchant's webhook id and the same event.

Switches: ``declined`` (the capture is ``DECLINED``), ``cancel`` (the buyer closes the
popup: the order stays ``CREATED``, a capture is refused ``ORDER_NOT_APPROVED``),
``bad_signature`` (deliveries carry a signature PayPal never made), ``amount_mismatch``
(captures report ``amount_delta`` more), ``timeout`` (answers come after
``timeout_delay`` seconds).
"""

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import zlib
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from .http_base import LoopbackHttpSimulator


def _error(name, message, issue=None):
    error = {"name": name, "message": message, "debug_id": secrets.token_hex(6)}
    if issue:
        error["details"] = [{"issue": issue, "description": message}]
    return error


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class PaypalSimulator(LoopbackHttpSimulator):
    def __init__(
        self, client_id="sim-client-id", client_secret="sim-secret", webhook_id="WH-SIM-1"
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_id = webhook_id
        self._sign_key = secrets.token_bytes(32)  # PayPal's own (certificate) key
        self.reset()

    def reset(self):
        """Forget orders, tokens, calls and switches (one test each)."""
        self.declined = False
        self.cancel = False
        self.bad_signature = False
        self.amount_mismatch = False
        self.amount_delta = Decimal("1.00")
        self.timeout = False
        self.timeout_delay = 2.0
        self.orders = {}
        self.tokens = {}
        self.deliveries = {}  # transmission id -> (signature, webhook id, event)
        self.idempotent = {}  # (path, PayPal-Request-Id) -> answer
        self.calls = []  # (method, path)
        self.lock = threading.RLock()
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle

    def _get_handler_class(self):
        return _Handler

    @property
    def base_url(self):
        """What replaces ``https://api-m.sandbox.paypal.com``."""
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ helpers for tests

    def count(self, method, path_suffix):
        return sum(1 for m, p in self.calls if m == method and p.endswith(path_suffix))

    def captures(self):
        """Ids of the completed captures (money moved)."""
        with self.lock:
            return [
                c["id"]
                for o in self.orders.values()
                for c in o.get("captures", [])
                if c["status"] == "COMPLETED"
            ]

    def approve(self, order_id):
        """The buyer logs in and approves the order (or closes the popup: ``cancel``)."""
        with self.lock:
            order = self.orders[order_id]
            if not self.cancel and order["status"] == "CREATED":
                order["status"] = "APPROVED"
                order["payer"] = {
                    "payer_id": "SIMPAYER01",
                    "email_address": "buyer@example.com",
                    "name": {"given_name": "Sim", "surname": "Buyer"},
                }
            return order["status"]

    def webhook_event(self, order_id, event_type="CHECKOUT.ORDER.COMPLETED"):
        """A webhook delivery about the order: ``(body bytes, headers)``."""
        with self.lock:
            resource = self._order_view(self.orders[order_id])
        event = {
            "id": f"WH-{secrets.token_hex(8).upper()}",
            "create_time": _now(),
            "resource_type": "checkout-order",
            "event_type": event_type,
            "summary": f"Checkout Order {event_type.rsplit('.', 1)[-1].title()}",
            "resource": resource,
            "event_version": "1.0",
            "resource_version": "2.0",
        }
        body = json.dumps(event).encode()
        transmission_id = secrets.token_hex(16)
        transmission_time = _now()
        signature = self._signature(transmission_id, transmission_time, self.webhook_id, body)
        with self.lock:
            self.deliveries[transmission_id] = (signature, self.webhook_id, event)
        if self.bad_signature:
            signature = base64.b64encode(secrets.token_bytes(32)).decode()
        headers = {
            "Content-Type": "application/json",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": transmission_time,
            "PAYPAL-CERT-URL": f"{self.base_url}/v1/notifications/certs/CERT-SIM",
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "PAYPAL-TRANSMISSION-SIG": signature,
        }
        return body, headers

    def _signature(self, transmission_id, transmission_time, webhook_id, body):
        message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}"
        digest = hmac.new(self._sign_key, message.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    # ------------------------------------------------------------------ API

    def handle(self, method, path, headers, raw):
        """Return (http_status, json-able dict) for one API call."""
        with self.lock:
            self.calls.append((method, path))
        if path == "/v1/oauth2/token":
            return self._token(headers, raw)
        token = (headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        with self.lock:
            expires_at = self.tokens.get(token)
        if expires_at is None or expires_at < time.time():
            return 401, {
                "error": "invalid_token",
                "error_description": "Token signature verification failed",
            }
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return 400, _error(
                "INVALID_REQUEST", "Request is not well-formed.", "MALFORMED_REQUEST_JSON"
            )
        request_id = method == "POST" and headers.get("PayPal-Request-Id")
        with self.lock:
            if request_id and (path, request_id) in self.idempotent:
                return self.idempotent[(path, request_id)]
            answer = self._route(method, path.strip("/").split("/"), body)
            if request_id and answer[0] < 300:
                self.idempotent[(path, request_id)] = answer
            return answer

    def _route(self, method, parts, body):
        if method == "POST" and parts == ["v2", "checkout", "orders"]:
            return self._create_order(body)
        if parts[:3] == ["v2", "checkout", "orders"] and len(parts) >= 4:
            order = self.orders.get(parts[3])
            if order is None:
                return 404, _error(
                    "RESOURCE_NOT_FOUND",
                    "The specified resource does not exist.",
                    "INVALID_RESOURCE_ID",
                )
            if method == "GET" and len(parts) == 4:
                return 200, self._order_view(order)
            if method == "POST" and parts[4:] == ["capture"]:
                return self._capture(order)
        if method == "POST" and parts == ["v1", "notifications", "verify-webhook-signature"]:
            return self._verify(body)
        return 404, _error("RESOURCE_NOT_FOUND", "The specified resource does not exist.")

    def _token(self, headers, raw):
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = dict(parse_qsl(raw.decode()))
        if headers.get("Authorization") != f"Basic {expected}":
            return 401, {
                "error": "invalid_client",
                "error_description": "Client Authentication failed",
            }
        if form.get("grant_type") != "client_credentials":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "Grant Type is NULL",
            }
        token = f"A21AA{secrets.token_hex(24)}"
        with self.lock:
            self.tokens[token] = time.time() + 32400
        return 200, {
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-SIM",
            "expires_in": 32400,
            "nonce": f"{_now()}{secrets.token_hex(8)}",
        }

    def _create_order(self, body):
        units = body.get("purchase_units") or []
        if body.get("intent") not in ("CAPTURE", "AUTHORIZE") or len(units) != 1:
            return 400, _error(
                "INVALID_REQUEST", "Request is not well-formed.", "MISSING_REQUIRED_PARAMETER"
            )
        amount = units[0].get("amount") or {}
        try:
            value = Decimal(str(amount.get("value")))
        except ArithmeticError:
            return 422, _error("UNPROCESSABLE_ENTITY", "Invalid amount.", "INVALID_PARAMETER_VALUE")
        if value <= 0 or not amount.get("currency_code"):
            return 422, _error("UNPROCESSABLE_ENTITY", "Invalid amount.", "INVALID_PARAMETER_VALUE")
        order_id = f"{next(self._ids):02d}{secrets.token_hex(8).upper()}"[:17]
        self.orders[order_id] = {
            "id": order_id,
            "intent": body["intent"],
            "status": "CREATED",
            "create_time": _now(),
            "payment_source": body.get("payment_source") or {"paypal": {}},
            "purchase_unit": {
                "reference_id": units[0].get("reference_id", "default"),
                "description": units[0].get("description"),
                "amount": {"currency_code": amount["currency_code"], "value": f"{value:.2f}"},
            },
            "captures": [],
        }
        view = self._order_view(self.orders[order_id])
        view["links"] = [
            {
                "href": f"{self.base_url}/v2/checkout/orders/{order_id}",
                "rel": "self",
                "method": "GET",
            },
            {
                "href": f"{self.base_url}/checkoutnow?token={order_id}",
                "rel": "approve",
                "method": "GET",
            },
        ]
        return 201, view

    def _order_view(self, order):
        unit = dict(order["purchase_unit"])
        amount = dict(unit["amount"])
        if self.amount_mismatch:
            amount["value"] = f"{Decimal(amount['value']) + self.amount_delta:.2f}"
        unit["amount"] = amount
        if order["captures"]:
            unit["payments"] = {
                "captures": [{**c, "amount": dict(amount)} for c in order["captures"]]
            }
        source = {"paypal": {"account_id": "SIMPAYER01", "email_address": "buyer@example.com"}}
        view = {
            "id": order["id"],
            "intent": order["intent"],
            "status": order["status"],
            "create_time": order["create_time"],
            "payment_source": source,
            "purchase_units": [unit],
        }
        if order.get("payer"):
            view["payer"] = order["payer"]
        return view

    def _capture(self, order):
        if order["status"] == "COMPLETED":
            return 422, _error(
                "UNPROCESSABLE_ENTITY",
                "The requested action could not be performed.",
                "ORDER_ALREADY_CAPTURED",
            )
        if order["status"] != "APPROVED":
            return 422, _error(
                "UNPROCESSABLE_ENTITY",
                "The requested action could not be performed.",
                "ORDER_NOT_APPROVED",
            )
        capture = {
            "id": f"CAP{next(self._ids):03d}{secrets.token_hex(6).upper()}",
            "status": "DECLINED" if self.declined else "COMPLETED",
            "final_capture": True,
            "create_time": _now(),
        }
        order["captures"].append(capture)
        order["status"] = "COMPLETED"
        return 201, self._order_view(order)

    def _verify(self, body):
        delivery = self.deliveries.get(body.get("transmission_id"))
        ok = (
            delivery is not None
            and body.get("transmission_sig") == delivery[0]
            and body.get("webhook_id") == delivery[1]
            and body.get("webhook_event") == delivery[2]
            and body.get("auth_algo") == "SHA256withRSA"
        )
        return 200, {"verification_status": "SUCCESS" if ok else "FAILURE"}


class _Handler(BaseHTTPRequestHandler):
    sim = None  # set on the subclass made by PaypalSimulator.start()
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        """Keep the test output quiet."""

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Paypal-Debug-Id", secrets.token_hex(6))
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method):
        sim = self.sim
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if sim.timeout:
            sim._stopping.wait(sim.timeout_delay)
        status, reply = sim.handle(method, urlsplit(self.path).path, self.headers, raw)
        self._send(status, reply)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")
