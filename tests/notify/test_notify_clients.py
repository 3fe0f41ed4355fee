"""The notification clients against the simulators over real loopback HTTP."""

import pytest
import requests
from simulators.messaging import (
    TELEGRAM_TOKEN,
    WHATSAPP_PHONE_NUMBER_ID,
    WHATSAPP_TOKEN,
    MessagingSimulator,
)
from simulators.sms_gateway import API_KEY, SENDER, SmsGatewaySimulator

from isp_base.lib.notify_clients import (
    BulkSmsBdClient,
    GenericHttpClient,
    SslWirelessClient,
    TelegramBotClient,
    WhatsAppCloudClient,
    bd_msisdn,
)

BANGLA = "প্রিয় গ্রাহক, আপনার বিল ৫০০ টাকা। ধন্যবাদ!"
TO = "+8801712345678"


@pytest.fixture(scope="module")
def sms_sim():
    sim = SmsGatewaySimulator().start()
    sim.timeout_delay = 1.0
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def msg_sim():
    sim = MessagingSimulator().start()
    sim.timeout_delay = 1.0
    yield sim
    sim.stop()


@pytest.fixture(autouse=True)
def _reset(sms_sim, msg_sim):
    for sim in (sms_sim, msg_sim):
        sim.reset()
        sim.clear()


def bulk(sim, **kw):
    return BulkSmsBdClient(sim.bulksmsbd_url, API_KEY, SENDER, timeout=0.5, **kw)


def ssl(sim, **kw):
    return SslWirelessClient(sim.ssl_url, API_KEY, SENDER, timeout=0.5, **kw)


def generic(sim, **kw):
    return GenericHttpClient(
        sim.generic_url,
        method="POST",
        body_format="form",
        parameter_template="api_key={api_key}\nto={to}\ntext={message}\nfrom={sender}\nref={reference}",
        success_regex=r'"status":\s*"ok"',
        message_id_regex=r'"id":\s*"([^"]+)"',
        balance_url=sim.generic_balance_url,
        balance_regex=r'"balance":\s*([0-9.]+)',
        api_key=API_KEY,
        sender=SENDER,
        timeout=0.5,
        **kw,
    )


SMS_CLIENTS = [bulk, ssl, generic]


def test_bd_msisdn():
    assert bd_msisdn("+8801712345678") == "8801712345678"
    assert bd_msisdn("01712345678") == "8801712345678"
    assert bd_msisdn("008801712345678") == "8801712345678"


@pytest.mark.parametrize("make", SMS_CLIENTS)
def test_sms_success_bangla_intact(sms_sim, make):
    result = make(sms_sim).send(TO, BANGLA, reference="ref-1")
    assert result.ok, result
    assert result.message_id
    assert sms_sim.messages[-1]["text"] == BANGLA
    assert sms_sim.messages[-1]["id"] == result.message_id
    assert bd_msisdn(sms_sim.messages[-1]["to"]) == "8801712345678"


@pytest.mark.parametrize("make", SMS_CLIENTS)
def test_sms_timeout_is_transient(sms_sim, make):
    sms_sim.timeout = True
    result = make(sms_sim).send(TO, "hello", reference="ref-t")
    assert not result.ok and result.transient
    assert "Timeout" in result.error


@pytest.mark.parametrize("make", SMS_CLIENTS)
def test_sms_server_error_is_transient(sms_sim, make):
    sms_sim.server_error = True
    result = make(sms_sim).send(TO, "hello", reference="ref-5")
    assert not result.ok and result.transient


@pytest.mark.parametrize("make", SMS_CLIENTS)
def test_sms_rate_limit_is_transient(sms_sim, make):
    sms_sim.rate_limit = True
    result = make(sms_sim).send(TO, "hello", reference="ref-r")
    assert not result.ok and result.transient


@pytest.mark.parametrize("make", SMS_CLIENTS)
def test_sms_rejected_number_is_permanent(sms_sim, make):
    sms_sim.rejected_numbers = {TO}
    result = make(sms_sim).send(TO, "hello", reference="ref-x")
    assert not result.ok and not result.transient
    assert result.error
    assert not sms_sim.messages


def test_sms_provider_error_codes(sms_sim):
    sms_sim.rejected_number = True
    assert bulk(sms_sim).send(TO, "x").error.startswith("1001")
    assert ssl(sms_sim).send(TO, "x", reference="r").error.startswith("4022")
    bad_key = BulkSmsBdClient(sms_sim.bulksmsbd_url, "wrong", SENDER, timeout=0.5)
    assert bad_key.send(TO, "x").error.startswith("1011")


def test_sms_rate_per_second_window(sms_sim):
    sms_sim.rate_limit_per_second = 5
    client = bulk(sms_sim)
    results = [client.send(TO, f"m{i}") for i in range(8)]
    assert sum(r.ok for r in results) == 5
    assert all(r.transient for r in results if not r.ok)


