"""The bKash client against the bKash simulator, over loopback HTTP."""

import threading
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from simulators.bkash import BkashSimulator

from isp_billing.lib.gateway_bkash import (
    LIVE_URL,
    SANDBOX_URL,
    BkashClient,
    TokenCache,
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

CALLBACK = "http://isp.example/payment/bkash/return?tx=7"


@pytest.fixture
def sim():
    simulator = BkashSimulator().start()
    yield simulator
    simulator.stop()


def make_client(sim, **kwargs):
    kwargs.setdefault("timeout", 2)
    return BkashClient(
        sim.app_key, sim.app_secret, sim.username, sim.password, base_url=sim.base_url, **kwargs
    )


@pytest.fixture
def client(sim):
    return make_client(sim)


def create(client, amount="1150.00", invoice="INV/2024/0001"):
    return client.create_payment(amount, invoice, "C-42", CALLBACK)


# ---------------------------------------------------------------- happy path


def test_checkout_happy_path(sim, client):
    created = create(client)
    assert created.payment_id.startswith("TR0011")
    assert created.status == "Initiated"
    assert created.bkash_url.startswith(sim.root_url)
    create_body = dict(sim.calls)["/create"]
    assert create_body["amount"] == "1150.00"
    assert create_body["mode"] == "0011"
    assert create_body["merchantInvoiceNumber"] == "INV/2024/0001"

    params = sim.complete_payment(created.payment_id)
    assert params == {"paymentID": created.payment_id, "status": "success"}
    result = client.confirm_callback(params)

    assert result.is_completed
    assert result.payment_id == created.payment_id
    assert result.transaction_id
    assert result.amount == Decimal("1150.00")
    assert result.currency == "BDT"
    assert result.reference == "INV/2024/0001"
    assert result.customer_msisdn == sim.msisdn
    assert not result.already_executed
    assert check_result(result, Decimal("1150"), "BDT", "INV/2024/0001") is result
    assert sim.completed_transactions() == [result.transaction_id]

    status = client.payment_status(created.payment_id)
    assert status.transaction_id == result.transaction_id
    assert status.is_completed
    found = client.search_transaction(result.transaction_id)
    assert found.amount == Decimal("1150.00")
    assert found.is_completed


def test_browser_redirect_reaches_callback(sim, client):
    created = create(client, "500")
    reply = requests.get(created.bkash_url, allow_redirects=False, timeout=2)
    assert reply.status_code == 302
    location = urlsplit(reply.headers["Location"])
    assert location.path == "/payment/bkash/return"
    params = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert params["tx"] == "7"
    assert params["status"] == "success"
    result = client.confirm_callback(params)
    assert result.amount == Decimal("500.00")


def test_refund_full_and_partial(sim, client):
    created = create(client, "300")
    result = client.confirm_callback(sim.complete_payment(created.payment_id))
    part = client.refund(created.payment_id, result.transaction_id, Decimal("100"), "plan change")
    assert part.amount == Decimal("100.00")
    assert part.original_transaction_id == result.transaction_id
    assert part.refund_transaction_id
    assert part.status == "Completed"
    assert dict(sim.calls)["/payment/refund"]["amount"] == "100.00"
    client.refund(created.payment_id, result.transaction_id, "200", "closing")
    with pytest.raises(GatewayRejected) as exc:
        client.refund(created.payment_id, result.transaction_id, "0.01", "too much")
    assert exc.value.status_code == "2071"


# ---------------------------------------------------------------- token


def test_token_is_granted_once_and_reused(sim, client):
    for invoice in ("INV-1", "INV-2", "INV-3"):
        create(client, invoice=invoice)
    assert sim.count("/token/grant") == 1
    assert sim.count("/token/refresh") == 0
    grant = sim.calls[0]
    assert grant == ("/token/grant", {"app_key": sim.app_key, "app_secret": sim.app_secret})


def test_token_shared_cache_between_clients(sim):
    cache = TokenCache()
    create(make_client(sim, token_cache=cache), invoice="A")
    create(make_client(sim, token_cache=cache), invoice="B")
    assert sim.count("/token/grant") == 1


def test_token_refreshed_when_expiring(sim):
    now = [1_000_000.0]
    client = make_client(sim, clock=lambda: now[0])
    create(client, invoice="A")
    now[0] += 3600 - 30  # within the renewal margin
    create(client, invoice="B")
    assert sim.count("/token/grant") == 1
    assert sim.count("/token/refresh") == 1
    assert sim.calls[-2][1]["refresh_token"].startswith("ref-")


def test_token_granted_again_when_refresh_refused(sim):
    now = [1_000_000.0]
    client = make_client(sim, clock=lambda: now[0])
    create(client, invoice="A")
    sim.refresh_tokens.clear()
    now[0] += 4000
    create(client, invoice="B")
    assert sim.count("/token/refresh") == 1
    assert sim.count("/token/grant") == 2


def test_token_revoked_early_is_granted_again_once(sim, client):
    create(client, invoice="A")
    sim.expire_tokens()
    create(client, invoice="B")
    assert sim.count("/token/grant") == 2


def test_bad_credentials_rejected(sim):
    client = BkashClient(sim.app_key, sim.app_secret, sim.username, "wrong", base_url=sim.base_url)
    with pytest.raises(GatewayRejected) as exc:
        create(client)
    assert exc.value.status_code == "2079"
    assert exc.value.reason == "invalid_credentials"


# ---------------------------------------------------------------- switches


def test_cancel(sim, client):
    sim.cancel = True
    created = create(client)
    params = sim.complete_payment(created.payment_id)
    assert params["status"] == "cancel"
    with pytest.raises(GatewayRejected) as exc:
        client.confirm_callback(params)
    assert exc.value.reason == "cancelled"
    # A forged "success" for the cancelled payment is refused by bKash itself.
    with pytest.raises(GatewayRejected) as exc:
        client.confirm_callback({"paymentID": created.payment_id, "status": "success"})
    assert exc.value.status_code == "2056"
    assert sim.completed_transactions() == []


def test_failure_callback(sim, client):
    created = create(client)
    with pytest.raises(GatewayRejected) as exc:
        client.confirm_callback(sim.complete_payment(created.payment_id, "failure"))
    assert exc.value.reason == "failed"


def test_insufficient_balance(sim, client):
    sim.insufficient_balance = True
    created = create(client)
    with pytest.raises(GatewayRejected) as exc:
        client.confirm_callback(sim.complete_payment(created.payment_id))
    assert exc.value.status_code == "2023"
    assert exc.value.reason == "insufficient_balance"
    assert "Insufficient Balance" in str(exc.value)
    assert client.payment_status(created.payment_id).status == "Failed"
    # A second callback for the failed payment does not turn it into a success.
    with pytest.raises(GatewayRejected) as exc:
        client.confirm_callback({"paymentID": created.payment_id, "status": "success"})
    assert exc.value.reason == "not_completed"
    assert exc.value.status_code == "2117"
    assert "Failed" in str(exc.value)
    assert sim.completed_transactions() == []


def test_callback_without_customer_payment(sim, client):
    created = create(client)
    with pytest.raises(GatewayRejected) as exc:
        client.confirm_callback({"paymentID": created.payment_id, "status": "success"})
    assert exc.value.status_code == "2056"
    assert exc.value.reason == "invalid_state"


def test_unknown_payment_id(client):
    with pytest.raises(GatewayRejected) as exc:
        client.confirm_callback({"paymentID": "TR0011FORGED", "status": "success"})
    assert exc.value.reason == "invalid_payment_id"


@pytest.mark.parametrize(
    "params", [{}, {"paymentID": "TR1"}, {"paymentID": "", "status": "success"}, {"status": "x"}]
)
def test_malformed_callback(params):
    with pytest.raises(GatewayProtocolError) as exc:
        parse_callback(params)
    assert exc.value.reason == "bad_callback"


def test_timeout(sim):
    client = make_client(sim, timeout=0.3)
    sim.timeout = True
    sim.timeout_delay = 1.5
    with pytest.raises(GatewayTimeout) as exc:
        create(client)
    assert exc.value.reason == "timeout"


def test_timeout_on_execute(sim):
    client = make_client(sim, timeout=0.3)
    created = create(client)
    params = sim.complete_payment(created.payment_id)
    sim.timeout = True
    sim.timeout_delay = 1.0
    with pytest.raises(GatewayTimeout):
        client.confirm_callback(params)


def test_bad_signature_foreign_reply(sim, client):
    created = create(client)
    params = sim.complete_payment(created.payment_id)
    sim.bad_signature = True
    with pytest.raises(GatewayProtocolError) as exc:
        client.confirm_callback(params)
    assert exc.value.reason == "foreign_reply"
    with pytest.raises(GatewayProtocolError):
        client.payment_status(created.payment_id)


def test_amount_mismatch(sim, client):
    sim.amount_mismatch = True
    created = create(client, "1000")
    result = client.confirm_callback(sim.complete_payment(created.payment_id))
    assert result.amount == Decimal("1001.00")
    with pytest.raises(GatewayMismatch) as exc:
        check_result(result, Decimal("1000"), "BDT", "INV/2024/0001")
    assert exc.value.reason == "amount_mismatch"


def test_currency_and_reference_mismatch(sim, client):
    created = create(client, "10")
    result = client.confirm_callback(sim.complete_payment(created.payment_id))
    with pytest.raises(GatewayMismatch) as exc:
        check_result(result, "10", "USD", "INV/2024/0001")
    assert exc.value.reason == "currency_mismatch"
    with pytest.raises(GatewayMismatch) as exc:
        check_result(result, "10", "BDT", "INV/2024/0002")
    assert exc.value.reason == "reference_mismatch"


def test_duplicate_callback_is_idempotent(sim, client):
    sim.duplicate_callback = True
    created = create(client)
    first, second = sim.callback_params(created.payment_id)
    assert first == second
    one = client.confirm_callback(first)
    two = client.confirm_callback(second)
    assert not one.already_executed
    assert two.already_executed
    assert one.transaction_id == two.transaction_id
    assert two.amount == Decimal("1150.00")
    assert sim.count("/execute") == 2
    assert len(sim.completed_transactions()) == 1


def test_concurrent_execute(sim, client):
    created = create(client)
    params = sim.complete_payment(created.payment_id)
    results, errors = [], []
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        try:
            results.append(client.confirm_callback(params))
        except GatewayError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len({r.transaction_id for r in results}) == 1
    assert sum(not r.already_executed for r in results) == 1
    assert len(sim.completed_transactions()) == 1


def test_server_error(sim, client):
    sim.server_error = True
    with pytest.raises(GatewayError) as exc:
        create(client)
    assert type(exc.value) is GatewayError
    assert exc.value.reason == "server_error"


def test_not_json(sim, client):
    sim.malformed = True
    with pytest.raises(GatewayProtocolError) as exc:
        create(client)
    assert exc.value.reason == "not_json"


def test_unreachable():
    probe = BkashSimulator().start()
    base_url = probe.base_url
    probe.stop()
    client = BkashClient("k", "s", "u", "p", base_url=base_url, timeout=1)
    with pytest.raises(GatewayError) as exc:
        client.grant_token()
    assert exc.value.reason == "unreachable"


# ---------------------------------------------------------------- agreement


def make_agreement(sim, client):
    created = client.create_agreement("C-42", CALLBACK)
    assert created.payment_id.startswith("TR0000")
    assert created.status == "Initiated"
    assert dict(sim.calls)["/create"] == {
        "mode": "0000",
        "payerReference": "C-42",
        "callbackURL": CALLBACK,
    }
    return client.confirm_agreement_callback(sim.complete_payment(created.payment_id))


def test_agreement_lifecycle(sim, client):
    agreement = make_agreement(sim, client)
    assert agreement.agreement_id
    assert agreement.is_active
    assert agreement.customer_msisdn == sim.msisdn
    assert agreement.payer_reference == "C-42"

    result = client.pay_with_agreement(agreement.agreement_id, "1150", "INV-9", "C-42", CALLBACK)
    assert result.is_completed
    assert result.agreement_id == agreement.agreement_id
    assert result.amount == Decimal("1150.00")
    body = [b for p, b in sim.calls if p == "/create"][-1]
    assert body["mode"] == "0001"
    assert body["agreementID"] == agreement.agreement_id

    assert client.agreement_status(agreement.agreement_id).is_active
    cancelled = client.cancel_agreement(agreement.agreement_id)
    assert cancelled.status == "Cancelled"
    assert not client.agreement_status(agreement.agreement_id).is_active
    with pytest.raises(GatewayRejected) as exc:
        client.pay_with_agreement(agreement.agreement_id, "1150", "INV-10", "C-42", CALLBACK)
    assert exc.value.status_code == "2054"


def test_agreement_cancelled_by_customer(sim, client):
    sim.cancel = True
    created = client.create_agreement("C-42", CALLBACK)
    with pytest.raises(GatewayRejected) as exc:
        client.confirm_agreement_callback(sim.complete_payment(created.payment_id))
    assert exc.value.reason == "cancelled"
    assert sim.agreements == {}


def test_agreement_payment_insufficient_balance(sim, client):
    agreement = make_agreement(sim, client)
    sim.insufficient_balance = True
    with pytest.raises(GatewayRejected) as exc:
        client.pay_with_agreement(agreement.agreement_id, "1150", "INV-9", "C-42", CALLBACK)
    assert exc.value.reason == "insufficient_balance"


def test_agreement_payment_amount_mismatch(sim, client):
    agreement = make_agreement(sim, client)
    sim.amount_mismatch = True
    with pytest.raises(GatewayMismatch):
        client.pay_with_agreement(agreement.agreement_id, "1150", "INV-9", "C-42", CALLBACK)


def test_unknown_agreement(client):
    with pytest.raises(GatewayRejected) as exc:
        client.agreement_status("AGRNOPE")
    assert exc.value.status_code == "2054"


# ---------------------------------------------------------------- small pieces


def test_format_amount():
    assert format_amount(Decimal("1150")) == "1150.00"
    assert format_amount("0.5") == "0.50"
    assert format_amount(12) == "12.00"
    for bad in (0, "-1", "abc", 1.5, True, "NaN"):
        with pytest.raises(ValueError):
            format_amount(bad)


def test_urls():
    assert BkashClient("k", "s", "u", "p").base_url == SANDBOX_URL + "/"
    assert BkashClient("k", "s", "u", "p", sandbox=False).base_url == LIVE_URL + "/"
    assert BkashClient("k", "s", "u", "p").timeout == 10
