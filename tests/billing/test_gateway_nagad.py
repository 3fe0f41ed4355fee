"""The Nagad client against the Nagad simulator over loopback HTTP, with real RSA both ways."""

import base64
import json
import socket
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from simulators.nagad import NagadSimulator, generate_key_pair

from isp_billing.lib.gateway_errors import (
    GatewayError,
    GatewayMismatch,
    GatewayProtocolError,
    GatewayRejected,
    GatewayTimeout,
)
from isp_billing.lib.gateway_nagad import (
    LIVE_URL,
    SANDBOX_URL,
    NagadClient,
    dhaka_datetime,
    format_amount,
    load_private_key,
)
from isp_billing.lib.money import InvalidAmount

MERCHANT_ID = "683002007104225"
MERCHANT_NUMBER = "01711428036"
CALLBACK = "https://isp.example/payment/nagad/return"
AMOUNT = Decimal("115.00")


@pytest.fixture(scope="module")
def merchant_keys():
    return generate_key_pair()


@pytest.fixture(scope="module")
def other_keys():
    return generate_key_pair()


@pytest.fixture(scope="module")
def nagad_keys():
    return generate_key_pair()


@pytest.fixture
def sim(merchant_keys, nagad_keys):
    simulator = NagadSimulator(
        MERCHANT_ID,
        merchant_keys[1],
        merchant_number=MERCHANT_NUMBER,
        private_key_pem=nagad_keys[0],
    ).start()
    yield simulator
    simulator.stop()


def make_client(sim, merchant_private, **kwargs):
    kwargs.setdefault("timeout", 2)
    kwargs.setdefault("nagad_public_key", sim.public_key_pem)
    return NagadClient(
        MERCHANT_ID, MERCHANT_NUMBER, merchant_private, base_url=sim.base_url, **kwargs
    )


@pytest.fixture
def client(sim, merchant_keys):
    return make_client(sim, merchant_keys[0])


def checkout(client, order_id="INV2024001", amount=AMOUNT):
    return client.create_payment(order_id, amount, CALLBACK)


def test_happy_path(sim, client):
    started = checkout(client)
    assert started.redirect_url.startswith(sim.base_url)
    assert started.amount == AMOUNT
    (params,) = sim.customer_pays(started.payment_reference_id, msisdn="01811111111")
    assert params["status"] == "Success" and params["order_id"] == "INV2024001"
    result = client.confirm_callback(params, Decimal("115"), "INV2024001")
    assert result.reference == "INV2024001"
    assert result.amount == AMOUNT and result.currency == "BDT" and result.status == "Success"
    assert result.transaction_id == params["issuer_payment_ref"]
    assert result.payment_ref_id == started.payment_reference_id
    assert result.customer_msisdn == "01811111111"
    assert result.raw["statusCode"] == "000"
    assert sim.callback_url(started.payment_reference_id).startswith(CALLBACK + "?merchant=")


def test_requests_carry_nagad_headers_and_encrypted_signed_data(sim, client, merchant_keys):
    checkout(client)
    method, path, headers, body = sim.requests[0]
    assert (method, path) == (
        "POST",
        f"/remote-payment-gateway-1.0/api/dfs/check-out/initialize/{MERCHANT_ID}/INV2024001",
    )
    assert headers["X-KM-Api-Version"] == "v-0.2.0"
    assert headers["X-KM-Client-Type"] == "PC_WEB"
    assert headers["X-KM-IP-V4"] == "127.0.0.1"
    payload = json.loads(body)
    assert payload["accountNumber"] == MERCHANT_NUMBER
    assert len(payload["dateTime"]) == 14 and payload["dateTime"].isdigit()
    # Nothing sensitive in clear text; the simulator decrypted and verified it.
    assert "INV2024001" not in payload["sensitiveData"]
    plain = sim._key.decrypt(base64.b64decode(payload["sensitiveData"]), padding.PKCS1v15())
    data = json.loads(plain)
    assert data["merchantId"] == MERCHANT_ID and data["orderId"] == "INV2024001"
    assert data["datetime"] == payload["dateTime"] and len(data["challenge"]) == 40
    public = serialization.load_pem_public_key(merchant_keys[1].encode())
    public.verify(
        base64.b64decode(payload["signature"]), plain, padding.PKCS1v15(), hashes.SHA256()
    )
    _method, path, _headers, body = sim.requests[1]
    assert path.endswith("/check-out/complete/" + next(iter(sim.payments)))
    complete = json.loads(body)
    assert complete["merchantCallbackURL"] == CALLBACK
    data = json.loads(
        sim._key.decrypt(base64.b64decode(complete["sensitiveData"]), padding.PKCS1v15())
    )
    assert data["currencyCode"] == "050" and data["amount"] == "115.00"
    assert data["challenge"] == next(iter(sim.payments.values()))["challenge"]


