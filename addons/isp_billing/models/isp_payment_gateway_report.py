from odoo import fields, models, tools
from odoo.tools import SQL

# Draft/pending items older than this many minutes are "pending" in the report; the
# system parameter overrides it (a whole number of minutes).
PENDING_MINUTES_PARAM = "isp_billing.gateway_report_pending_minutes"
DEFAULT_PENDING_MINUTES = 30


class IspPaymentGatewayReport(models.Model):
    """Payments per gateway and day: amounts, fees, and what is unmatched or pending.

    One row per payment transaction of any provider (ours, Stripe, PayPal ...) and one
    per manual mobile money claim (``source``). Read-only SQL view.

    * fee: the provider's ``isp_fee_percent``/``isp_fee_fixed`` on done payments
      (refunds and claims carry none), rounded like ``lib.gateway_fees``;
    * unmatched: done, but its account.payment is missing or one of its invoices is not
      paid (or a verified claim without its payment);
    * pending: draft/pending for longer than the ``isp_billing.gateway_report_pending_minutes``
      system parameter (30 by default): a timeout the re-check has not settled yet.
    """

    _name = "isp.payment.gateway.report"
    _description = "Payment Gateway Report"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "reference"

    source = fields.Selection(
        [("transaction", "Gateway Transaction"), ("claim", "Mobile Money Claim")],
        readonly=True,
    )
    transaction_id = fields.Many2one("payment.transaction", readonly=True)
    claim_id = fields.Many2one("isp.payment.claim", readonly=True)
    reference = fields.Char(readonly=True)
    provider_id = fields.Many2one("payment.provider", readonly=True)
    method = fields.Char(
        readonly=True, help="The provider code, or the wallet of a mobile money claim."
    )
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("pending", "Pending"),
            ("authorized", "Authorized"),
            ("done", "Confirmed"),
            ("cancel", "Canceled"),
            ("error", "Error"),
        ],
        readonly=True,
        help="A verified claim counts as confirmed, a rejected one as canceled.",
    )
    date = fields.Date(
        readonly=True, help="Day (company timezone) of the last state change or creation."
    )
    last_change = fields.Datetime(readonly=True)
    nbr = fields.Integer(string="Count", readonly=True)
    amount = fields.Monetary(readonly=True)
    fee = fields.Monetary(readonly=True)
    net = fields.Monetary(string="Net Amount", readonly=True)
    is_unmatched = fields.Boolean(string="Unmatched", readonly=True)
    is_pending = fields.Boolean(string="Pending Too Long", readonly=True)

    def _get_pending_minutes_sql(self):
        return SQL(
            """COALESCE((SELECT CASE WHEN value ~ '^[0-9]{1,6}$' THEN value::int END
                           FROM ir_config_parameter WHERE key = %s), %s)""",
            PENDING_MINUTES_PARAM,
            DEFAULT_PENDING_MINUTES,
        )

    @staticmethod
    def _local_date_sql(timestamp):
        """``timestamp`` (UTC) as a day in the company's timezone (Asia/Dhaka by default)."""
        return SQL(
            "((%s AT TIME ZONE 'UTC')"
            " AT TIME ZONE COALESCE(NULLIF(cp.tz, ''), 'Asia/Dhaka'))::date",
            timestamp,
        )

    def _get_transaction_query(self):
        last_change = SQL("COALESCE(tx.last_state_change, tx.create_date)")
        return SQL(
            """
            SELECT tx.id * 2 AS id,
                   'transaction' AS source,
                   tx.id AS transaction_id,
                   NULL::integer AS claim_id,
                   tx.reference AS reference,
                   tx.provider_id AS provider_id,
                   pp.code AS method,
                   tx.company_id AS company_id,
                   tx.currency_id AS currency_id,
                   tx.partner_id AS partner_id,
                   tx.state AS state,
                   %(date)s AS date,
                   %(last_change)s AS last_change,
                   1 AS nbr,
                   tx.amount AS amount,
                   fee.fee AS fee,
                   tx.amount - fee.fee AS net,
                   (tx.state = 'done'
                    AND tx.operation IS DISTINCT FROM 'validation'
                    AND (tx.payment_id IS NULL OR EXISTS (
                        SELECT 1
                          FROM account_invoice_transaction_rel rel
                          JOIN account_move am ON am.id = rel.invoice_id
                         WHERE rel.transaction_id = tx.id
                           AND am.payment_state NOT IN ('paid', 'in_payment', 'reversed')
                    ))) AS is_unmatched,
                   (tx.state IN ('draft', 'pending')
                    AND %(last_change)s < (now() AT TIME ZONE 'UTC')
                        - make_interval(mins => %(pending_minutes)s)) AS is_pending
              FROM payment_transaction tx
              JOIN payment_provider pp ON pp.id = tx.provider_id
              JOIN res_company comp ON comp.id = tx.company_id
              JOIN res_partner cp ON cp.id = comp.partner_id
              LEFT JOIN res_currency cur ON cur.id = tx.currency_id
              CROSS JOIN LATERAL (
                  SELECT CASE WHEN tx.state = 'done' AND tx.amount > 0
                              THEN ROUND(tx.amount * COALESCE(pp.isp_fee_percent, 0) / 100
                                         + COALESCE(pp.isp_fee_fixed, 0),
                                         COALESCE(cur.decimal_places, 2))
                              ELSE 0 END AS fee
              ) fee
            """,
            date=self._local_date_sql(last_change),
            last_change=last_change,
            pending_minutes=self._get_pending_minutes_sql(),
        )

    def _get_claim_query(self):
        last_change = SQL("COALESCE(c.verified_at, c.claimed_at, c.create_date)")
        return SQL(
            """
            SELECT c.id * 2 + 1 AS id,
                   'claim' AS source,
                   NULL::integer AS transaction_id,
                   c.id AS claim_id,
                   c.transaction_ref AS reference,
                   NULL::integer AS provider_id,
                   c.method AS method,
                   c.company_id AS company_id,
                   comp.currency_id AS currency_id,
                   c.partner_id AS partner_id,
                   CASE c.state WHEN 'verified' THEN 'done'
                                WHEN 'rejected' THEN 'cancel'
                                ELSE 'pending' END AS state,
                   %(date)s AS date,
                   %(last_change)s AS last_change,
                   1 AS nbr,
                   c.amount AS amount,
                   0 AS fee,
                   c.amount AS net,
                   (c.state = 'verified' AND c.payment_id IS NULL) AS is_unmatched,
                   (c.state = 'pending'
                    AND %(last_change)s < (now() AT TIME ZONE 'UTC')
                        - make_interval(mins => %(pending_minutes)s)) AS is_pending
              FROM isp_payment_claim c
              JOIN res_company comp ON comp.id = c.company_id
              JOIN res_partner cp ON cp.id = comp.partner_id
            """,
            date=self._local_date_sql(last_change),
            last_change=last_change,
            pending_minutes=self._get_pending_minutes_sql(),
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s UNION ALL %s)",
                SQL.identifier(self._table),
                self._get_transaction_query(),
                self._get_claim_query(),
            )
        )
