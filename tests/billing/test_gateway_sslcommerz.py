"""The SSLCommerz client against the SSLCommerz simulator over loopback HTTP."""

import hashlib
import itertools
import socket
import threading
import urllib.parse
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from simulators.sslcommerz import SSLCommerzSimulator, sign

from isp_billing.lib.gateway_errors import (
    GatewayError,
    GatewayMismatch,
    GatewayProtocolError,
    GatewayRejected,
    GatewayTimeout,
)
from isp_billing.lib.gateway_sslcommerz import (
    LIVE_URL,
    SANDBOX_URL,
    SSLCommerzClient,
    check_ipn_signature,
    check_result,
    compute_verify_sign,
    format_amount,
)

_counter = itertools.count(1)


@pytest.fixture(scope="module")
def sim():
    simulator = SSLCommerzSimulator(store_id="ispsuite01", store_passwd="ispsuite01@ssl")
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def _clean_switches(sim):
    sim.reset()
    sim.settle_refunds = True
    sim.timeout_delay = 1.5
    yield
    sim.reset()


@pytest.fixture
def client(sim):
    return SSLCommerzClient(sim.store_id, sim.store_passwd, base_url=sim.base_url, timeout=2)


def new_ref():
    return f"INV/2026/{next(_counter):05d}"


def open_session(client, tran_id, amount="500", currency="BDT"):
    return client.create_session(
        tran_id,
        Decimal(amount),
        currency,
        success_url="https://isp.example/payment/sslcommerz/return/success",
        fail_url="https://isp.example/payment/sslcommerz/return/fail",
        cancel_url="https://isp.example/payment/sslcommerz/return/cancel",
        ipn_url="https://isp.example/payment/sslcommerz/ipn",
        customer={"name": "Rahim", "email": "rahim@example.com", "phone": "01711000000"},
        extra={"value_a": tran_id},
    )


# ---------------------------------------------------------------------- pure helpers


def test_base_urls_and_defaults():
    assert SSLCommerzClient("s", "p").base_url == SANDBOX_URL
    assert SSLCommerzClient("s", "p", sandbox=False).base_url == LIVE_URL
    assert SSLCommerzClient("s", "p").timeout == 10
    with pytest.raises(ValueError):
        SSLCommerzClient("", "p")


@pytest.mark.parametrize(
    ("amount", "text"), [(Decimal("500"), "500.00"), ("99.995", "100.00"), (10, "10.00")]
)
def test_format_amount(amount, text):
    assert format_amount(amount) == text


@pytest.mark.parametrize("amount", [0, "-1", "NaN", "abc"])
def test_format_amount_refuses(amount):
    with pytest.raises(ValueError):
        format_amount(amount)


def test_format_amount_refuses_float():
    with pytest.raises(TypeError):
        format_amount(10.5)


def test_verify_sign_follows_the_vendor_recipe():
    # Worked by hand: fields of verify_key + store_passwd=md5(password), sorted, joined, md5.
    post = {
        "tran_id": "T1",
        "val_id": "V1",
        "amount": "100.00",
        "status": "VALID",
        "currency": "BDT",
        "unsigned": "ignored",
        "verify_key": "tran_id,val_id,amount,status,currency",
    }
    hashed_pw = hashlib.md5(b"secret").hexdigest()
    text = f"amount=100.00&currency=BDT&status=VALID&store_passwd={hashed_pw}&tran_id=T1&val_id=V1"
    expected = hashlib.md5(text.encode()).hexdigest()
    assert compute_verify_sign(post, "secret") == expected
    assert check_ipn_signature({**post, "verify_sign": expected}, "secret")
    assert check_ipn_signature({**post, "verify_sign": expected.upper()}, "secret")
    assert not check_ipn_signature({**post, "verify_sign": expected}, "other")
    assert not check_ipn_signature({**post, "verify_sign": expected, "amount": "1.00"}, "secret")
    # A field outside verify_key is not covered, as with SSLCommerz.
    assert check_ipn_signature({**post, "verify_sign": expected, "unsigned": "x"}, "secret")
    assert not check_ipn_signature(post, "secret")
    missing = {k: v for k, v in post.items() if k != "val_id"}
    assert not check_ipn_signature({**missing, "verify_sign": expected}, "secret")


def test_simulator_signature_matches_client_check(sim):
    fields = sign({"status": "VALID", "tran_id": "X", "amount": "10.00"}, sim.store_passwd)
    assert check_ipn_signature(fields, sim.store_passwd)
    assert not check_ipn_signature(fields, "not-the-password")


# ---------------------------------------------------------------------- session