@pytest.mark.parametrize("make", SMS_CLIENTS)
def test_sms_balance(sms_sim, make):
    result = make(sms_sim).balance()
    assert result.ok, result
    assert result.balance == pytest.approx(1000.0)


def test_ssl_lookup_by_reference(sms_sim):
    client = ssl(sms_sim)
    assert client.lookup("never-sent").status == "NOT_FOUND"
    sent = client.send(TO, "hello", reference="csms-42")
    found = client.lookup("csms-42")
    assert found.ok and found.message_id == sent.message_id and found.status == "DELIVERED"
    # The same csms_id again (a retried request) is not a second SMS.
    again = client.send(TO, "hello", reference="csms-42")
    assert again.ok and again.message_id == sent.message_id
    assert len(sms_sim.messages) == 1


def test_keep_alive_session_reused(sms_sim):
    with requests.Session() as session:
        client = bulk(sms_sim, session=session)
        for i in range(20):
            assert client.send(TO, f"m{i}").ok
        pool = session.get_adapter(sms_sim.root_url).poolmanager
        assert len(pool.pools) == 1


def test_generic_get_and_json(sms_sim):
    for method, body_format in (("GET", "form"), ("POST", "json")):
        client = generic(sms_sim)
        client.method, client.body_format = method, body_format
        assert client.send(TO, BANGLA, reference="g").ok
        assert sms_sim.messages[-1]["text"] == BANGLA


def test_generic_delivery_report_parsing():
    reports = GenericHttpClient.parse_delivery_reports(
        [{"message_id": "a", "status": "DELIVERED"}, {"id": "b", "status": "failed"}, {"x": 1}]
    )
    assert [(r.message_id, r.delivered, r.failed) for r in reports] == [
        ("a", True, False),
        ("b", False, True),
    ]


# ---------------------------------------------------------------------- WhatsApp, Telegram


def wa(sim):
    return WhatsAppCloudClient(sim.root_url, WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID, timeout=0.5)


def tg(sim):
    return TelegramBotClient(sim.root_url, TELEGRAM_TOKEN, timeout=0.5)


def test_whatsapp_template(msg_sim):
    result = wa(msg_sim).send(
        TO, BANGLA, template_name="invoice_generated", lang="bn", params=["রহিম", "৫০০"]
    )
    assert result.ok and result.message_id.startswith("wamid.")
    sent = msg_sim.messages[-1]
    assert sent["template"] == "invoice_generated" and sent["lang"] == "bn"
    assert sent["params"] == ["রহিম", "৫০০"]
    assert sent["to"] == "8801712345678"


def test_whatsapp_text_and_errors(msg_sim):
    assert wa(msg_sim).send(TO, BANGLA).ok
    assert msg_sim.messages[-1]["text"] == BANGLA
    msg_sim.rejected_number = True
    result = wa(msg_sim).send(TO, "x")
    assert not result.ok and not result.transient and result.error.startswith("131026")
    msg_sim.reset()
    msg_sim.rate_limit = True
    result = wa(msg_sim).send(TO, "x")
    assert not result.ok and result.transient
    msg_sim.reset()
    msg_sim.server_error = True
    assert wa(msg_sim).send(TO, "x").transient
    msg_sim.reset()
    msg_sim.timeout = True
    assert wa(msg_sim).send(TO, "x").transient
    msg_sim.reset()
    bad = WhatsAppCloudClient(msg_sim.root_url, "bad", WHATSAPP_PHONE_NUMBER_ID, timeout=0.5)
    result = bad.send(TO, "x")
    assert not result.ok and not result.transient and result.error.startswith("190")


def test_whatsapp_status_webhook_parsing(msg_sim):
    body = msg_sim.status_webhook("wamid.X", "failed", error="Message undeliverable")
    (report,) = WhatsAppCloudClient.parse_delivery_reports(body)
    assert report.message_id == "wamid.X" and report.failed and report.error
    (report,) = WhatsAppCloudClient.parse_delivery_reports(msg_sim.status_webhook("w2", "read"))
    assert report.delivered


def test_telegram(msg_sim):
    result = tg(msg_sim).send("-100123", "রাউটার R1 বন্ধ")
    assert result.ok and result.message_id
    assert msg_sim.messages[-1]["text"] == "রাউটার R1 বন্ধ"
    msg_sim.rate_limit = True
    result = tg(msg_sim).send("-100123", "x")
    assert result.transient and result.retry_after == 2
    msg_sim.reset()
    msg_sim.rejected_number = True
    result = tg(msg_sim).send("-100123", "x")
    assert not result.ok and not result.transient and "chat not found" in result.error
    msg_sim.reset()
    msg_sim.timeout = True
    assert tg(msg_sim).send("-100123", "x").transient
    msg_sim.reset()
    msg_sim.server_error = True
    assert tg(msg_sim).send("-100123", "x").transient
