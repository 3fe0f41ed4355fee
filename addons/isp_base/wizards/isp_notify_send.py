from odoo import _, api, fields, models
from odoo.exceptions import UserError


class IspNotifySend(models.TransientModel):
    """Send SMS (or WhatsApp) to the subscriptions selected in the list.

    Enqueued like a small campaign (kind ``direct``): same rendering, dedupe keys,
    priority and progress; the campaign stays as the record of what was sent.
    """

    _name = "isp.notify.send"
    _description = "Send a Message to Subscribers"

    subscription_ids = fields.Many2many("isp.subscription", string="Subscriptions")
    channel = fields.Selection(
        [("sms", "SMS"), ("whatsapp", "WhatsApp")], required=True, default="sms"
    )
    template_id = fields.Many2one("isp.notify.template")
    body_en = fields.Text(string="Text (English)")
    body_bn = fields.Text(string="Text (Bangla)")
    recipient_count = fields.Integer(compute="_compute_recipient_count", string="Recipients")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "isp.subscription":
            values["subscription_ids"] = [
                fields.Command.set(self.env.context.get("active_ids") or [])
            ]
        return values

    @api.depends("subscription_ids")
    def _compute_recipient_count(self):
        for wizard in self:
            wizard.recipient_count = len(wizard.subscription_ids.partner_id.filtered("mobile"))

    def _prepare_campaign_vals(self):
        self.ensure_one()
        return {
            "name": _(
                "Message to %(count)s subscribers (%(user)s)",
                count=len(self.subscription_ids.partner_id),
                user=self.env.user.name,
            ),
            "kind": "direct",
            "channel": self.channel,
            "template_id": self.template_id.id,
            "body_en": self.body_en,
            "body_bn": self.body_bn,
            "subscription_ids": [fields.Command.set(self.subscription_ids.ids)],
            "schedule_mode": "now",
        }

    def action_send(self):
        self.ensure_one()
        if not self.subscription_ids:
            raise UserError(_("Select the subscriptions to send to."))
        campaign = self.env["isp.notify.campaign"].create(self._prepare_campaign_vals())
        campaign.action_start()
        return {
            "type": "ir.actions.act_window",
            "res_model": "isp.notify.campaign",
            "res_id": campaign.id,
            "view_mode": "form",
            "target": "current",
        }