def test_session_returns_gateway_page(sim, client):
    ref = new_ref()
    session = open_session(client, ref)
    assert session.sessionkey and session.gateway_url.startswith(sim.base_url)
    page = requests.get(session.gateway_url, timeout=2)
    assert page.status_code == 200 and ref in page.text
    form = sim.session_for(ref).form
    assert form["total_amount"] == "500.00"
    assert form["store_passwd"] == sim.store_passwd
    assert form["shipping_method"] == "NO" and form["product_profile"] == "non-physical-goods"
    assert form["ipn_url"].endswith("/ipn")


def test_session_bad_credentials_rejected(sim):
    client = SSLCommerzClient(sim.store_id, "wrong", base_url=sim.base_url, timeout=2)
    with pytest.raises(GatewayRejected) as err:
        open_session(client, new_ref())
    assert err.value.reason == "session_failed"
    assert "Store Credential Error" in err.value.message


def test_session_amount_below_minimum_rejected(client):
    with pytest.raises(GatewayRejected, match="Invalid amount"):
        open_session(client, new_ref(), amount="5")


# ---------------------------------------------------------------------- happy path


def test_happy_path_ipn_validate_and_check(sim, client):
    ref = new_ref()
    open_session(client, ref, amount="1150.50")
    checkout = sim.complete_payment(ref)
    assert checkout.status == "VALID"
    assert checkout.redirect_url.endswith("/success") and len(checkout.ipns) == 1

    ipn = client.parse_ipn(checkout.ipns[0])
    assert ipn.is_valid and ipn.reference == ref and ipn.amount == Decimal("1150.50")

    result = client.confirm_ipn(checkout.ipns[0], Decimal("1150.50"), "BDT", ref)
    assert result.status == "VALID" and result.is_paid and not result.already_validated
    assert result.reference == ref
    assert result.transaction_id == checkout.ipns[0]["bank_tran_id"]
    assert result.amount == Decimal("1150.50") and result.currency == "BDT"
    assert result.store_amount == Decimal("1121.74")
    assert result.fee == Decimal("28.76")
    assert check_result(result, "1150.5", "bdt", ref) is result


def test_browser_return_form_is_signed_too(sim, client):
    ref = new_ref()
    open_session(client, ref)
    checkout = sim.complete_payment(ref)
    assert client.parse_ipn(checkout.form).val_id == checkout.ipns[0]["val_id"]


def test_blank_fields_dropped_by_form_parser_still_verify(sim, client):
    ref = new_ref()
    open_session(client, ref)
    post = sim.complete_payment(ref).ipns[0]
    assert post["error"] == "" and post["card_no"] == ""
    trimmed = {key: value for key, value in post.items() if value != ""}
    assert client.parse_ipn(trimmed).reference == ref


def test_foreign_currency_compares_requested_amount(sim, client):
    ref = new_ref()
    open_session(client, ref, amount="20", currency="USD")
    checkout = sim.complete_payment(ref)
    result = client.confirm_ipn(checkout.ipns[0], Decimal("20"), "USD", ref)
    assert result.amount == Decimal("20.00") and result.currency == "USD"
    assert result.settled_amount == Decimal("2200.00")


def test_query_transaction_and_find_payment(sim, client):
    ref = new_ref()
    sim.cancel = True
    open_session(client, ref)
    sim.complete_payment(ref)
    sim.cancel = False
    open_session(client, ref)
    checkout = sim.complete_payment(ref)
    attempts = client.query_transaction(ref)
    assert [a.status for a in attempts] == ["CANCELLED", "VALID"]
    paid = client.find_payment(ref)
    assert paid.val_id == checkout.ipns[0]["val_id"] and paid.amount == Decimal("500.00")
    client.validate(paid.val_id)
    assert client.query_transaction(ref)[-1].status == "VALIDATED"


def test_query_unknown_transaction(client):
    assert client.query_transaction("NOPE") == []
    with pytest.raises(GatewayRejected) as err:
        client.find_payment("NOPE")
    assert err.value.reason == "not_found" and err.value.status_code == "NOT_FOUND"


# ---------------------------------------------------------------------- switches


def test_cancel(sim, client):
    ref = new_ref()
    open_session(client, ref)
    sim.cancel = True
    checkout = sim.complete_payment(ref)
    assert checkout.status == "CANCELLED" and checkout.redirect_url.endswith("/cancel")
    with pytest.raises(GatewayRejected) as err:
        client.confirm_ipn(checkout.ipns[0], Decimal("500"), "BDT", ref)
    assert err.value.reason == "cancelled" and err.value.status_code == "CANCELLED"
    with pytest.raises(GatewayRejected) as err:
        client.find_payment(ref)
    assert err.value.reason == "not_paid" and err.value.status_code == "CANCELLED"


def test_insufficient_balance(sim, client):
    ref = new_ref()
    open_session(client, ref)
    sim.insufficient_balance = True
    checkout = sim.complete_payment(ref)
    assert checkout.status == "FAILED" and checkout.redirect_url.endswith("/fail")
    with pytest.raises(GatewayRejected, match="Insufficient balance") as err:
        client.confirm_ipn(checkout.ipns[0])
    assert err.value.reason == "failed" and err.value.status_code == "FAILED"


