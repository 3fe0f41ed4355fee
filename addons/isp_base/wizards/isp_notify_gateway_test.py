from odoo import _, api, fields, models

from ..lib.notify_clients import NotifyResult


class IspNotifyGatewayTest(models.TransientModel):
    """Send one message through a gateway now and show the provider's answer."""

    _name = "isp.notify.gateway.test"
    _description = "Send a Test Notification"

    gateway_id = fields.Many2one("isp.notify.gateway", required=True, ondelete="cascade")
    channel = fields.Selection(related="gateway_id.channel")
    recipient = fields.Char(
        required=True, help="Phone number (SMS, WhatsApp), chat id (Telegram) or e-mail."
    )
    body = fields.Text(required=True, default=lambda self: self._default_body())

    @api.model
    def _default_body(self):
        return _("Test message from %(company)s. পরীক্ষামূলক বার্তা।", company=self.env.company.name)

    def action_send(self):
        self.ensure_one()
        gateway = self.gateway_id
        if gateway.provider in ("odoo_mail", "odoo_sms"):
            message = self.env["isp.notify.message"]._isp_enqueue(
                [
                    {
                        "gateway_id": gateway.id,
                        "recipient": self.recipient,
                        "subject": _("Test message"),
                        "body": self.body,
                        "event_code": "test",
                        "priority": 0,
                    }
                ]
            )
            text = _("The test message is queued (%(state)s).", state=message.state)
            kind = "info"
        else:
            Message = self.env["isp.notify.message"].sudo()
            message = Message.create(
                {
                    "gateway_id": gateway.id,
                    "channel": gateway.channel,
                    "company_id": gateway.company_id.id,
                    "recipient": self.recipient,
                    "body": self.body,
                    "event_code": "test",
                    "priority": 0,
                    "state": "sending",
                    "attempts": 1,
                }
            )
            client = gateway._isp_get_client()
            try:
                result = client.send(
                    self.recipient, self.body, reference=Message._isp_reference(message.id)
                )
            except Exception as exc:
                result = NotifyResult.failure(str(exc))
            message.write(
                {
                    "state": "sent" if result.ok else "failed",
                    "sent_at": fields.Datetime.now() if result.ok else False,
                    "provider_message_id": result.message_id,
                    "error": result.error,
                }
            )
            if result.ok:
                text = _("Sent; the provider's id: %(id)s", id=result.message_id or "-")
                kind = "success"
            else:
                text = _("The provider refused: %(error)s", error=result.error)
                kind = "danger"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "message": text,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
