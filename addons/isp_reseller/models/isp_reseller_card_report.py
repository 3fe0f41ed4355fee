from odoo import fields, models, tools
from odoo.tools import SQL


class IspResellerCardReport(models.Model):
    """Voucher cards per reseller node: stock, sales and margin (an SQL view)."""

    _name = "isp.reseller.card.report"
    _description = "ISP Reseller Card Summary"
    _auto = False
    _order = "reseller_id"
    _rec_name = "reseller_id"

    reseller_id = fields.Many2one("isp.reseller", readonly=True)
    kind = fields.Selection(related="reseller_id.kind")
    parent_id = fields.Many2one("isp.reseller", string="Parent Reseller", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    assigned_count = fields.Integer(string="Assigned", readonly=True)
    sold_count = fields.Integer(string="Sold", readonly=True)
    redeemed_count = fields.Integer(string="Redeemed", readonly=True)
    stock_count = fields.Integer(string="Unsold Stock", readonly=True)
    sales_amount = fields.Monetary(string="Sales", readonly=True)
    cost_amount = fields.Monetary(string="Paid to the ISP", readonly=True)
    margin_amount = fields.Monetary(string="Margin", readonly=True)

    def _query(self):
        return SQL(
            """
            SELECT r.id AS id, r.id AS reseller_id, r.parent_id, r.company_id,
                   COALESCE(assigned.n, 0) AS assigned_count,
                   COALESCE(sold.n, 0) AS sold_count,
                   COALESCE(held.redeemed, 0) AS redeemed_count,
                   COALESCE(held.stock, 0) AS stock_count,
                   COALESCE(sold.sales, 0) AS sales_amount,
                   COALESCE(sold.cost, 0) AS cost_amount,
                   COALESCE(sold.margin, 0) AS margin_amount
              FROM isp_reseller r
         LEFT JOIN (SELECT to_reseller_id AS reseller_id, COUNT(DISTINCT card_id) AS n
                      FROM isp_voucher_card_event
                     WHERE event = 'assigned'
                  GROUP BY to_reseller_id) assigned ON assigned.reseller_id = r.id
         LEFT JOIN (SELECT sold_by_reseller_id AS reseller_id, COUNT(*) AS n,
                           SUM(sale_price) AS sales, SUM(buying_price) AS cost,
                           SUM(sale_margin) AS margin
                      FROM isp_voucher_card
                     WHERE sold_at IS NOT NULL
                  GROUP BY sold_by_reseller_id) sold ON sold.reseller_id = r.id
         LEFT JOIN (SELECT isp_reseller_id AS reseller_id,
                           COUNT(*) FILTER (WHERE state = 'used') AS redeemed,
                           COUNT(*) FILTER (WHERE state = 'assigned' AND sold_at IS NULL)
                               AS stock
                      FROM isp_voucher_card
                     WHERE isp_reseller_id IS NOT NULL
                  GROUP BY isp_reseller_id) held ON held.reseller_id = r.id
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )
