from odoo import api, fields, models

EVENTS = [
    ("new_connection", "New connection"),
    ("invoice_generated", "Invoice generated"),
    ("payment_received", "Payment received"),
    ("recharged", "Recharged"),
    ("expiry_warning", "Expiry warning"),
    ("expired", "Expired"),
    ("suspended", "Suspended"),
    ("restored", "Restored"),
    ("overdue", "Overdue"),
    ("invoice_due_7", "Invoice due in 7 days"),
    ("invoice_due_3", "Invoice due in 3 days"),
    ("invoice_due_1", "Invoice due tomorrow"),
    ("suspension_notice", "Suspension notice"),
    ("package_changed", "Package changed"),
    ("password_changed", "Password changed"),
    ("ticket_replied", "Ticket replied"),
    ("otp", "One-time code"),
    ("mandate_failed", "Auto-debit failed"),
    ("maintenance_notice", "Maintenance notice"),
    ("router_down", "Router down (staff)"),
    ("router_up", "Router up (staff)"),
    ("daily_summary", "Daily summary (staff)"),
]
CHANNELS = [
    ("sms", "SMS"),
    ("whatsapp", "WhatsApp"),
    ("telegram", "Telegram"),
    ("email", "E-mail"),
]


class IspNotifyTrigger(models.Model):
    """Whether an event is sent on a channel, with which template, to whom."""

    _name = "isp.notify.trigger"
    _description = "ISP Notification Trigger"
    _order = "event_code, channel, days_before, id"

    event_code = fields.Selection(EVENTS, string="Event", required=True, index=True)
    channel = fields.Selection(CHANNELS, required=True, default="sms")
    active = fields.Boolean(default=True)
    template_id = fields.Many2one("isp.notify.template", required=True, ondelete="restrict")
    audience = fields.Selection(
        [("subscriber", "Subscriber"), ("staff", "Staff")], required=True, default="subscriber"
    )
    days_before = fields.Integer(
        help="Expiry warnings: how many days before the expiry the message goes out."
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )

    _sql_constraints = [
        (
            "event_channel_days_uniq",
            "unique(event_code, channel, audience, days_before, company_id)",
            "There is already a trigger for this event, channel and audience.",
        ),
        ("days_before_positive", "CHECK(days_before >= 0)", "Days before cannot be negative."),
    ]

    @api.depends("event_code", "channel", "days_before")
    def _compute_display_name(self):
        events = dict(self._fields["event_code"]._description_selection(self.env))
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for trigger in self:
            label = f"{events.get(trigger.event_code, '')} / {channels.get(trigger.channel, '')}"
            if trigger.event_code == "expiry_warning":
                label = f"{label} ({trigger.days_before})"
            trigger.display_name = label

    @api.model
    def _isp_get_triggers(self, event_code, audience="subscriber", channels=None, company=None):
        domain = [("event_code", "=", event_code), ("audience", "=", audience)]
        if channels:
            domain.append(("channel", "in", list(channels)))
        if company:
            domain.append(("company_id", "=", company.id))
        return self.search(domain)
