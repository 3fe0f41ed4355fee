import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tests import common as odoo_test_common
from odoo.tools import mute_logger

from ..lib.notify_backoff import MAX_ATTEMPTS
from ..lib.notify_clients import DeliveryReport
from .notify_common import BANGLA_TEXT, NotifyCommon, messaging

# queue_job's test helpers register themselves in SETATTR_SOURCES, which this Odoo 18
# build no longer has; give them the empty registry they expect.
if not hasattr(odoo_test_common, "SETATTR_SOURCES"):
    odoo_test_common.SETATTR_SOURCES = {}

from odoo.addons.queue_job.tests.common import trap_jobs

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestNotifyChannels(NotifyCommon):
    # ------------------------------------------------------------------ enqueue
    def test_enqueue_dedupe_key(self):
        vals = {"channel": "sms", "recipient": "+8801712345678", "body": "x", "dedupe_key": "k:1"}
        first = self.Message._isp_enqueue([vals, dict(vals)])
        second = self.Message._isp_enqueue([dict(vals)])
        self.assertEqual(len(first), 1)
        self.assertFalse(second)
        self.assertEqual(self.Message.search_count([("dedupe_key", "=", "k:1")]), 1)

    def test_enqueue_race_skips_the_committed_duplicate(self):
        # Another transaction committed "race:1" after this one's snapshot: the unique
        # index refuses it and only the new message is created.
        self._message(dedupe_key="race:1")
        vals = [
            {"channel": "sms", "recipient": "+8801700000001", "body": "a", "dedupe_key": k}
            for k in ("race:1", "race:2")
        ]
        prepared = [
            self.Message._isp_prepare_message_vals(v, self.env["isp.notify.gateway"]) for v in vals
        ]
        with mute_logger("odoo.sql_db", "odoo.addons.isp_base.models.isp_notify_message"):
            created = self.Message._isp_create_deduplicated(prepared)
        self.assertEqual(created.mapped("dedupe_key"), ["race:2"])
        self.assertEqual(self.Message.search_count([("dedupe_key", "=like", "race:%")]), 2)

    def test_enqueue_segments_cost_gateway(self):
        message = self._message(body=BANGLA_TEXT * 2)
        self.assertEqual(message.gateway_id, self.gw_bulksmsbd)
        self.assertEqual(message.encoding, "ucs2")
        self.assertEqual(message.segments, 2)
        self.assertAlmostEqual(message.cost, 0.5)
        self.assertEqual(message.state, "queued")
        plain = self._message(body="a" * 161)
        self.assertEqual((plain.encoding, plain.segments), ("gsm7", 2))

    def test_enqueue_without_gateway_fails_visibly(self):
        self.gw_telegram.active = False
        message = self._message(channel="telegram", recipient="-1")
        self.assertEqual(message.state, "failed")
        self.assertIn("telegram", message.error)

    def test_enqueue_schedules_one_drain_per_gateway(self):
        with trap_jobs() as trap:
            self._message(body="one")
            self._message(body="two")
            self._message(self.gw_ssl, body="three")
        keys = sorted(job.identity_key for job in trap.enqueued_jobs)
        self.assertEqual(
            keys,
            [f"isp.notify.drain:{self.gw_bulksmsbd.id}", f"isp.notify.drain:{self.gw_ssl.id}"],
        )

    # ------------------------------------------------------------------ drain
    def test_drain_sends_bangla_intact(self):
        for gateway in (self.gw_bulksmsbd, self.gw_ssl, self.gw_generic):
            self.sms_sim.clear()
            messages = self._message(gateway, body=BANGLA_TEXT) | self._message(gateway)
            self._drain(gateway)
            self.assertEqual(set(messages.mapped("state")), {"sent"}, gateway.name)
            self.assertTrue(all(messages.mapped("provider_message_id")))
            self.assertTrue(all(messages.mapped("sent_at")))
            self.assertEqual(
                sorted(m["text"] for m in self.sms_sim.messages),
                sorted([BANGLA_TEXT, "Hello from the ISP"]),
            )
            self.assertEqual(
                {m["id"] for m in self.sms_sim.messages},
                set(messages.mapped("provider_message_id")),
            )

    def test_drain_priority_first(self):
        campaign = self._message(body="campaign", priority=10)
        otp = self._message(body="otp 1234", priority=0)
        (first,) = self.Message._isp_claim(self.gw_bulksmsbd.id, limit=1)
        self.assertEqual(first["id"], otp.id)
        self.env.invalidate_all()
        self.assertEqual((otp.state, otp.attempts, campaign.state), ("sending", 1, "queued"))

    def test_drain_transient_failure_retries_later(self):
        message = self._message()
        self.sms_sim.server_error = True
        self._drain(self.gw_bulksmsbd)
        self.assertEqual(message.state, "queued")
        self.assertEqual(message.attempts, 1)
        self.assertIn("500", message.error)
        self.assertGreater(message.next_attempt_at, fields.Datetime.now())
        # Not due yet: a drain now leaves it alone.
        self.sms_sim.reset()
        self._drain(self.gw_bulksmsbd)
        self.assertEqual(message.state, "queued")
        self.assertFalse(self.sms_sim.messages)
        self._make_due(message)
        self._drain(self.gw_bulksmsbd)
        self.assertEqual(message.state, "sent")
        self.assertFalse(message.error)
        self.assertEqual(message.attempts, 2)
        self.assertEqual(len(self.sms_sim.messages), 1)

    def test_drain_timeout_and_rate_limit_are_transient(self):
        self.gw_generic.timeout = 1
        message = self._message(self.gw_generic)
        self.sms_sim.timeout = True
        self.sms_sim.timeout_delay = 2
        with self._real_http():
            self._drain(self.gw_generic)
        self.assertEqual((message.state, message.error), ("queued", "Timeout"))
        self.sms_sim.reset()
        self.sms_sim.rate_limit = True
        self._make_due(message)
        self._drain(self.gw_generic)
        self.assertEqual(message.state, "queued")
        self.assertIn("429", message.error)
        # The provider's throttle is not a failed attempt: only the timeout counted.
        self.assertEqual(message.attempts, 1)

    def test_drain_throttle_retries_soon_without_counting(self):
        message = self._message(self.gw_ssl)
        self.sms_sim.rate_limit = True
        before = fields.Datetime.now()
        self._drain(self.gw_ssl)
        self.assertEqual(message.state, "queued")
        self.assertIn("429", message.error)
        self.assertEqual(message.attempts, 0)
        self.assertLessEqual(message.next_attempt_at, before + timedelta(seconds=5))
        self.sms_sim.reset()
        self._make_due(message)
        self._drain(self.gw_ssl)
        self.assertEqual((message.state, message.attempts), ("sent", 1))
        self.assertEqual(len(self.sms_sim.messages), 1)

    def test_drain_waits_for_throttled_messages(self):
        """A drain that makes progress waits for its throttled messages (a second)."""
        self.gw_ssl.rate_per_second = 50
        self.sms_sim.rate_limit_per_second = 10
        messages = self.Message.browse()
        for i in range(30):
            messages |= self._message(self.gw_ssl, body=f"m{i}")
        with self._real_http():
            self._drain(self.gw_ssl)
        self.assertEqual(set(messages.mapped("state")), {"sent"})
        self.assertEqual(set(messages.mapped("attempts")), {1})
        self.assertEqual(len(self.sms_sim.messages), 30)

    def test_drain_gives_up_after_max_attempts(self):
        message = self._message()
        message.sudo().write({"attempts": MAX_ATTEMPTS - 1})
        self.sms_sim.server_error = True
        self._drain(self.gw_bulksmsbd)
        self.assertEqual(message.state, "failed")
        self.assertIn("Gave up", message.error)

    def test_permanent_failure_does_not_stop_others(self):
        good_1 = self._message(recipient="+8801711111111")
        bad = self._message(recipient="+8801799999999")
        good_2 = self._message(recipient="+8801722222222")
        self.sms_sim.rejected_numbers = {"+8801799999999"}
        self._drain(self.gw_bulksmsbd)
        self.assertEqual(bad.state, "failed")
        self.assertEqual(bad.error, "1001: Invalid Number")
        self.assertEqual((good_1 | good_2).mapped("state"), ["sent", "sent"])

    def test_client_crash_on_one_message_does_not_stop_others(self):
        messages = self._message(body="one") | self._message(body="two")
        original = type(self.gw_bulksmsbd._isp_get_client()).send
        calls = []

        def flaky_send(client, to, text, reference=None, **kwargs):
            calls.append(text)
            if text == "one":
                raise ValueError("boom")
            return original(client, to, text, reference=reference, **kwargs)

        from unittest.mock import patch

        from ..lib.notify_clients import BulkSmsBdClient

        with (
            patch.object(BulkSmsBdClient, "send", flaky_send),
            self.assertLogs("odoo.addons.isp_base.models.isp_notify_message", "WARNING"),
        ):
            self._drain(self.gw_bulksmsbd)
        self.assertEqual(messages.sorted("id").mapped("state"), ["failed", "sent"])
        self.assertIn("boom", messages.sorted("id")[0].error)

    def test_drain_throttles_at_gateway_rate(self):
        self.gw_generic.rate_per_second = 20
        for i in range(11):
            self._message(self.gw_generic, body=f"m{i}")
        start = time.monotonic()
        self._drain(self.gw_generic)
        elapsed = time.monotonic() - start
        self.assertEqual(len(self.sms_sim.messages), 11)
        # A burst of 20 tokens is allowed at most once; with capacity = rate the
        # first 11 pass at once, so check the bucket with a smaller burst instead.
        self.assertLess(elapsed, 5)

    def test_drain_throughput_unthrottled(self):
        count = 400
        self.Message._isp_enqueue(
            [
                {"channel": "sms", "recipient": f"+88017{i:08d}", "body": f"Bill {i}"}
                for i in range(count)
            ]
        )
        start = time.monotonic()
        with self._real_http():
            self._drain(self.gw_bulksmsbd)
        elapsed = time.monotonic() - start
        self.assertEqual(len(self.sms_sim.messages), count)
        sent = self.Message.search_count(
            [("gateway_id", "=", self.gw_bulksmsbd.id), ("state", "=", "sent")]
        )
        self.assertEqual(sent, count)
        rate = count / elapsed
        _logger.info("notify drain throughput: %.0f messages/s", rate)
        self.assertGreater(rate, 50)  # a floor on a busy 2-core machine; the figure is logged

    # ------------------------------------------------------------------ other channels
    def test_whatsapp_template_and_telegram(self):
        wa = self._message(
            self.gw_whatsapp,
            body=BANGLA_TEXT,
            lang="bn_BD",
            payload={"whatsapp_template": "invoice_generated", "whatsapp_params": ["রহিম", "৫০০"]},
        )
        text = self._message(self.gw_whatsapp, body=BANGLA_TEXT)
        tg = self._message(self.gw_telegram, recipient="-100200", body="Router R1 down")
        self._drain(self.gw_whatsapp)
        self._drain(self.gw_telegram)
        self.assertEqual((wa | text | tg).mapped("state"), ["sent"] * 3)
        by_type = {m.get("template") or m["provider"]: m for m in self.msg_sim.messages}
        self.assertEqual(by_type["invoice_generated"]["lang"], "bn")
        self.assertEqual(by_type["invoice_generated"]["params"], ["রহিম", "৫০০"])
        self.assertEqual(by_type["telegram"]["text"], "Router R1 down")
        texts = [m["text"] for m in self.msg_sim.messages if m.get("type") == "text"]
        self.assertEqual(texts, [BANGLA_TEXT])

    def test_whatsapp_undeliverable_is_permanent(self):
        message = self._message(self.gw_whatsapp)
        self.msg_sim.rejected_number = True
        self._drain(self.gw_whatsapp)
        self.assertEqual(message.state, "failed")
        self.assertTrue(message.error.startswith("131026"))

    def test_email_channel(self):
        message = self._message(
            self.gw_email, recipient="karim@example.com", subject="Your bill", body="Bill 500"
        )
        self.assertEqual(message.channel, "email")
        self._drain(self.gw_email)
        self.assertEqual(message.state, "sent")
        mail = message.mail_mail_id
        self.assertTrue(mail)
        self.assertEqual(mail.email_to, "karim@example.com")
        self.assertEqual(mail.subject, "Your bill")
        self.assertIn("Bill 500", mail.body_html)
        self.assertEqual(mail.state, "sent")

    def test_safety_cron(self):
        queued = self._message(body="missed by its job")
        mail_msg = self._message(self.gw_email, recipient="x@example.com", subject="s")
        self._drain(self.gw_email)
        mail_msg.mail_mail_id.write({"state": "exception", "failure_reason": "Mailbox full"})
        self.env.flush_all()
        with trap_jobs() as trap:
            self.Message._cron_notify_safety()
        self.env.invalidate_all()
        self.assertEqual((mail_msg.state, mail_msg.error), ("failed", "Mailbox full"))
        keys = [job.identity_key for job in trap.enqueued_jobs]
        self.assertIn(f"isp.notify.drain:{queued.gateway_id.id}", keys)

    # ------------------------------------------------------------------ recovery
    def _stale(self, gateway, **vals):
        message = self._message(gateway, **vals)
        old = fields.Datetime.now() - timedelta(hours=1)
        self.env.cr.execute(
            "UPDATE isp_notify_message SET state = 'sending', attempts = 1, sending_at = %s "
            "WHERE id = %s",
            [old, message.id],
        )
        self.env.invalidate_all()
        return message

    def test_stale_sending_recovery(self):
        # SSL Wireless got it (we lost the answer): looked up by csms_id -> sent.
        got_it = self._stale(self.gw_ssl, body="reached the provider")
        client = self.gw_ssl._isp_get_client()
        answer = client.send(
            got_it.recipient, got_it.body, reference=self.Message._isp_reference(got_it.id)
        )
        # SSL Wireless never got it -> queued again, safe to send.
        never = self._stale(self.gw_ssl, body="never left")
        # BulkSMSBD cannot look up: outcome unknown, failed (staff may retry).
        unknown = self._stale(self.gw_bulksmsbd, body="who knows")
        # A message just claimed by a running drain is left alone.
        fresh = self._message(self.gw_bulksmsbd, body="in flight")
        self.env.cr.execute(
            "UPDATE isp_notify_message SET state = 'sending', "
            "sending_at = now() at time zone 'UTC' WHERE id = %s",
            [fresh.id],
        )
        self.env.invalidate_all()
        with trap_jobs():
            self.Message._isp_recover_stale()
        self.env.invalidate_all()
        self.assertEqual((got_it.state, got_it.provider_message_id), ("sent", answer.message_id))
        self.assertEqual(never.state, "queued")
        self.assertEqual(unknown.state, "failed")
        self.assertIn("Outcome unknown", unknown.error)
        self.assertEqual(fresh.state, "sending")
        self.assertEqual(len(self.sms_sim.messages), 1)
        # Staff retry the unknown one: it goes out once.
        unknown.with_user(self.user_manager).action_retry()
        self._drain(self.gw_bulksmsbd)
        self.assertEqual(unknown.state, "sent")

    # ------------------------------------------------------------------ delivery reports
    def test_delivery_reports(self):
        message = self._message(self.gw_generic)
        other = self._message(self.gw_generic, body="second")
        self._drain(self.gw_generic)
        reports = [
            DeliveryReport(message.provider_message_id, True, False),
            DeliveryReport(other.provider_message_id, False, True, "Handset off"),
            DeliveryReport("unknown-id", True, False),
        ]
        changed = self.Message._isp_apply_delivery_reports(self.gw_generic, reports)
        self.env.invalidate_all()
        self.assertEqual(changed, 2)
        self.assertEqual(message.state, "delivered")
        self.assertTrue(message.delivered_at)
        self.assertEqual((other.state, other.error), ("failed", "Handset off"))

    def test_delivery_poll_ssl_wireless(self):
        delivered = self._message(self.gw_ssl, body="a")
        failed = self._message(self.gw_ssl, body="b")
        self._drain(self.gw_ssl)
        self.sms_sim.delivery_status[failed.provider_message_id] = "FAILED"
        self.Message._isp_poll_delivery()
        self.env.invalidate_all()
        self.assertEqual(delivered.state, "delivered")
        self.assertEqual(failed.state, "failed")

    # ------------------------------------------------------------------ staff actions, rights
    def test_cancel_and_retry(self):
        message = self._message()
        message.with_user(self.user_manager).action_cancel()
        self.assertEqual(message.state, "cancelled")
        self._drain(self.gw_bulksmsbd)
        self.assertFalse(self.sms_sim.messages)
        with self.assertRaises(AccessError):
            message.with_user(self.user_staff).action_retry()
        message.with_user(self.user_manager).action_retry()
        self._drain(self.gw_bulksmsbd)
        self.assertEqual(message.state, "sent")

    def test_secrets_never_readable_by_non_admins(self):
        self.assertTrue(self.gw_bulksmsbd.has_credentials)
        raw = self.gw_bulksmsbd.sudo().api_key_encrypted
        self.assertTrue(raw)
        self.assertNotIn("sim-sms-key", raw)
        for user in (self.user_manager, self.user_staff):
            gateway = self.gw_bulksmsbd.with_user(user)
            for field_name in ("api_key_encrypted", "whatsapp_token_encrypted", "dlr_token"):
                with self.assertRaises(AccessError):
                    gateway.read([field_name])
            self.assertTrue(gateway.has_credentials)
            self.assertEqual(gateway.read(["name"])[0]["name"], "Test BulkSMSBD")
        self.assertFalse(self.gw_bulksmsbd.api_key)  # write-only, even for the admin

    def test_check_balance_and_send_test(self):
        self.gw_ssl.with_user(self.user_manager).action_check_balance()
        self.assertEqual(self.gw_ssl.last_balance, 1000.0)
        self.assertTrue(self.gw_ssl.balance_checked_at)
        wizard = (
            self.env["isp.notify.gateway.test"]
            .with_user(self.user_manager)
            .create({"gateway_id": self.gw_generic.id, "recipient": "01712345678"})
        )
        wizard.action_send()
        self.assertEqual(self.sms_sim.messages[-1]["text"], wizard.body)
        log = self.Message.search([("gateway_id", "=", self.gw_generic.id)], limit=1)
        self.assertEqual((log.state, log.event_code), ("sent", "test"))


