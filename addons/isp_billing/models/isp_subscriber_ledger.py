from odoo import _, api, fields, models, tools
from odoo.tools import SQL

LEDGER_KINDS = [
    ("invoice", "Invoice"),
    ("late_fee", "Late Fee"),
    ("credit_note", "Credit Note"),
    ("payment", "Payment"),
    ("other", "Other"),
]


class IspSubscriberLedger(models.Model):
    """Invoices, credit notes and payments of subscribers on one timeline.

    A read-only view over the receivable journal items of posted entries, so the
    figures are Odoo's ledger itself; ``cumulative_balance`` is the subscriber's
    balance after each line (what they owe, negative when in credit).
    """

    _name = "isp.subscriber.ledger"
    _description = "Subscriber Ledger"
    _auto = False
    _order = "date, move_id, id"
    _rec_name = "move_name"
    # flushed before the view is read, so that it shows what was just posted
    _depends = {
        "account.move.line": [
            "account_id",
            "amount_residual",
            "balance",
            "company_currency_id",
            "company_id",
            "credit",
            "date",
            "date_maturity",
            "debit",
            "move_id",
            "name",
            "parent_state",
            "partner_id",
        ],
        "account.move": [
            "invoice_origin",
            "isp_late_fee_for_id",
            "isp_subscription_id",
            "move_type",
            "name",
            "origin_payment_id",
            "ref",
        ],
        "account.account": ["account_type"],
    }

    move_line_id = fields.Many2one("account.move.line", string="Journal Item", readonly=True)
    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    move_name = fields.Char(string="Number", readonly=True)
    date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Subscriber", readonly=True)
    subscription_id = fields.Many2one("isp.subscription", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    kind = fields.Selection(LEDGER_KINDS, readonly=True)
    ref = fields.Char(string="Reference", readonly=True)
    debit = fields.Monetary(readonly=True, help="Billed to the subscriber.")
    credit = fields.Monetary(readonly=True, help="Paid or credited to the subscriber.")
    balance = fields.Monetary(string="Amount", readonly=True)
    cumulative_balance = fields.Monetary(
        string="Running Balance",
        readonly=True,
        aggregator=None,
        help="What the subscriber owes after this line; negative when in credit.",
    )
    amount_residual = fields.Monetary(string="Open Amount", readonly=True)

    def _get_kind_sql(self):
        """``CASE`` giving the ``kind`` of a line from its move ``m``."""
        return SQL(
            """CASE
                WHEN m.move_type = 'out_invoice' AND m.isp_late_fee_for_id IS NOT NULL
                    THEN 'late_fee'
                WHEN m.move_type = 'out_invoice' THEN 'invoice'
                WHEN m.move_type = 'out_refund' THEN 'credit_note'
                WHEN m.origin_payment_id IS NOT NULL THEN 'payment'
                ELSE 'other' END"""
        )

    def _get_query(self):
        return SQL(
            """SELECT aml.id AS id,
                      aml.id AS move_line_id,
                      aml.move_id AS move_id,
                      m.name AS move_name,
                      aml.date AS date,
                      aml.date_maturity AS date_maturity,
                      aml.partner_id AS partner_id,
                      m.isp_subscription_id AS subscription_id,
                      aml.company_id AS company_id,
                      aml.company_currency_id AS currency_id,
                      %(kind)s AS kind,
                      COALESCE(NULLIF(m.ref, ''), NULLIF(aml.name, ''), m.invoice_origin) AS ref,
                      aml.debit AS debit,
                      aml.credit AS credit,
                      aml.balance AS balance,
                      SUM(aml.balance) OVER (
                          PARTITION BY aml.company_id, aml.partner_id
                          ORDER BY aml.date, aml.move_id, aml.id
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                      ) AS cumulative_balance,
                      aml.amount_residual AS amount_residual
                 FROM account_move_line aml
                 JOIN account_move m ON m.id = aml.move_id
                 JOIN account_account a ON a.id = aml.account_id
                WHERE aml.parent_state = 'posted'
                  AND aml.partner_id IS NOT NULL
                  AND a.account_type = 'asset_receivable'""",
            kind=self._get_kind_sql(),
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._get_query())
        )

    @api.model
    def _get_ledger_action(self, partner):
        """The ledger of one subscriber (a commercial partner)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_billing.action_isp_subscriber_ledger"
        )
        action["display_name"] = _("Ledger of %(subscriber)s", subscriber=partner.display_name)
        action["domain"] = [("partner_id", "=", partner.id)]
        action["context"] = {}
        return action

    def action_open_document(self):
        """Open the invoice, credit note or payment behind a ledger line."""
        self.ensure_one()
        document = self.move_id.origin_payment_id or self.move_id
        return document._get_records_action()
