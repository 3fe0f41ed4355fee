from odoo import _, api, fields, models
from odoo.exceptions import UserError


class IspResellerSmsSend(models.TransientModel):
    """A reseller user sends one SMS to selected subscribers of its network.

    Paid by the user's reseller from its SMS balance: messages it cannot pay are
    cancelled (visible in the log), never sent.
    """

    _name = "isp.reseller.sms.send"
    _description = "Send SMS to Subscribers"

    partner_ids = fields.Many2many("res.partner", string="Subscribers", required=True)
    body = fields.Text(string="Text", required=True)
    reseller_id = fields.Many2one(
        "isp.reseller", default=lambda self: self.env.user.isp_reseller_id, readonly=True
    )
    sms_balance = fields.Integer(related="reseller_id.sms_balance")

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        context = self.env.context
        if "partner_ids" in fields_list and context.get("active_ids"):
            if context.get("active_model") == "isp.subscription":
                partners = self.env["isp.subscription"].browse(context["active_ids"]).partner_id
            elif context.get("active_model") == "res.partner":
                partners = self.env["res.partner"].browse(context["active_ids"])
            else:
                partners = self.env["res.partner"]
            res["partner_ids"] = [fields.Command.set(partners.ids)]
        return res

    def _prepare_message_vals_list(self):
        self.ensure_one()
        Dispatcher = self.env["isp.notify.dispatcher"]
        vals_list = []
        for partner in self.partner_ids.sudo():
            recipient = Dispatcher._isp_get_recipient(partner, "sms")
            if not recipient:
                continue
            vals_list.append(
                {
                    "channel": "sms",
                    "partner_id": partner.id,
                    "recipient": recipient,
                    "body": self.body,
                    "lang": Dispatcher._isp_get_lang(partner),
                    "company_id": self.reseller_id.company_id.id,
                    "isp_reseller_id": self.reseller_id.id,
                    "event_code": "reseller_sms",
                    "dedupe_key": f"reseller_sms:{self.id}:{partner.id}",
                }
            )
        return vals_list

    def action_send(self):
        self.ensure_one()
        user = self.env.user
        if not user.isp_reseller_id or self.reseller_id != user.isp_reseller_id:
            raise UserError(_("Only a reseller's users send SMS from here."))
        user._isp_check_reseller_permission("send_sms")
        # the subscribers must be visible to the user (record rules of its network)
        self.partner_ids.check_access("read")
        messages = self.env["isp.notify.message"]._isp_enqueue(self._prepare_message_vals_list())
        queued = messages.filtered(lambda m: m.state == "queued")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if len(queued) == len(messages) else "warning",
                "message": _(
                    "%(queued)s SMS queued, %(refused)s not sent (SMS balance or no gateway).",
                    queued=len(queued),
                    refused=len(messages) - len(queued),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