@tagged("post_install", "-at_install")
class TestNotifyDeliveryWebhook(HttpCase):
    """Delivery reports pushed to /isp/notify/dlr/<gateway>: token or signature checked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Gateway = cls.env["isp.notify.gateway"]
        cls.generic = Gateway.create(
            {
                "name": "DLR generic",
                "channel": "sms",
                "provider": "generic_http",
                "base_url": "http://127.0.0.1:9/send",
                "dlr_token": "dlr-secret",
            }
        )
        cls.whatsapp = Gateway.create(
            {
                "name": "DLR WhatsApp",
                "channel": "whatsapp",
                "provider": "whatsapp_cloud",
                "api_secret": "wa-app-secret",
                "dlr_token": "verify-me",
            }
        )
        Message = cls.env["isp.notify.message"]
        cls.sms = Message.create(
            {
                "channel": "sms",
                "gateway_id": cls.generic.id,
                "recipient": "+8801712345678",
                "state": "sent",
                "provider_message_id": "gen-1",
            }
        )
        cls.wa = Message.create(
            {
                "channel": "whatsapp",
                "gateway_id": cls.whatsapp.id,
                "recipient": "+8801712345678",
                "state": "sent",
                "provider_message_id": "wamid.A",
            }
        )

    def _post(self, gateway, body, query="", headers=None):
        return self.url_open(
            f"/isp/notify/dlr/{gateway.id}{query}",
            data=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def test_generic_report_needs_the_token(self):
        body = json.dumps({"message_id": "gen-1", "status": "DELIVERED"})
        self.assertEqual(self._post(self.generic, body, "?token=wrong").status_code, 403)
        self.sms.invalidate_recordset()
        self.assertEqual(self.sms.state, "sent")
        response = self._post(self.generic, body, "?token=dlr-secret")
        self.assertEqual(response.json(), {"ok": True, "updated": 1})
        self.sms.invalidate_recordset()
        self.assertEqual(self.sms.state, "delivered")

    def test_whatsapp_status_webhook_signed(self):
        challenge = self.url_open(
            f"/isp/notify/dlr/{self.whatsapp.id}"
            "?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42"
        )
        self.assertEqual(challenge.text, "42")
        bad = self.url_open(
            f"/isp/notify/dlr/{self.whatsapp.id}?hub.mode=subscribe&hub.verify_token=x"
        )
        self.assertEqual(bad.status_code, 403)
        body = json.dumps(
            messaging.MessagingSimulator().status_webhook(
                "wamid.A", "failed", error="Undeliverable"
            )
        ).encode()
        self.assertEqual(
            self._post(
                self.whatsapp, body, headers={"X-Hub-Signature-256": "sha256=00"}
            ).status_code,
            403,
        )
        signature = hmac.new(b"wa-app-secret", body, hashlib.sha256).hexdigest()
        response = self._post(
            self.whatsapp, body, headers={"X-Hub-Signature-256": f"sha256={signature}"}
        )
        self.assertEqual(response.json()["updated"], 1)
        self.wa.invalidate_recordset()
        self.assertEqual((self.wa.state, self.wa.error), ("failed", "Undeliverable"))
