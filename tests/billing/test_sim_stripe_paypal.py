"""The Stripe and PayPal simulators over loopback HTTP, as Odoo's clients call them."""

import base64
import hashlib
import hmac
import json

import pytest
import requests
from simulators.paypal import PaypalSimulator
from simulators.stripe import StripeSimulator


@pytest.fixture
def stripe():
    with StripeSimulator() as sim:
        yield sim


@pytest.fixture
def paypal():
    with PaypalSimulator() as sim:
        yield sim


def _stripe(sim, method, endpoint, data=None, key=None):
    headers = {"AUTHORIZATION": f"Bearer {key or sim.secret_key}"}
    return requests.request(method, sim.base_url + endpoint, data=data, headers=headers, timeout=5)


def _intent(sim, amount=11500):
    customer = _stripe(sim, "POST", "customers", {"name": "Subscriber"}).json()
    payload = {
        "amount": amount,
        "currency": "usd",
        "description": "INV-1",
        "capture_method": "automatic",
        "payment_method_types[]": "card",
        "expand[]": "payment_method",
        "customer": customer["id"],
    }
    return _stripe(sim, "POST", "payment_intents", payload).json()


def test_stripe_confirm_and_fetch(stripe):
    intent = _intent(stripe)
    assert intent["status"] == "requires_payment_method"
    url = stripe.confirm(intent["id"], intent["client_secret"], "http://shop/return?reference=R")
    assert "redirect_status=succeeded" in url and f"payment_intent={intent['id']}" in url
    fetched = _stripe(
        stripe, "GET", f"payment_intents/{intent['id']}", {"expand[]": "payment_method"}
    ).json()
    assert fetched["status"] == "succeeded"
    assert fetched["payment_method"]["card"]["brand"] == "visa"
    assert stripe.succeeded_intents() == [intent["id"]]


def test_stripe_declined_and_auth(stripe):
    assert _stripe(stripe, "GET", "payment_intents/pi_x", key="sk_wrong").status_code == 401
    stripe.card_declined = True
    intent = _intent(stripe)
    url = stripe.confirm(intent["id"], intent["client_secret"], "http://shop/return")
    assert "redirect_status=failed" in url
    fetched = _stripe(stripe, "GET", f"payment_intents/{intent['id']}").json()
    assert fetched["last_payment_error"]["code"] == "card_declined"
    assert _stripe(stripe, "GET", "payment_intents/pi_unknown").json()["error"]


def test_stripe_webhook_signature(stripe):
    intent = _intent(stripe)
    stripe.confirm(intent["id"], intent["client_secret"], "http://shop/return")
    payload, headers = stripe.webhook_event(intent["id"])
    assert json.loads(payload)["type"] == "payment_intent.succeeded"
    parts = dict(p.split("=") for p in headers["Stripe-Signature"].split(","))
    expected = hmac.new(
        stripe.webhook_secret.encode(), f"{parts['t']}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    assert parts["v1"] == expected
    stripe.bad_signature = True
    _payload, forged = stripe.webhook_event(intent["id"])
    assert forged["Stripe-Signature"] != headers["Stripe-Signature"]


def _paypal(sim, endpoint, token=None, **kwargs):
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(sim.base_url + endpoint, headers=headers, timeout=5, **kwargs)


def _token(sim):
    reply = _paypal(
        sim,
        "/v1/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(sim.client_id, sim.client_secret),
    )
    return reply.json()["access_token"]


def _order(sim, token):
    payload = {
        "intent": "CAPTURE",
        "purchase_units": [
            {"reference_id": "INV-1", "amount": {"currency_code": "USD", "value": 115.0}}
        ],
    }
    return _paypal(sim, "/v2/checkout/orders", token, json=payload).json()


def test_paypal_order_capture_once(paypal):
    assert _paypal(paypal, "/v2/checkout/orders", "bad", json={}).status_code == 401
    token = _token(paypal)
    order = _order(paypal, token)
    assert order["status"] == "CREATED"
    capture_path = f"/v2/checkout/orders/{order['id']}/capture"
    assert _paypal(paypal, capture_path, token).status_code == 422  # not approved
    paypal.approve(order["id"])
    key = {"PayPal-Request-Id": "idem-1"}
    first = _paypal(paypal, capture_path, token, headers=key)
    again = _paypal(paypal, capture_path, token, headers=key)
    assert first.status_code == 201 and again.json() == first.json()
    unit = first.json()["purchase_units"][0]
    assert unit["payments"]["captures"][0]["status"] == "COMPLETED"
    assert unit["amount"] == {"currency_code": "USD", "value": "115.00"}
    other = _paypal(paypal, capture_path, token, headers={"PayPal-Request-Id": "idem-2"})
    assert other.status_code == 422
    assert len(paypal.captures()) == 1


def test_paypal_webhook_verification(paypal):
    token = _token(paypal)
    order = _order(paypal, token)
    paypal.approve(order["id"])
    body, headers = paypal.webhook_event(order["id"], "CHECKOUT.ORDER.APPROVED")

    def verify(event, sig=None):
        data = json.dumps(
            {
                "transmission_id": headers["PAYPAL-TRANSMISSION-ID"],
                "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"],
                "cert_url": headers["PAYPAL-CERT-URL"],
                "auth_algo": headers["PAYPAL-AUTH-ALGO"],
                "transmission_sig": sig or headers["PAYPAL-TRANSMISSION-SIG"],
                "webhook_id": paypal.webhook_id,
                "webhook_event": event,
            }
        )
        reply = _paypal(paypal, "/v1/notifications/verify-webhook-signature", token, data=data)
        return reply.json()["verification_status"]

    event = json.loads(body)
    assert verify(event) == "SUCCESS"
    assert verify(event, base64.b64encode(b"x" * 32).decode()) == "FAILURE"
    event["resource"]["status"] = "COMPLETED"
    assert verify(event) == "FAILURE"