def test_validate_unknown_val_id_is_invalid_transaction(client):
    with pytest.raises(GatewayRejected) as err:
        client.validate("1234567890abcdef")
    assert err.value.reason == "invalid_transaction"
    assert err.value.status_code == "INVALID_TRANSACTION"


def test_validate_without_val_id(client):
    with pytest.raises(GatewayProtocolError) as err:
        client.validate("")
    assert err.value.reason == "missing_val_id"


def test_timeout(sim):
    client = SSLCommerzClient(sim.store_id, sim.store_passwd, base_url=sim.base_url, timeout=0.3)
    sim.timeout_delay = 1
    sim.timeout = True
    with pytest.raises(GatewayTimeout) as err:
        open_session(client, new_ref())
    assert err.value.reason == "timeout" and "0.3 s" in err.value.message
    with pytest.raises(GatewayTimeout):
        client.validate("anything")
    with pytest.raises(GatewayTimeout):
        client.query_transaction("anything")


def test_bad_signature(sim, client):
    ref = new_ref()
    open_session(client, ref)
    sim.bad_signature = True
    checkout = sim.complete_payment(ref)
    with pytest.raises(GatewayProtocolError) as err:
        client.confirm_ipn(checkout.ipns[0], Decimal("500"), "BDT", ref)
    assert err.value.reason == "bad_signature"
    # No validation call was made for the forged IPN.
    assert not any(path.endswith("validationserverAPI.php") for _, path, _ in sim.requests[-1:])


def test_tampered_amount_breaks_signature(sim, client):
    ref = new_ref()
    open_session(client, ref)
    post = sim.complete_payment(ref).ipns[0]
    with pytest.raises(GatewayProtocolError, match="bad signature"):
        client.parse_ipn({**post, "amount": "1.00"})
    with pytest.raises(GatewayProtocolError):
        client.parse_ipn({k: v for k, v in post.items() if k != "verify_sign"})


def test_signature_must_cover_amount(sim, client):
    # Correctly signed by the store password, but verify_key leaves the amount out.
    fields = {"status": "VALID", "tran_id": "T9", "val_id": "V9", "currency": "BDT"}
    post = {**sign(fields, sim.store_passwd), "amount": "1.00"}
    assert check_ipn_signature(post, sim.store_passwd)
    with pytest.raises(GatewayProtocolError, match="does not cover amount") as err:
        client.parse_ipn(post)
    assert err.value.reason == "bad_signature"


def test_ipn_for_other_store(sim, client):
    fields = {"status": "VALID", "tran_id": "T", "val_id": "V", "amount": "1", "currency": "BDT"}
    post = sign({**fields, "store_id": "someone_else"}, sim.store_passwd)
    with pytest.raises(GatewayMismatch) as err:
        client.parse_ipn(post)
    assert err.value.reason == "store_mismatch"


def test_amount_mismatch(sim, client):
    ref = new_ref()
    open_session(client, ref)
    sim.amount_mismatch = True
    checkout = sim.complete_payment(ref)
    with pytest.raises(GatewayMismatch) as err:
        client.confirm_ipn(checkout.ipns[0], Decimal("500"), "BDT", ref)
    assert err.value.reason == "amount_mismatch" and "499.00" in err.value.message


def test_check_result_reference_and_currency(sim, client):
    ref = new_ref()
    open_session(client, ref)
    result = client.confirm_ipn(sim.complete_payment(ref).ipns[0])
    with pytest.raises(GatewayMismatch) as err:
        check_result(result, Decimal("500"), "BDT", "INV/OTHER")
    assert err.value.reason == "reference_mismatch"
    with pytest.raises(GatewayMismatch) as err:
        check_result(result, Decimal("500"), "USD", ref)
    assert err.value.reason == "currency_mismatch"


def test_duplicate_callback_validates_once(sim, client):
    ref = new_ref()
    open_session(client, ref)
    sim.duplicate_callback = True
    checkout = sim.complete_payment(ref)
    assert len(checkout.ipns) == 2 and checkout.ipns[0] == checkout.ipns[1]
    first = client.confirm_ipn(checkout.ipns[0], Decimal("500"), "BDT", ref)
    second = client.confirm_ipn(checkout.ipns[1], Decimal("500"), "BDT", ref)
    assert first.status == "VALID" and not first.already_validated
    assert second.status == "VALIDATED" and second.already_validated
    assert first.transaction_id == second.transaction_id


