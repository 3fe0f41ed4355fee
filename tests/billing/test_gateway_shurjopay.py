"""The real ShurjoPay client against the ShurjoPay simulator over loopback HTTP."""

import threading
import time
import urllib.parse
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from simulators.shurjopay import ShurjoPaySimulator

from isp_billing.lib.gateway_errors import (
    GatewayError,
    GatewayMismatch,
    GatewayProtocolError,
    GatewayRejected,
    GatewayTimeout,
)
from isp_billing.lib.gateway_shurjopay import (
    ShurjoPayClient,
    check_result,
    format_amount,
    parse_return,
)


class _Receiver:
    """A merchant endpoint that records what reaches it (returns, or canned replies)."""

    def __init__(self, reply=b"ok", ctype="text/plain"):
        self.hits = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                outer.hits.append((self.command, self.path))
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def do_GET(self):
                self._answer()

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sim():
    simulator = ShurjoPaySimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def merchant():
    receiver = _Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def client(sim):
    return ShurjoPayClient(sim.username, sim.password, "ISP", base_url=sim.base_url, timeout=2)


def _create(client, merchant, reference="INV-0001", amount="500.00", currency="BDT"):
    return client.create_payment(
        reference,
        amount,
        currency=currency,
        return_url=f"{merchant.url}/payment/shurjopay/return",
        cancel_url=f"{merchant.url}/payment/shurjopay/cancel",
        client_ip="203.0.113.7",
        customer_name="Rahim Uddin",
        customer_phone="01712345678",
        customer_address="House 1, Road 2",
        customer_city="Dhaka",
    )


def test_happy_path(sim, client, merchant):
    session = _create(client, merchant)
    assert session.reference == "INV-0001"
    assert session.sp_order_id.startswith("ISP")
    assert session.checkout_url.startswith(f"{sim.root_url}/spaycheckout/")
    assert sim.payments[session.sp_order_id]["amount"] == "500.0000"

    [params] = [sim.complete_payment(session.sp_order_id)]
    assert parse_return(params) == session.sp_order_id

    result = client.verify_payment(parse_return(params))
    assert result.reference == "INV-0001"
    assert result.gateway_txn_id == session.sp_order_id
    assert result.amount == Decimal("500.00")
    assert result.currency == "BDT"
    assert result.sp_code == "1000"
    assert result.status == "Success"
    assert result.bank_trx_id.startswith("BKT")
    assert result.method == "bKash"
    assert check_result(result, "500.00", "BDT", "INV-0001") is result


def test_token_is_cached_and_renewed_when_expired(sim, merchant):
    now = [1000.0]
    client = ShurjoPayClient(
        sim.username, sim.password, "ISP", base_url=sim.base_url, clock=lambda: now[0]
    )
    session = _create(client, merchant)
    with pytest.raises(GatewayRejected):
        client.verify_payment(session.sp_order_id)  # initiated, not paid
    assert sim.tokens_issued == 1
    assert sim.requests.count(("POST", "/api/get_token")) == 1
    now[0] += 3600 - 60  # within the safety margin: renew before ShurjoPay expires it
    with pytest.raises(GatewayRejected):
        client.verify_payment(session.sp_order_id)
    assert sim.tokens_issued == 2


def test_refused_token_is_renewed_once(sim, client, merchant):
    _create(client, merchant)
    client._token = "forged.token.value"  # e.g. revoked by ShurjoPay
    session = _create(client, merchant, reference="INV-0002")
    assert session.reference == "INV-0002"
    assert sim.tokens_issued == 2


def test_browser_flow_redirects_to_return_url(sim, client, merchant):
    session = _create(client, merchant)
    reply = requests.get(session.checkout_url + "&action=pay", timeout=5)
    assert reply.status_code == 200  # followed the redirect to the merchant
    [(method, path)] = merchant.hits
    assert method == "GET"
    assert path == f"/payment/shurjopay/return?order_id={session.sp_order_id}"
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
    assert client.verify_payment(parse_return(query)).sp_code == "1000"


def test_return_without_payment_is_not_completed(sim, client, merchant):
    session = _create(client, merchant)
    with pytest.raises(GatewayRejected) as info:
        client.verify_payment(parse_return({"order_id": session.sp_order_id}))
    assert info.value.reason == "not_completed"
    assert info.value.status_code == "1068"


def test_return_without_order_id_is_a_protocol_error():
    with pytest.raises(GatewayProtocolError) as info:
        parse_return({})
    assert info.value.reason == "bad_callback"


def test_invalid_order(client):
    with pytest.raises(GatewayRejected) as info:
        client.verify_payment("ISPNOSUCHORDER")
    assert info.value.reason == "invalid_order"
    assert info.value.status_code == "1011"
    assert "Invalid order id" in info.value.message


def test_cancel(sim, client, merchant):
    sim.cancel = True
    session = _create(client, merchant)
    sim.complete_payment(session.sp_order_id)
    assert sim.callback_url(session.sp_order_id).startswith(
        f"{merchant.url}/payment/shurjopay/cancel?order_id="
    )
    with pytest.raises(GatewayRejected) as info:
        client.verify_payment(session.sp_order_id)
    assert info.value.reason == "cancelled"
    assert info.value.status_code == "1002"


def test_insufficient_balance(sim, client, merchant):
    sim.insufficient_balance = True
    session = _create(client, merchant)
    sim.complete_payment("INV-0001")  # our own reference works for the customer too
    with pytest.raises(GatewayRejected) as info:
        client.verify_payment(session.sp_order_id)
    assert info.value.reason == "insufficient_balance"
    assert info.value.status_code == "1008"


