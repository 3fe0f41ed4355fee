import textwrap

from odoo import fields, models
from odoo.tools import html2plaintext


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    isp_subscription_id = fields.Many2one(
        "isp.subscription",
        string="Subscription",
        index="btree_not_null",
        tracking=True,
        domain="[('partner_id', 'child_of', partner_id)]",
        help="The connection the ticket is about; set from the subscriber's portal.",
    )

    # ---- notifications: tell the subscriber when staff reply
    def message_post(self, **kwargs):
        message = super().message_post(**kwargs)
        if len(self) == 1 and self._isp_is_staff_reply(message):
            self._isp_notify_reply(message)
        return message

    def _isp_is_staff_reply(self, message):
        """A public comment of an internal user on a subscriber's ticket."""
        self.ensure_one()
        if not message or message.message_type != "comment" or message.subtype_id.internal:
            return False
        if not self.partner_id or not self.partner_id.commercial_partner_id.is_isp_subscriber:
            return False
        authors = message.author_id.sudo().user_ids
        return bool(authors) and any(user._is_internal() for user in authors)

    def _isp_notify_reply(self, message):
        self.ensure_one()
        partner = self.partner_id
        subscription = self.isp_subscription_id
        values = {
            "ticket": self.number,
            "reply": textwrap.shorten(html2plaintext(message.body or ""), 100, placeholder="..."),
        }
        self.env["isp.notify.dispatcher"]._isp_notify(
            "ticket_replied",
            subscriptions=subscription or None,
            partners=None if subscription else partner,
            values=values,
            key=f"{self.id}:{message.id}",
        )