def test_simulator_refuses_our_bad_signature(sim, other_keys):
    client = make_client(sim, other_keys[0])  # not the key the simulator knows
    with pytest.raises(GatewayRejected) as err:
        checkout(client)
    assert err.value.reason == "refused"
    assert err.value.status_code == "InvalidSignature"


def test_simulator_refuses_data_encrypted_for_another_key(sim, merchant_keys, other_keys):
    client = make_client(sim, merchant_keys[0], nagad_public_key=other_keys[1])
    with pytest.raises(GatewayRejected) as err:
        checkout(client)
    assert err.value.status_code == "InvalidSensitiveData"


def test_bad_signature_on_reply(sim, client):
    sim.bad_signature = True
    with pytest.raises(GatewayProtocolError) as err:
        client.initialize("INV2024001")
    assert err.value.reason == "bad_signature"


def test_reply_signed_by_someone_else(sim, merchant_keys, other_keys):
    # The client trusts another "Nagad" key: the real reply must not verify.
    client = make_client(sim, merchant_keys[0], nagad_public_key=other_keys[1])
    sim_ok = make_client(sim, merchant_keys[0])
    init = sim_ok.initialize("INV2024001")
    assert init.payment_reference_id in sim.payments
    reply = {"sensitiveData": init.raw["sensitiveData"], "signature": init.raw["signature"]}
    with pytest.raises(GatewayProtocolError) as err:
        client._open(reply)
    assert err.value.reason == "bad_signature"


def test_cancel(sim, client):
    sim.cancel = True
    started = checkout(client)
    (params,) = sim.customer_pays(started.payment_reference_id)
    assert params["status"] == "Aborted"
    with pytest.raises(GatewayRejected) as err:
        client.confirm_callback(params, AMOUNT, "INV2024001")
    assert err.value.reason == "cancelled"
    assert err.value.status_code == "001"


def test_insufficient_balance(sim, client):
    sim.insufficient_balance = True
    started = checkout(client)
    (params,) = sim.customer_pays(started.payment_reference_id)
    with pytest.raises(GatewayRejected) as err:
        client.confirm_callback(params, AMOUNT, "INV2024001")
    assert err.value.reason == "insufficient_balance"
    assert err.value.status_code == "InsufficientBalance"


def test_callback_before_payment_is_not_completed(sim, client):
    started = checkout(client)
    forged = {"payment_ref_id": started.payment_reference_id, "status": "Success"}
    with pytest.raises(GatewayRejected) as err:
        client.confirm_callback(forged, AMOUNT, "INV2024001")
    assert err.value.reason == "not_completed"


def test_callback_for_unknown_payment(sim, client):
    with pytest.raises(GatewayRejected) as err:
        client.confirm_callback({"payment_ref_id": "MDEFORGED", "status": "Success"}, AMOUNT, "X")
    assert err.value.status_code == "InvalidPaymentReference"


@pytest.mark.parametrize("params", [{}, {"payment_ref_id": ""}, {"payment_ref_id": "../x"}, None])
def test_malformed_callback(client, params):
    with pytest.raises(GatewayProtocolError):
        client.confirm_callback(params, AMOUNT, "INV2024001")


def test_amount_mismatch(sim, client):
    sim.amount_mismatch = True
    started = checkout(client)
    (params,) = sim.customer_pays(started.payment_reference_id)
    with pytest.raises(GatewayMismatch) as err:
        client.confirm_callback(params, AMOUNT, "INV2024001")
    assert err.value.reason == "amount_mismatch"
    assert "103.50" in err.value.message


def test_reference_and_currency_mismatch(sim, client):
    started = checkout(client)
    (params,) = sim.customer_pays(started.payment_reference_id)
    result = client.verify_payment(params["payment_ref_id"])
    with pytest.raises(GatewayMismatch) as err:
        client.check_result(result, AMOUNT, "BDT", "INV2024002")
    assert err.value.reason == "reference_mismatch"
    with pytest.raises(GatewayMismatch) as err:
        client.check_result(result, AMOUNT, "USD", "INV2024001")
    assert err.value.reason == "currency_mismatch"
    assert client.check_result(result, "115", "BDT", "INV2024001") is result


