"""The real AamarPay client against the AamarPay simulator over loopback HTTP."""

import threading
import time
import urllib.parse
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from simulators.aamarpay import AamarPaySimulator

from isp_billing.lib.gateway_aamarpay import (
    AamarPayClient,
    check_result,
    format_amount,
    parse_callback,
)
from isp_billing.lib.gateway_errors import (
    GatewayError,
    GatewayMismatch,
    GatewayProtocolError,
    GatewayRejected,
    GatewayTimeout,
)


class _Receiver:
    """A merchant endpoint that records what reaches it (callbacks, or canned replies)."""

    def __init__(self, reply=b"ok", ctype="text/plain"):
        self.hits = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, body):
                outer.hits.append((self.command, self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def do_GET(self):
                self._answer(b"")

            def do_POST(self):
                self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sim():
    simulator = AamarPaySimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def merchant():
    receiver = _Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def client(sim):
    return AamarPayClient(sim.store_id, sim.signature_key, base_url=sim.base_url, timeout=2)


def _create(client, merchant, reference="INV-0001", amount="500.00", currency="BDT"):
    return client.create_payment(
        reference,
        amount,
        currency=currency,
        success_url=f"{merchant.url}/payment/aamarpay/success",
        fail_url=f"{merchant.url}/payment/aamarpay/fail",
        cancel_url=f"{merchant.url}/payment/aamarpay/cancel",
        customer_name="Rahim Uddin",
        customer_email="rahim@example.com",
        customer_phone="01712345678",
        description="Internet bill INV-0001",
    )


def test_happy_path(sim, client, merchant):
    session = _create(client, merchant)
    assert session.reference == "INV-0001"
    assert session.payment_url.startswith(f"{sim.base_url}/paynow.php?track=AAM")
    assert sim.payments["INV-0001"]["amount"] == "500.00"

    sim.complete_payment("INV-0001")
    [params] = sim.callback_params("INV-0001")
    assert parse_callback(params) == "INV-0001"

    result = client.verify_payment(parse_callback(params))
    assert result.reference == "INV-0001"
    assert result.gateway_txn_id == sim.payments["INV-0001"]["pg_txnid"]
    assert result.amount == Decimal("500.00")
    assert result.currency == "BDT"
    assert result.status == "Successful"
    assert result.fee == Decimal("10.00")
    assert check_result(result, "500.00", "BDT", "INV-0001") is result
    assert ("GET", "/api/v1/trxcheck/request.php") in sim.requests


def test_browser_flow_posts_callback_form(sim, client, merchant):
    session = _create(client, merchant)
    page = requests.get(session.payment_url + "&action=pay", timeout=5)
    assert page.status_code == 200
    assert f'action="{merchant.url}/payment/aamarpay/success"' in page.text
    assert 'name="mer_txnid" value="INV-0001"' in page.text
    assert client.verify_payment("INV-0001").status == "Successful"


def test_callback_is_delivered_to_success_url(sim, client, merchant):
    _create(client, merchant)
    sim.complete_payment("INV-0001")
    assert sim.send_callback("INV-0001") == [200]
    [(method, path, body)] = merchant.hits
    assert (method, path) == ("POST", "/payment/aamarpay/success")
    posted = dict(urllib.parse.parse_qsl(body.decode()))
    assert posted["pay_status"] == "Successful"
    assert posted["mer_txnid"] == "INV-0001"


def test_forged_callback_without_payment_is_not_completed(sim, client, merchant):
    _create(client, merchant)
    forged = {"mer_txnid": "INV-0001", "pay_status": "Successful", "amount": "500.00"}
    with pytest.raises(GatewayRejected) as info:
        client.verify_payment(parse_callback(forged))
    assert info.value.reason == "not_completed"
    assert info.value.status_code == "0"


def test_callback_without_reference_is_a_protocol_error():
    with pytest.raises(GatewayProtocolError) as info:
        parse_callback({"pay_status": "Successful"})
    assert info.value.reason == "bad_callback"


def test_cancel(sim, client, merchant):
    sim.cancel = True
    _create(client, merchant)
    sim.complete_payment("INV-0001")
    assert sim.callback_params("INV-0001") == [{}]
    assert sim.callback_url("INV-0001").endswith("/payment/aamarpay/cancel")
    with pytest.raises(GatewayRejected) as info:
        client.verify_payment("INV-0001")
    assert info.value.reason == "cancelled"
    assert "cancelled" in str(info.value)


def test_insufficient_balance(sim, client, merchant):
    sim.insufficient_balance = True
    _create(client, merchant)
    sim.complete_payment("INV-0001")
    assert sim.callback_url("INV-0001").endswith("/payment/aamarpay/fail")
    with pytest.raises(GatewayRejected) as info:
        client.verify_payment("INV-0001")
    assert info.value.reason == "insufficient_balance"
    assert info.value.status_code == "7"
    assert "Insufficient Balance" in info.value.message


@pytest.mark.parametrize("call", ["create", "verify"])
def test_timeout(sim, merchant, call):
    client = AamarPayClient(sim.store_id, sim.signature_key, base_url=sim.base_url, timeout=0.3)
    if call == "verify":
        _create(client, merchant)
    sim.timeout = True
    sim.timeout_delay = 3
    started = time.monotonic()
    with pytest.raises(GatewayTimeout) as info:
        if call == "create":
            _create(client, merchant, reference="INV-0002")
        else:
            client.verify_payment("INV-0001")
    assert time.monotonic() - started < 2
    assert info.value.reason == "timeout"


def test_bad_signature_key_is_refused(sim, client, merchant):
    sim.bad_signature = True
    with pytest.raises(GatewayRejected) as info:
        _create(client, merchant)
    assert info.value.reason == "auth_failed"
    assert "Signature Key" in info.value.message
    sim.bad_signature = False
    _create(client, merchant)
    sim.complete_payment("INV-0001")
    sim.bad_signature = True
    with pytest.raises(GatewayRejected) as info:
        client.verify_payment("INV-0001")
    assert info.value.reason == "auth_failed"


def test_wrong_signature_key_in_client_is_refused(sim, merchant):
    client = AamarPayClient(sim.store_id, "not-the-key", base_url=sim.base_url, timeout=2)
    with pytest.raises(GatewayRejected) as info:
        _create(client, merchant)
    assert info.value.reason == "auth_failed"


def test_amount_mismatch(sim, client, merchant):
    sim.amount_mismatch = True
    _create(client, merchant)
    sim.complete_payment("INV-0001")
    result = client.verify_payment("INV-0001")
    assert result.amount == Decimal("499.00")
    with pytest.raises(GatewayMismatch) as info:
        check_result(result, Decimal("500.00"), "BDT", "INV-0001")
    assert info.value.reason == "amount_mismatch"
    assert "499.00" in info.value.message


def test_currency_and_reference_mismatch(sim, client, merchant):
    _create(client, merchant)
    sim.complete_payment("INV-0001")
    result = client.verify_payment("INV-0001")
    with pytest.raises(GatewayMismatch) as info:
        check_result(result, "500.00", "USD", "INV-0001")
    assert info.value.reason == "currency_mismatch"
    with pytest.raises(GatewayMismatch) as info:
        check_result(result, "500.00", "BDT", "INV-0002")
    assert info.value.reason == "reference_mismatch"


def test_trxcheck_answering_for_another_payment_is_a_mismatch(sim, client, merchant):
    _create(client, merchant)
    sim.complete_payment("INV-0001")
    sim.payments["INV-0001"]["mer_txnid"] = "INV-9999"
    with pytest.raises(GatewayMismatch) as info:
        client.verify_payment("INV-0001")
    assert info.value.reason == "reference_mismatch"


def test_duplicate_callback_verifies_to_the_same_payment(sim, client, merchant):
    sim.duplicate_callback = True
    _create(client, merchant)
    sim.complete_payment("INV-0001")
    first, second = sim.callback_params("INV-0001")
    assert first == second
    results = [client.verify_payment(parse_callback(p)) for p in (first, second)]
    assert results[0].gateway_txn_id == results[1].gateway_txn_id
    assert results[0].amount == results[1].amount
    assert sim.send_callback("INV-0001") == [200, 200]
    assert len(merchant.hits) == 2


def test_server_error(sim, client, merchant):
    sim.server_error = True
    with pytest.raises(GatewayError) as info:
        _create(client, merchant)
    assert type(info.value) is GatewayError
    assert info.value.reason == "server_error"
    assert "HTTP 500" in info.value.message


def test_unreachable(merchant):
    with AamarPaySimulator() as gone:
        url = gone.base_url
    client = AamarPayClient("s", "k", base_url=url, timeout=1)
    with pytest.raises(GatewayError) as info:
        _create(client, merchant)
    assert info.value.reason == "unreachable"


def test_non_json_reply_is_a_protocol_error(merchant):
    html = _Receiver(reply=b"<html>maintenance</html>", ctype="text/html")
    try:
        client = AamarPayClient("s", "k", base_url=html.url, timeout=1)
        with pytest.raises(GatewayProtocolError) as info:
            client.verify_payment("INV-0001")
        assert info.value.reason == "bad_reply"
    finally:
        html.stop()


def test_unexpected_fields_are_a_protocol_error(merchant):
    odd = _Receiver(reply=b'{"result": "true"}', ctype="application/json")
    try:
        client = AamarPayClient("s", "k", base_url=odd.url, timeout=1)
        with pytest.raises(GatewayProtocolError):
            _create(client, merchant)
        with pytest.raises(GatewayProtocolError):
            client.verify_payment("INV-0001")
    finally:
        odd.stop()


def test_unknown_status_is_a_protocol_error(sim, client, merchant):
    _create(client, merchant)
    sim.payments["INV-0001"]["pay_status"] = "Mystery"
    with pytest.raises(GatewayProtocolError) as info:
        client.verify_payment("INV-0001")
    assert info.value.reason == "unknown_status"


def test_unknown_transaction_is_refused(client):
    with pytest.raises(GatewayRejected) as info:
        client.verify_payment("NOPE")
    assert info.value.reason == "refused"
    assert "Invalid Request ID" in info.value.message


def test_amounts_are_two_decimal_strings():
    assert format_amount("500") == "500.00"
    assert format_amount(Decimal("99.5")) == "99.50"
    for bad in ("0", "-5", "1.005", 1.5, "abc"):
        with pytest.raises(GatewayError) as info:
            format_amount(bad)
        assert info.value.reason == "invalid_amount"