@pytest.mark.parametrize("call", ["token", "create", "verify"])
def test_timeout(sim, merchant, call):
    client = ShurjoPayClient(sim.username, sim.password, "ISP", base_url=sim.base_url, timeout=0.3)
    if call != "token":
        session = _create(client, merchant)
    sim.timeout = True
    sim.timeout_delay = 3
    started = time.monotonic()
    with pytest.raises(GatewayTimeout) as info:
        if call == "verify":
            client.verify_payment(session.sp_order_id)
        else:
            _create(client, merchant, reference="INV-0002")
    assert time.monotonic() - started < 2
    assert info.value.reason == "timeout"


def test_bad_token_signature_is_refused(sim, client, merchant):
    sim.bad_signature = True
    with pytest.raises(GatewayRejected) as info:
        _create(client, merchant)
    assert info.value.reason == "auth_failed"
    assert info.value.status_code == "401"
    assert sim.tokens_issued == 2  # renewed once, then gave up
    assert not sim.payments


def test_token_signature_checked_by_simulator(sim):
    good = sim.issue_token()
    assert sim.token_valid(good)
    head, payload, signature = good.split(".")
    assert not sim.token_valid(f"{head}.{payload}x.{signature}")
    sim.bad_signature = True
    assert not sim.token_valid(sim.issue_token())


def test_wrong_credentials(sim, merchant):
    client = ShurjoPayClient(sim.username, "wrong", "ISP", base_url=sim.base_url, timeout=2)
    with pytest.raises(GatewayRejected) as info:
        _create(client, merchant)
    assert info.value.reason == "auth_failed"
    assert info.value.status_code == "1064"


def test_amount_mismatch(sim, client, merchant):
    sim.amount_mismatch = True
    session = _create(client, merchant)
    sim.complete_payment(session.sp_order_id)
    result = client.verify_payment(session.sp_order_id)
    assert result.amount == Decimal("499.00")
    with pytest.raises(GatewayMismatch) as info:
        check_result(result, Decimal("500.00"), "BDT", "INV-0001")
    assert info.value.reason == "amount_mismatch"


def test_currency_and_reference_mismatch(sim, client, merchant):
    session = _create(client, merchant)
    sim.complete_payment(session.sp_order_id)
    result = client.verify_payment(session.sp_order_id)
    with pytest.raises(GatewayMismatch) as info:
        check_result(result, "500.00", "USD", "INV-0001")
    assert info.value.reason == "currency_mismatch"
    with pytest.raises(GatewayMismatch) as info:
        check_result(result, "500.00", "BDT", "INV-0002")
    assert info.value.reason == "reference_mismatch"


def test_verification_answering_for_another_order_is_a_mismatch(sim, client, merchant):
    session = _create(client, merchant)
    sim.complete_payment(session.sp_order_id)
    sim.payments[session.sp_order_id]["order_id"] = "ISPOTHER"
    with pytest.raises(GatewayMismatch) as info:
        client.verify_payment(session.sp_order_id)
    assert info.value.reason == "reference_mismatch"


def test_duplicate_callback_verifies_to_the_same_payment(sim, client, merchant):
    sim.duplicate_callback = True
    session = _create(client, merchant)
    sim.complete_payment(session.sp_order_id)
    first, second = sim.callback_params(session.sp_order_id)
    assert first == second
    results = [client.verify_payment(parse_return(p)) for p in (first, second)]
    assert results[0].gateway_txn_id == results[1].gateway_txn_id
    assert results[0].bank_trx_id == results[1].bank_trx_id
    assert sim.send_callback(session.sp_order_id) == [200, 200]
    assert len(merchant.hits) == 2


def test_server_error(sim, client, merchant):
    sim.server_error = True
    with pytest.raises(GatewayError) as info:
        _create(client, merchant)
    assert type(info.value) is GatewayError
    assert info.value.reason == "server_error"
    assert "HTTP 500" in info.value.message


def test_unsupported_currency_is_refused_before_sending(sim, client, merchant):
    with pytest.raises(GatewayError) as info:
        _create(client, merchant, currency="EUR")
    assert info.value.reason == "config"
    assert ("POST", "/api/secret-pay") not in sim.requests


def test_unreachable(merchant):
    with ShurjoPaySimulator() as gone:
        url = gone.base_url
    client = ShurjoPayClient("u", "p", "ISP", base_url=url, timeout=1)
    with pytest.raises(GatewayError) as info:
        _create(client, merchant)
    assert info.value.reason == "unreachable"


def test_non_json_reply_is_a_protocol_error():
    html = _Receiver(reply=b"<html>maintenance</html>", ctype="text/html")
    try:
        client = ShurjoPayClient("u", "p", "ISP", base_url=html.url, timeout=1)
        with pytest.raises(GatewayProtocolError) as info:
            client.get_token()
        assert info.value.reason == "bad_reply"
    finally:
        html.stop()


def test_unexpected_fields_are_a_protocol_error(sim, client, merchant):
    odd = _Receiver(reply=b'{"sp_code": "200", "message": "Ok"}', ctype="application/json")
    try:
        odd_client = ShurjoPayClient("u", "p", "ISP", base_url=odd.url, timeout=1)
        with pytest.raises(GatewayProtocolError):
            odd_client.get_token()
    finally:
        odd.stop()
    session = _create(client, merchant)
    sim.payments[session.sp_order_id]["sp_code"] = "4242"
    with pytest.raises(GatewayProtocolError) as info:
        client.verify_payment(session.sp_order_id)
    assert info.value.reason == "unknown_status"


def test_amounts_are_two_decimal_strings():
    assert format_amount("500") == "500.00"
    assert format_amount(Decimal("99.5")) == "99.50"
    for bad in ("0", "-5", "1.005", 1.5, "abc"):
        with pytest.raises(GatewayError) as info:
            format_amount(bad)
        assert info.value.reason == "invalid_amount"
