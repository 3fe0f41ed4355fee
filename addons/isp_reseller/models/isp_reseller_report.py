from odoo import fields, models, tools
from odoo.tools import SQL

# What the figures of the reseller reports count (shared with the statement).
INVOICE_TYPES = ("out_invoice", "out_refund")


class IspResellerReport(models.Model):
    """Per reseller, company and month: what its subscribers were invoiced and paid,
    what they still owe, the commission the reseller earned and its wallet movement.

    A view over posted journal entries: the figures are the ledger's.
    """

    _name = "isp.reseller.report"
    _description = "Reseller Report"
    _auto = False
    _order = "month desc, reseller_id"
    _rec_name = "reseller_id"
    _depends = {
        "account.move": [
            "amount_residual_signed",
            "amount_total_signed",
            "commercial_partner_id",
            "company_id",
            "invoice_date",
            "journal_id",
            "move_type",
            "state",
        ],
        "account.move.line": [
            "account_id",
            "balance",
            "company_id",
            "credit",
            "date",
            "debit",
            "move_id",
            "parent_state",
            "partner_id",
        ],
        "account.partial.reconcile": ["amount", "credit_move_id", "debit_move_id", "max_date"],
        "res.partner": ["reseller_id"],
        "isp.reseller": ["company_id", "partner_id"],
        "res.company": ["isp_reseller_wallet_account_id", "isp_reseller_wallet_journal_id"],
        "isp.reseller.commission": ["move_line_id"],
    }

    reseller_id = fields.Many2one("isp.reseller", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    month = fields.Date(readonly=True)
    invoiced = fields.Monetary(
        readonly=True,
        help="Posted customer invoices of the reseller's subscribers, less their credit "
        "notes, by invoice date.",
    )
    collected = fields.Monetary(
        readonly=True,
        help="Payments reconciled with those invoices, by reconciliation date.",
    )
    due = fields.Monetary(
        readonly=True,
        help="What those invoices (by invoice month) still leave to pay today.",
    )
    commission = fields.Monetary(
        readonly=True,
        help="The reseller's commissions: its wallet credits recorded as commissions "
        "(on its network's recharges and card sales, and on collections), by entry date.",
    )
    wallet_movement = fields.Monetary(
        readonly=True,
        help="Credit less debit of the reseller's posted wallet lines in the month; over "
        "all months, the wallet balance.",
    )

    def _get_invoice_query(self):
        return SQL(
            """
            SELECT p.reseller_id, m.company_id,
                   date_trunc('month', m.invoice_date)::date AS month,
                   m.amount_total_signed AS invoiced, 0.0 AS collected,
                   m.amount_residual_signed AS due, 0.0 AS commission,
                   0.0 AS wallet_movement
              FROM account_move m
              JOIN res_partner p ON p.id = m.commercial_partner_id
             WHERE m.state = 'posted' AND m.move_type IN %(types)s
               AND p.reseller_id IS NOT NULL
            """,
            types=INVOICE_TYPES,
        )

    def _get_collected_query(self):
        return SQL(
            """
            SELECT p.reseller_id, inv.company_id,
                   date_trunc('month', apr.max_date)::date AS month,
                   0.0, apr.amount, 0.0, 0.0, 0.0
              FROM account_partial_reconcile apr
              JOIN account_move_line dl ON dl.id = apr.debit_move_id
              JOIN account_move inv ON inv.id = dl.move_id
              JOIN account_move_line cl ON cl.id = apr.credit_move_id
              JOIN account_move pm ON pm.id = cl.move_id
              JOIN res_partner p ON p.id = inv.commercial_partner_id
             WHERE inv.state = 'posted' AND inv.move_type = 'out_invoice'
               AND pm.state = 'posted' AND pm.move_type = 'entry'
               AND p.reseller_id IS NOT NULL
            """
        )

    def _get_wallet_query(self):
        return SQL(
            """
            SELECT r.id, l.company_id, date_trunc('month', l.date)::date AS month,
                   0.0, 0.0, 0.0,
                   CASE WHEN EXISTS (
                             SELECT 1 FROM isp_reseller_commission rc
                              WHERE rc.move_line_id = l.id)
                        THEN l.credit ELSE 0.0 END,
                   -l.balance
              FROM account_move_line l
              JOIN res_company c ON c.id = l.company_id
                                AND c.isp_reseller_wallet_account_id = l.account_id
              JOIN isp_reseller r ON r.partner_id = l.partner_id AND r.company_id = l.company_id
             WHERE l.parent_state = 'posted'
            """
        )

    def _get_query(self):
        return SQL(
            """
            SELECT row_number() OVER (ORDER BY u.reseller_id, u.company_id, u.month) AS id,
                   u.reseller_id, u.company_id, c.currency_id, u.month,
                   SUM(u.invoiced) AS invoiced, SUM(u.collected) AS collected,
                   SUM(u.due) AS due, SUM(u.commission) AS commission,
                   SUM(u.wallet_movement) AS wallet_movement
              FROM (%(invoices)s UNION ALL %(collected)s UNION ALL %(wallet)s) AS u
              JOIN res_company c ON c.id = u.company_id
             GROUP BY u.reseller_id, u.company_id, c.currency_id, u.month
            """,
            invoices=self._get_invoice_query(),
            collected=self._get_collected_query(),
            wallet=self._get_wallet_query(),
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._get_query())
        )