def test_duplicate_callback_verifies_to_one_transaction(sim, client):
    sim.duplicate_callback = True
    started = checkout(client)
    callbacks = sim.customer_pays(started.payment_reference_id)
    assert len(callbacks) == 2 and callbacks[0] == callbacks[1]
    results = [client.confirm_callback(p, AMOUNT, "INV2024001") for p in callbacks]
    # The caller records a payment once per transaction id; both callbacks share it.
    assert {r.transaction_id for r in results} == {results[0].transaction_id}


def test_duplicate_order_id_is_refused(sim, client):
    checkout(client)
    with pytest.raises(GatewayRejected) as err:
        checkout(client)
    assert err.value.status_code == "DuplicateOrderId"


def test_timeout(sim, merchant_keys):
    sim.timeout = True
    sim.timeout_delay = 1.5
    client = make_client(sim, merchant_keys[0], timeout=0.3)
    with pytest.raises(GatewayTimeout) as err:
        client.initialize("INV2024001")
    assert err.value.reason == "timeout"
    with pytest.raises(GatewayTimeout):
        client.verify_payment("MDE0001")


def test_server_error(sim, client):
    sim.server_error = True
    with pytest.raises(GatewayError) as err:
        client.initialize("INV2024001")
    assert type(err.value) is GatewayError
    assert err.value.reason == "server_error"
    assert "HTTP 500" in err.value.message


def test_unreachable(merchant_keys, nagad_keys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = NagadClient(
        MERCHANT_ID,
        MERCHANT_NUMBER,
        merchant_keys[0],
        nagad_keys[1],
        base_url=f"http://127.0.0.1:{port}/api/dfs",
        timeout=1,
    )
    with pytest.raises(GatewayError) as err:
        client.verify_payment("MDE0001")
    assert err.value.reason == "unreachable"


def test_unknown_endpoint_and_non_json(sim, merchant_keys):
    client = make_client(sim, merchant_keys[0])
    client.base_url = sim.base_url + "/nowhere"
    with pytest.raises(GatewayRejected) as err:
        client.verify_payment("MDE0001")
    assert err.value.status_code == "NotFound"


def test_non_json_reply_is_protocol_error(client, monkeypatch):
    class Html:
        status_code = 200
        text = "<html>maintenance</html>"

        def json(self):
            raise ValueError("not json")

    monkeypatch.setattr(client.session, "request", lambda *a, **k: Html())
    with pytest.raises(GatewayProtocolError) as err:
        client.verify_payment("MDE0001")
    assert err.value.reason == "bad_reply"


def test_missing_headers_are_refused(sim):
    reply = requests.get(f"{sim.base_url}/verify/payment/MDE0001", timeout=2)
    assert reply.status_code == 400
    assert "X-KM-Api-Version" in reply.json()["message"]


def test_amount_and_order_validation(client, sim):
    with pytest.raises(InvalidAmount):
        client.create_payment("INV1", 115.0, CALLBACK)
    with pytest.raises(InvalidAmount):
        client.create_payment("INV1", Decimal("0"), CALLBACK)
    with pytest.raises(InvalidAmount):
        client.create_payment("INV1", Decimal("1.005"), CALLBACK)
    with pytest.raises(ValueError):
        client.create_payment("INV/2024/1", AMOUNT, CALLBACK)
    assert sim.requests == []  # nothing was sent
    assert format_amount(Decimal("1500.5")) == "1500.50"


def test_dhaka_datetime():
    assert dhaka_datetime(datetime(2024, 1, 31, 18, 30, 5, tzinfo=timezone.utc)) == (
        "20240201003005"
    )
    with pytest.raises(ValueError):
        dhaka_datetime(datetime(2024, 1, 31))


def test_keys_as_bare_base64_and_urls(merchant_keys):
    body = "".join(merchant_keys[0].strip().splitlines()[1:-1])
    assert load_private_key(body).key_size == 2048
    with pytest.raises(ValueError):
        load_private_key("not a key")
    client = NagadClient(MERCHANT_ID, MERCHANT_NUMBER, merchant_keys[0], merchant_keys[1])
    assert client.base_url == SANDBOX_URL and client.timeout == 10
    live = NagadClient(
        MERCHANT_ID, MERCHANT_NUMBER, merchant_keys[0], merchant_keys[1], sandbox=False
    )
    assert live.base_url == LIVE_URL