def test_duplicate_ipns_delivered_concurrently(sim, client):
    """The simulator posts both IPNs at once to our endpoint; exactly one is new."""
    seen = []
    lock = threading.Lock()

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers["Content-Length"])
            post = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            result = client.confirm_ipn(post, Decimal("500"), "BDT", post["tran_id"])
            with lock:
                seen.append(result.status)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ref = new_ref()
        open_session(client, ref)
        sim.duplicate_callback = True
        checkout = sim.complete_payment(ref)
        url = f"http://127.0.0.1:{server.server_address[1]}/payment/sslcommerz/ipn"
        assert sim.deliver_ipn(checkout, url=url) == [200, 200]
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(seen) == ["VALID", "VALIDATED"]


def test_server_error(sim, client):
    sim.server_error = True
    with pytest.raises(GatewayError) as err:
        open_session(client, new_ref())
    assert type(err.value) is GatewayError
    assert err.value.reason == "server_error" and "HTTP 500" in err.value.message
    with pytest.raises(GatewayError, match="HTTP 500"):
        client.validate("x")


# ---------------------------------------------------------------------- transport failures


def test_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port once the socket is closed.
    client = SSLCommerzClient("s", "p", base_url=f"http://127.0.0.1:{port}", timeout=1)
    with pytest.raises(GatewayError) as err:
        client.validate("x")
    assert type(err.value) is GatewayError and err.value.reason == "unreachable"


def test_non_json_reply(sim, client, monkeypatch):
    monkeypatch.setattr(sim, "handle", lambda *args: (200, "<html>maintenance</html>"))
    with pytest.raises(GatewayProtocolError) as err:
        client.validate("x")
    assert err.value.reason == "not_json"


def test_reply_without_expected_fields(sim, client, monkeypatch):
    monkeypatch.setattr(sim, "handle", lambda *args: (200, {"status": "SUCCESS"}))
    with pytest.raises(GatewayProtocolError, match="GatewayPageURL") as err:
        open_session(client, new_ref())
    assert err.value.reason == "unexpected_reply"
    monkeypatch.setattr(sim, "handle", lambda *args: (200, {"status": "MAYBE"}))
    with pytest.raises(GatewayProtocolError):
        client.validate("x")
    monkeypatch.setattr(sim, "handle", lambda *args: (200, {"no": "APIConnect"}))
    with pytest.raises(GatewayProtocolError, match="APIConnect"):
        client.query_transaction("x")
    monkeypatch.setattr(sim, "handle", lambda *args: (200, ["a", "list"]))
    with pytest.raises(GatewayProtocolError):
        client.refund_status("x")


def test_bad_credentials_on_validator(sim):
    client = SSLCommerzClient(sim.store_id, "wrong", base_url=sim.base_url, timeout=2)
    with pytest.raises(GatewayError) as err:
        client.validate("x")
    assert err.value.reason == "api_invalid_request"
    with pytest.raises(GatewayError) as err:
        client.query_transaction("x")
    assert err.value.reason == "api_invalid_request"


# ---------------------------------------------------------------------- refunds


def paid(sim, client, amount="500"):
    ref = new_ref()
    open_session(client, ref, amount=amount)
    return client.confirm_ipn(sim.complete_payment(ref).ipns[0], Decimal(amount), "BDT", ref)


def test_refund_and_status(sim, client):
    payment = paid(sim, client)
    refund = client.refund(payment.transaction_id, Decimal("200"), "Plan downgrade", refe_id="R1")
    assert refund.status == "success" and refund.refund_ref_id
    assert refund.reference == payment.reference
    assert sim.requests[-1][2]["refund_amount"] == "200.00"
    status = client.refund_status(refund.refund_ref_id)
    assert status.status == "refunded" and status.bank_tran_id == payment.transaction_id


def test_refund_processing(sim, client):
    payment = paid(sim, client)
    sim.settle_refunds = False
    refund = client.refund(payment.transaction_id, Decimal("500"), "Duplicate payment")
    assert client.refund_status(refund.refund_ref_id).status == "processing"


def test_refund_over_amount_rejected(sim, client):
    payment = paid(sim, client)
    client.refund(payment.transaction_id, Decimal("300"), "Partial")
    with pytest.raises(GatewayRejected) as err:
        client.refund(payment.transaction_id, Decimal("300"), "Too much")
    assert err.value.reason == "refund_failed" and "Invalid refund amount" in err.value.message


def test_refund_unknown_payment_rejected(client):
    with pytest.raises(GatewayRejected, match="Invalid bank_tran_id"):
        client.refund("NOSUCHBANKTRAN", Decimal("10"), "x")


def test_refund_timeout(sim):
    client = SSLCommerzClient(sim.store_id, sim.store_passwd, base_url=sim.base_url, timeout=0.3)
    sim.timeout_delay = 1
    sim.timeout = True
    with pytest.raises(GatewayTimeout):
        client.refund("X", Decimal("10"), "x")
