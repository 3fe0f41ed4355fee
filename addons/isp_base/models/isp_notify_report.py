from odoo import fields, models, tools
from odoo.tools import SQL


class IspNotifyReport(models.Model):
    """Notification insights: the delivery log summed per day, template, event, channel,
    gateway and campaign. The day is the message's (sent, else queued) day in the
    company's timezone."""

    _name = "isp.notify.report"
    _description = "Notification Insights"
    _auto = False
    _order = "date desc"
    _rec_name = "date"

    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    template_id = fields.Many2one("isp.notify.template", readonly=True)
    event_code = fields.Char(string="Event", readonly=True)
    channel = fields.Selection(
        [("sms", "SMS"), ("whatsapp", "WhatsApp"), ("telegram", "Telegram"), ("email", "Email")],
        readonly=True,
    )
    gateway_id = fields.Many2one("isp.notify.gateway", readonly=True)
    campaign_id = fields.Many2one("isp.notify.campaign", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    message_count = fields.Integer(string="Messages", readonly=True)
    queued_count = fields.Integer(string="Queued", readonly=True)
    sent_count = fields.Integer(string="Sent", readonly=True, help="Sent or delivered.")
    delivered_count = fields.Integer(string="Delivered", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    segments = fields.Integer(readonly=True)
    cost = fields.Monetary(readonly=True)

    def _get_query(self):
        return SQL(
            """
            SELECT min(m.id) AS id,
                   (timezone(COALESCE(cp.tz, 'Asia/Dhaka'),
                             COALESCE(m.sent_at, m.create_date) AT TIME ZONE 'UTC'))::date AS date,
                   m.company_id,
                   m.template_id,
                   m.event_code,
                   m.channel,
                   m.gateway_id,
                   m.campaign_id,
                   c.currency_id,
                   count(*) AS message_count,
                   count(*) FILTER (WHERE m.state IN ('queued', 'sending')) AS queued_count,
                   count(*) FILTER (WHERE m.state IN ('sent', 'delivered')) AS sent_count,
                   count(*) FILTER (WHERE m.state = 'delivered') AS delivered_count,
                   count(*) FILTER (WHERE m.state = 'failed') AS failed_count,
                   COALESCE(sum(m.segments) FILTER (WHERE m.state IN ('sent', 'delivered')), 0)
                       AS segments,
                   COALESCE(sum(m.cost) FILTER (WHERE m.state IN ('sent', 'delivered')), 0)
                       AS cost
              FROM isp_notify_message m
              JOIN res_company c ON c.id = m.company_id
              LEFT JOIN res_partner cp ON cp.id = c.partner_id
          GROUP BY 2, m.company_id, m.template_id, m.event_code, m.channel, m.gateway_id,
                   m.campaign_id, c.currency_id
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._get_query())
        )
