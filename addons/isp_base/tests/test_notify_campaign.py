import datetime
import sys
from pathlib import Path
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import common as odoo_test_common
from odoo.tests import tagged

from ..lib import notify_clients
from ..lib.phone import normalize_bd_mobile
from .common import IspBaseCommon
from .notify_dispatch_common import NotifyDispatchMixin

# queue_job's test helpers register themselves in SETATTR_SOURCES, which this Odoo 18
# build no longer has; give them the empty registry they expect.
if not hasattr(odoo_test_common, "SETATTR_SOURCES"):
    odoo_test_common.SETATTR_SOURCES = {}

from odoo.addons.queue_job.tests.common import trap_jobs

TESTS_DIR = str(Path(__file__).resolve().parents[3] / "tests")
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from simulators.sms_gateway import SmsGatewaySimulator  # noqa: E402


class _Crash(BaseException):
    """A worker process dying (not an error the code under test may catch)."""


@tagged("post_install", "-at_install")
class TestNotifyCampaign(NotifyDispatchMixin, IspBaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The drain commits through cursors of its own: share the test transaction.
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls._setup_notify()
        cls.sim = SmsGatewaySimulator()
        cls.sim.start()
        cls.addClassCleanup(cls.sim.stop)
        cls.gateway = cls.env["isp.notify.gateway"].create(
            {
                "name": "Campaign SMS",
                "channel": "sms",
                "provider": "ssl_wireless",
                "base_url": cls.sim.root_url,
                "sender_id": cls.sim.sender,
                "api_key": cls.sim.api_key,
                "rate_per_second": 0,
                "timeout": 5,
                "cost_per_segment": 0.25,
                "sequence": 1,
            }
        )
        cls.gateway_sms.active = False
        today = cls.Subscription._isp_today()
        cls.expiry_soon = today + datetime.timedelta(days=3)
        # Karim (Mirpur, home 10) active, expiring in 3 days; Sumon (Mirpur, hotspot)
        # suspended; Rahima (Dhanmondi, home 20) active, expiring in 20 days, Bangla.
        cls._set_state(cls.sub_karim, "active")
        cls._set_state(cls.sub_sumon, "suspended")
        cls._set_state(cls.sub_rahima, "active")
        cls.sub_karim.expiry_at = cls.Subscription._date_to_expiry_instant(cls.expiry_soon)
        cls.sub_rahima.expiry_at = cls.Subscription._date_to_expiry_instant(
            today + datetime.timedelta(days=20)
        )
        cls.subscriber_rahima.lang = "bn_IN"
        # A subscriber without a mobile number (allowed by a missing constraint? use SQL).
        cls.subscriber_nomobile = cls._create_subscriber("Nomobile Mia", cls.zone_mirpur)
        cls.sub_nomobile = cls._create_subscription(cls.subscriber_nomobile, cls.package_home_10)
        cls._set_state(cls.sub_nomobile, "active")
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE res_partner SET mobile = NULL WHERE id = %s", (cls.subscriber_nomobile.id,)
        )
        cls.subscriber_nomobile.invalidate_recordset(["mobile"])
        cls.Campaign = cls.env["isp.notify.campaign"]
        # A database with demo data has subscribers of its own (created before the
        # test's): only the test's subscribers make an audience.
        cls.Subscription.search([("id", "<", cls.sub_karim.id)]).write({"active": False})
        # Only the campaigns' messages reach the simulator: no lifecycle notifications.
        cls.env["isp.notify.trigger"].search([]).write({"active": False})
        cls.env["isp.notify.message"].search([("state", "=", "queued")]).action_cancel()

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.clear()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _campaign(self, **vals):
        return self.Campaign.create(
            {
                "name": "Test campaign",
                "channel": "sms",
                "body_en": "Dear {name}, {package} is faster this week.",
                "body_bn": "প্রিয় {name}, এই সপ্তাহে {package} আরও দ্রুত।",
                **vals,
            }
        )

    def _recipients(self, campaign):
        return {
            self.env["res.partner"].browse(partner_id)
            for partner_id, __ in campaign._get_recipient_rows(0, 1000)
        }

    def _run_jobs(self, trap):
        """Perform the trapped jobs, and the jobs they enqueue, as the runner would."""
        for __ in range(50):
            if not trap.enqueued_jobs:
                return
            trap.perform_enqueued_jobs()
        self.fail("jobs keep enqueuing jobs")

    def _msisdns(self, partners):
        return sorted(normalize_bd_mobile(p.mobile).lstrip("+") for p in partners)

    def _received_numbers(self):
        return sorted(message["to"] for message in self.sim.messages)

    # ------------------------------------------------------------------
    # Audience
    # ------------------------------------------------------------------
    def test_filters_select_the_right_subscribers(self):
        karim, sumon, rahima = self.subscriber_karim, self.subscriber_sumon, self.subscriber_rahima
        campaign = self._campaign()
        self.assertEqual(self._recipients(campaign), {karim, rahima})
        self.assertEqual(campaign.recipient_count, 2)
        campaign.include_suspended = True
        self.assertEqual(self._recipients(campaign), {karim, sumon, rahima})
        campaign.zone_ids = self.zone_mirpur
        self.assertEqual(self._recipients(campaign), {karim, sumon})
        campaign.package_ids = self.package_hotspot_day
        self.assertEqual(self._recipients(campaign), {sumon})
        campaign.write({"zone_ids": [Command.clear()], "package_ids": [Command.clear()]})
        campaign.write({"expiry_from": self.expiry_soon, "expiry_to": self.expiry_soon})
        self.assertEqual(self._recipients(campaign), {karim})
        campaign.write(
            {
                "expiry_from": self.expiry_soon + datetime.timedelta(days=1),
                "expiry_to": self.expiry_soon + datetime.timedelta(days=30),
            }
        )
        self.assertEqual(self._recipients(campaign), {rahima})
        # Only with a mobile number: off -> the subscriber without one is counted...
        everyone = self._campaign(mobile_only=False)
        self.assertIn(self.subscriber_nomobile, self._recipients(everyone))
        self.assertEqual(everyone.recipient_count, 3)
        # ... but never gets a message (skipped, counted).
        with trap_jobs() as trap:
            everyone.action_start()
            self._run_jobs(trap)
        self.assertEqual(everyone.skipped_count, 1)
        self.assertEqual(everyone.notify_message_ids.partner_id, karim | rahima)
        # Direct (Send SMS from the list): exactly the selected subscriptions.
        wizard = (
            self.env["isp.notify.send"]
            .with_context(active_model="isp.subscription", active_ids=self.sub_sumon.ids)
            .create({"body_en": "Hello {name}"})
        )
        with trap_jobs() as trap:
            action = wizard.action_send()
            self._run_jobs(trap)
        direct = self.Campaign.browse(action["res_id"])
        self.assertEqual(direct.kind, "direct")
        self.assertEqual(direct.notify_message_ids.partner_id, sumon)
        self.assertEqual(direct.notify_message_ids.body, "Hello Sumon Ahmed")
        self.assertEqual(direct.state, "done")
        self.assertEqual(self._received_numbers(), self._msisdns(karim | rahima | sumon))

    def test_unknown_variable_refused(self):
        with self.assertRaises(ValidationError):
            self._campaign(body_en="Dear {nmae}")

    # ------------------------------------------------------------------
    # Exactly once across crashes
    # ------------------------------------------------------------------
    def test_interrupted_campaign_resumed_sends_each_message_once(self):
        partners = self.env["res.partner"]
        for index in range(7):
            partner = self._create_subscriber(f"Bulk {index}", self.zone_dhanmondi)
            self._set_state(self._create_subscription(partner, self.package_home_20), "active")
            partners |= partner
        campaign = self._campaign(zone_ids=[Command.set(self.zone_dhanmondi.ids)])
        expected = partners | self.subscriber_rahima
        self.assertEqual(
            sorted(p.name for p in self._recipients(campaign)), sorted(expected.mapped("name"))
        )
        self.assertEqual(campaign.recipient_count, 8)
        with trap_jobs() as trap:
            campaign.action_start()
            self.assertEqual(campaign.state, "running")
            # Two batches of 2 are queued, then the worker dies in the third: its
            # transaction (messages and cursor) is lost.
            campaign._isp_materialise_batch(batch_size=2, chain=False)
            campaign._isp_materialise_batch(batch_size=2, chain=False)
            self.assertEqual(len(campaign.notify_message_ids), 4)
            with self.assertRaises(_Crash), self.env.cr.savepoint():
                campaign._isp_materialise_batch(batch_size=2, chain=False)
                raise _Crash
            campaign.invalidate_recordset()
            self.assertEqual(len(campaign.notify_message_ids), 4)
            # Worse: a stale cursor (as if the cursor had not been saved with the batch).
            campaign.cursor_partner_id = 0
            # The drain then dies after 3 sends: all claimed messages were committed
            # `sending` before the provider calls, no result was written.
            original_send = notify_clients.SslWirelessClient.send
            calls = []

            def dying_send(client, *args, **kwargs):
                if len(calls) == 3:
                    raise _Crash
                calls.append(args)
                return original_send(client, *args, **kwargs)

            with (
                patch.object(notify_clients.SslWirelessClient, "send", dying_send),
                self.assertRaisesNoRollback(_Crash),
            ):
                self.env["isp.notify.message"]._isp_drain(self.gateway.id)
            self.assertEqual(len(self.sim.messages), 3)
            self.env.invalidate_all()
            self.assertEqual(campaign.notify_message_ids.mapped("state"), ["sending"] * 4)
            # Resumed: the materialisation job goes on; the stale `sending` messages are
            # looked up with the provider by our reference (never re-sent blindly).
            campaign._isp_schedule_materialise()
            self._run_jobs(trap)
            self.env["isp.notify.message"]._isp_recover_stale(grace_minutes=-1)
            self._run_jobs(trap)
        self.env.invalidate_all()
        self.assertEqual(len(campaign.notify_message_ids), 8)
        self.assertEqual(campaign.notify_message_ids.partner_id, expected)
        self.assertEqual(set(campaign.notify_message_ids.mapped("state")), {"sent"})
        self.assertEqual(self._received_numbers(), self._msisdns(expected))
        self.assertEqual(campaign.state, "done")
        self.assertEqual((campaign.total_count, campaign.sent_count), (8, 8))
        # A re-run (another Start, a duplicate job) makes no second message.
        campaign.write({"state": "running", "materialised": False, "cursor_partner_id": 0})
        campaign._isp_materialise_batch(chain=False)
        self.assertEqual(len(campaign.notify_message_ids), 8)

    def test_pause_stops_sending_and_resume_continues(self):
        campaign = self._campaign(include_suspended=True)
        with trap_jobs() as trap:
            campaign.action_start()
            trap.enqueued_jobs = [
                job for job in trap.enqueued_jobs if job.method_name == "_isp_materialise_batch"
            ]
            trap.perform_enqueued_jobs()  # materialised; the drain job is not run yet
            self.assertEqual(len(campaign.notify_message_ids), 3)
            campaign.action_pause()
            self.assertEqual(campaign.state, "paused")
            self.assertEqual(set(campaign.notify_message_ids.mapped("state")), {"cancelled"})
            self.env["isp.notify.message"]._isp_drain(self.gateway.id)
            self.assertEqual(self.sim.messages, [])
            with self.assertRaises(UserError):
                campaign.action_start()
            campaign.action_resume()
            self.assertEqual(set(campaign.notify_message_ids.mapped("state")), {"queued"})
            self._run_jobs(trap)
        self.env.invalidate_all()
        self.assertEqual(len(self.sim.messages), 3)
        self.assertEqual(campaign.state, "done")

    def test_cancel(self):
        campaign = self._campaign()
        with trap_jobs():
            campaign.action_start()
            campaign._isp_materialise_batch(chain=False)
            campaign.action_cancel()
        self.assertEqual(campaign.state, "cancelled")
        self.assertEqual(set(campaign.notify_message_ids.mapped("state")), {"cancelled"})
        self.assertEqual(campaign.total_count, 0)

    # ------------------------------------------------------------------
    # Bangla, maintenance, schedule
    # ------------------------------------------------------------------
    def test_bangla_arrives_intact(self):
        campaign = self._campaign(zone_ids=[Command.set(self.zone_dhanmondi.ids)])
        with trap_jobs() as trap:
            campaign.action_start()
            self._run_jobs(trap)
        message = campaign.notify_message_ids
        expected = f"প্রিয় Rahima Begum, এই সপ্তাহে {self.package_home_20.name} আরও দ্রুত।"
        self.assertEqual(message.body, expected)
        self.assertEqual((message.encoding, message.lang), ("ucs2", "bn_IN"))
        self.assertEqual(len(self.sim.messages), 1)
        self.assertEqual(self.sim.messages[0]["text"], expected)

    def test_maintenance_notice_scheduled(self):
        start = fields.Datetime.now() + datetime.timedelta(days=1)
        campaign = self.Campaign.new({"name": "Fibre work", "kind": "maintenance"})
        campaign._onchange_kind()
        self.assertEqual(campaign.template_id.code, "maintenance_notice")
        campaign = self.Campaign.create(
            {
                "name": "Fibre work",
                "kind": "maintenance",
                "template_id": campaign.template_id.id,
                "zone_ids": [Command.set(self.zone_mirpur.ids)],
                "window_start": start,
                "window_end": start + datetime.timedelta(hours=3),
                "schedule_mode": "scheduled",
                "scheduled_at": fields.Datetime.now() + datetime.timedelta(hours=1),
            }
        )
        with trap_jobs() as trap:
            campaign.action_start()
            self.assertEqual(campaign.state, "scheduled")
            self.Campaign._cron_run_campaigns()
            self.assertEqual(campaign.state, "scheduled")
            campaign.scheduled_at = fields.Datetime.now() - datetime.timedelta(minutes=1)
            self.Campaign._cron_run_campaigns()
            self.assertEqual(campaign.state, "running")
            self._run_jobs(trap)
        message = campaign.notify_message_ids
        self.assertEqual(message.partner_id, self.subscriber_karim)
        self.assertEqual(message.event_code, "maintenance_notice")
        self.assertEqual(message.priority, 10)
        local = fields.Datetime.context_timestamp(campaign.with_context(tz="Asia/Dhaka"), start)
        self.assertIn(f"{local.hour % 12 or 12}:{local.minute:02d}", message.body)

    # ------------------------------------------------------------------
    # Insights
    # ------------------------------------------------------------------
    def test_report_matches_log(self):
        self.sim.rejected_numbers = {self.subscriber_sumon.mobile}
        campaign = self._campaign(include_suspended=True)
        with trap_jobs() as trap:
            campaign.action_start()
            self._run_jobs(trap)
        log = campaign.notify_message_ids
        self.assertEqual(sorted(log.mapped("state")), ["failed", "sent", "sent"])
        self.env.flush_all()
        rows = self.env["isp.notify.report"].search([("campaign_id", "=", campaign.id)])
        sent = log.filtered(lambda m: m.state == "sent")
        self.assertEqual(sum(rows.mapped("message_count")), 3)
        self.assertEqual(sum(rows.mapped("sent_count")), 2)
        self.assertEqual(sum(rows.mapped("failed_count")), 1)
        self.assertEqual(sum(rows.mapped("segments")), sum(sent.mapped("segments")))
        self.assertAlmostEqual(sum(rows.mapped("cost")), sum(sent.mapped("cost")))
        self.assertAlmostEqual(sum(rows.mapped("cost")), 0.25 * sum(sent.mapped("segments")))
        self.assertEqual(rows.mapped("date"), [self.Subscription._isp_today()] * len(rows))
        self.assertEqual(
            (campaign.total_count, campaign.sent_count, campaign.failed_count), (3, 2, 1)
        )
