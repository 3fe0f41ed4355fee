"""Fixtures of the notification tests: the SMS and messaging simulators and gateways.

:class:`NotifyCommon` starts ``SmsGatewaySimulator`` (BulkSMSBD, SSL Wireless, generic)
and ``MessagingSimulator`` (WhatsApp Cloud API, Telegram) on loopback ephemeral ports
and creates one gateway per provider pointing at them:

* ``gw_bulksmsbd`` (the first SMS gateway: ``_isp_pick("sms")`` returns it),
  ``gw_ssl`` (SSL Wireless, looks messages up by ``csms_id``), ``gw_generic``;
* ``gw_whatsapp``, ``gw_telegram`` (staff chat ``-100200``), ``gw_email`` (Odoo mail).

All are unthrottled (``rate_per_second = 0``) with a 2 s timeout. ``_drain(gateway)``
runs the drain job inline; ``_message(**vals)`` enqueues one message. The drain commits
in cursors of its own: the class puts the registry in test mode, so those cursors work
inside the test transaction.
"""

import contextlib
import sys
from pathlib import Path
from unittest.mock import patch
from urllib.parse import urlsplit

import requests

from odoo.tests import common as odoo_test_common

from .common import IspBaseCommon

TESTS_DIR = Path(__file__).resolve().parents[3] / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from simulators import messaging, sms_gateway  # noqa: E402

BANGLA_TEXT = "প্রিয় গ্রাহক, আপনার ইন্টারনেট বিল ৫০০ টাকা। ধন্যবাদ।"


class NotifyCommon(IspBaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.sms_sim = sms_gateway.SmsGatewaySimulator().start()
        cls.addClassCleanup(cls.sms_sim.stop)
        cls.msg_sim = messaging.MessagingSimulator().start()
        cls.addClassCleanup(cls.msg_sim.stop)
        for sim in (cls.sms_sim, cls.msg_sim):
            sim.timeout_delay = 3.0
        cls.Message = cls.env["isp.notify.message"]
        Gateway = cls.env["isp.notify.gateway"]
        # Other gateways of the database (demo data) must not be picked in the tests.
        Gateway.search([]).write({"active": False})
        common = {"rate_per_second": 0, "timeout": 2, "cost_per_segment": 0.25}
        cls.gw_bulksmsbd = Gateway.create(
            {
                **common,
                "name": "Test BulkSMSBD",
                "channel": "sms",
                "provider": "bulksmsbd",
                "sequence": 1,
                "base_url": cls.sms_sim.bulksmsbd_url,
                "sender_id": sms_gateway.SENDER,
                "api_key": sms_gateway.API_KEY,
            }
        )
        cls.gw_ssl = Gateway.create(
            {
                **common,
                "name": "Test SSL Wireless",
                "channel": "sms",
                "provider": "ssl_wireless",
                "sequence": 2,
                "base_url": cls.sms_sim.ssl_url,
                "sender_id": sms_gateway.SENDER,
                "api_key": sms_gateway.API_KEY,
            }
        )
        cls.gw_generic = Gateway.create(
            {
                **common,
                "name": "Test generic SMS",
                "channel": "sms",
                "provider": "generic_http",
                "sequence": 3,
                "base_url": cls.sms_sim.generic_url,
                "http_method": "POST",
                "body_format": "form",
                "parameter_template": "api_key={api_key}\nto={to}\ntext={message}\n"
                "from={sender}\nref={reference}",
                "success_regex": r'"status":\s*"ok"',
                "message_id_regex": r'"id":\s*"([^"]+)"',
                "balance_url": cls.sms_sim.generic_balance_url,
                "balance_regex": r'"balance":\s*([0-9.]+)',
                "sender_id": sms_gateway.SENDER,
                "api_key": sms_gateway.API_KEY,
                "dlr_token": "dlr-test-token",
            }
        )
        cls.gw_whatsapp = Gateway.create(
            {
                **common,
                "name": "Test WhatsApp",
                "channel": "whatsapp",
                "provider": "whatsapp_cloud",
                "base_url": cls.msg_sim.root_url,
                "whatsapp_phone_number_id": messaging.WHATSAPP_PHONE_NUMBER_ID,
                "whatsapp_token": messaging.WHATSAPP_TOKEN,
                "api_secret": "wa-app-secret",
            }
        )
        cls.gw_telegram = Gateway.create(
            {
                **common,
                "name": "Test Telegram",
                "channel": "telegram",
                "provider": "telegram_bot",
                "base_url": cls.msg_sim.root_url,
                "telegram_token": messaging.TELEGRAM_TOKEN,
                "telegram_chat_ids": "-100200",
            }
        )
        cls.gw_email = Gateway.create(
            {**common, "name": "Test e-mail", "channel": "email", "provider": "odoo_mail"}
        )

    def setUp(self):
        super().setUp()
        for sim in (self.sms_sim, self.msg_sim):
            sim.reset()
            sim.clear()

    @contextlib.contextmanager
    def _real_http(self):
        """Loopback requests with their own timeouts (the test runner raises them to 10 s)."""
        real_send = odoo_test_common._super_send

        def send(session, request, **kwargs):
            if urlsplit(request.url).hostname != "127.0.0.1":
                raise requests.ConnectionError(f"Not a loopback request: {request.url}")
            return real_send(session, request, **kwargs)

        with patch.object(requests.Session, "send", send):
            yield

    def _message(self, gateway=None, **vals):
        vals.setdefault("recipient", "+8801712345678")
        vals.setdefault("body", "Hello from the ISP")
        if gateway:
            vals["gateway_id"] = gateway.id
        else:
            vals.setdefault("channel", "sms")
        return self.Message._isp_enqueue([vals])

    def _drain(self, gateway):
        self.env.flush_all()
        result = self.Message._isp_drain(gateway.id)
        self.env.invalidate_all()
        return result

    def _make_due(self, messages):
        """Bring the retries of ``messages`` forward to now."""
        self.env.cr.execute(
            "UPDATE isp_notify_message SET next_attempt_at = now() at time zone 'UTC' "
            "- interval '1 second' WHERE id = ANY(%s)",
            [messages.ids],
        )
        self.env.invalidate_all()
