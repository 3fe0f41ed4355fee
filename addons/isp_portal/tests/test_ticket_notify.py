from markupsafe import Markup

from odoo.addons.isp_base.tests.common import IspBaseCommon
from odoo.addons.isp_base.tests.notify_dispatch_common import NotifyDispatchMixin
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestTicketReplyNotify(NotifyDispatchMixin, IspBaseCommon):
    """A staff reply on a subscriber's ticket is sent to the subscriber."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notify()
        cls.ticket = (
            cls.env["helpdesk.ticket"]
            .with_context(mail_create_nosubscribe=True)
            .create(
                {
                    "name": "Slow in the evening",
                    "description": "<p>Speed drops after 8 pm.</p>",
                    "partner_id": cls.subscriber_karim.id,
                    "isp_subscription_id": cls.sub_karim.id,
                }
            )
        )

    def test_staff_reply_is_sent_to_the_subscriber(self):
        self.ticket.with_user(self.user_manager).message_post(
            body=Markup("<p>We replaced the <b>splitter</b>; please check again.</p>"),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        sms = self._messages("ticket_replied")
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.partner_id, self.subscriber_karim)
        self.assertEqual(sms.subscription_id, self.sub_karim)
        self.assertIn(f"we replied to your ticket {self.ticket.number}", sms.body)
        self.assertIn("We replaced the *splitter*; please check again.", sms.body)

    def test_notes_and_subscriber_messages_are_not_sent(self):
        self.ticket.with_user(self.user_manager).message_post(
            body="Internal: check the OLT port", subtype_xmlid="mail.mt_note"
        )
        self.ticket.message_post(
            body="Still slow",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            author_id=self.subscriber_karim.id,
        )
        self.assertFalse(self._messages("ticket_replied"))
