from odoo import fields, models
from odoo.tools import SQL


class IspResellerPerformanceReport(models.Model):
    """Per reseller and month: collections, subscribers won and lost, net growth."""

    _name = "isp.reseller.performance.report"
    _description = "Reseller Performance"
    _auto = False
    _order = "month desc, reseller_id"
    _rec_name = "reseller_id"
    _depends = {
        "isp.subscription": ["activation_date", "reseller_id", "state", "state_date"],
        "account.partial.reconcile": ["amount", "credit_move_id", "debit_move_id", "max_date"],
        "account.move": ["commercial_partner_id", "move_type", "state"],
        "res.partner": ["reseller_id"],
        "isp.reseller": ["company_id"],
        "isp.reseller.transfer": ["date", "from_reseller_id", "to_reseller_id"],
    }

    reseller_id = fields.Many2one("isp.reseller", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    month = fields.Date(readonly=True)
    collected = fields.Monetary(
        readonly=True, help="Payments reconciled with its subscribers' invoices in the month."
    )
    new_count = fields.Integer(
        string="New Subscriptions",
        readonly=True,
        help="Subscriptions activated in the month, plus subscribers transferred to this "
        "reseller (isp.reseller.transfer).",
    )
    lost_count = fields.Integer(
        string="Lost Subscriptions",
        readonly=True,
        help="Subscriptions terminated in the month, plus subscribers transferred away "
        "(isp.reseller.transfer).",
    )
    net_count = fields.Integer(string="Net Growth", readonly=True)
    active_count = fields.Integer(
        string="Subscriptions at Month End",
        readonly=True,
        aggregator="max",
        help="New less lost since the start, at the end of the month.",
    )

    @property
    def _table_query(self):
        # a query, not a view: the transfers' table is created after this model
        return self._get_query()

    def _get_query(self):
        return SQL(
            """
            WITH moved AS (
                SELECT t.date, t.from_reseller_id AS old_reseller,
                       t.to_reseller_id AS new_reseller
                  FROM isp_reseller_transfer t
            ), events AS (
                SELECT s.reseller_id, date_trunc('month', s.activation_date)::date AS month,
                       0.0 AS collected, 1 AS new_count, 0 AS lost_count
                  FROM isp_subscription s
                 WHERE s.reseller_id IS NOT NULL AND s.activation_date IS NOT NULL
                UNION ALL
                SELECT s.reseller_id, date_trunc('month', s.state_date)::date, 0.0, 0, 1
                  FROM isp_subscription s
                 WHERE s.reseller_id IS NOT NULL AND s.state = 'terminated'
                   AND s.state_date IS NOT NULL
                UNION ALL
                SELECT mv.new_reseller, date_trunc('month', mv.date)::date, 0.0, 1, 0
                  FROM moved mv WHERE mv.new_reseller IS NOT NULL
                UNION ALL
                SELECT mv.old_reseller, date_trunc('month', mv.date)::date, 0.0, 0, 1
                  FROM moved mv WHERE mv.old_reseller IS NOT NULL
                UNION ALL
                SELECT p.reseller_id, date_trunc('month', apr.max_date)::date, apr.amount, 0, 0
                  FROM account_partial_reconcile apr
                  JOIN account_move_line dl ON dl.id = apr.debit_move_id
                  JOIN account_move inv ON inv.id = dl.move_id
                  JOIN account_move_line cl ON cl.id = apr.credit_move_id
                  JOIN account_move pm ON pm.id = cl.move_id
                  JOIN res_partner p ON p.id = inv.commercial_partner_id
                 WHERE inv.state = 'posted' AND inv.move_type = 'out_invoice'
                   AND pm.state = 'posted' AND pm.move_type = 'entry'
                   AND p.reseller_id IS NOT NULL
            ), monthly AS (
                SELECT e.reseller_id, e.month, SUM(e.collected) AS collected,
                       SUM(e.new_count)::int AS new_count, SUM(e.lost_count)::int AS lost_count
                  FROM events e
                  JOIN isp_reseller r ON r.id = e.reseller_id
                 GROUP BY e.reseller_id, e.month
            )
            SELECT row_number() OVER (ORDER BY m.reseller_id, m.month) AS id,
                   m.reseller_id, r.company_id, c.currency_id, m.month, m.collected,
                   m.new_count, m.lost_count, m.new_count - m.lost_count AS net_count,
                   (SUM(m.new_count - m.lost_count) OVER (
                       PARTITION BY m.reseller_id ORDER BY m.month
                   ))::int AS active_count
              FROM monthly m
              JOIN isp_reseller r ON r.id = m.reseller_id
              JOIN res_company c ON c.id = r.company_id
            """
        )
