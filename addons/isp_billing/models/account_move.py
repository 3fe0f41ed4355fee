from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    isp_subscription_id = fields.Many2one(
        "isp.subscription", string="ISP Subscription", index=True, copy=False
    )
    isp_period_start = fields.Date(string="Billing Period Start", copy=False)
    isp_period_end = fields.Date(string="Billing Period End", copy=False)
    isp_billing_run_id = fields.Many2one(
        "isp.billing.run", string="Billing Run", index="btree_not_null", copy=False
    )
    # Advance payment (wizards/isp_advance_payment.py): the months paid at once share a ref.
    isp_is_advance = fields.Boolean(string="Paid in Advance", copy=False)
    isp_advance_ref = fields.Char(
        string="Advance Payment", index="btree_not_null", copy=False, readonly=True
    )
    isp_advance_months = fields.Integer(string="Advance Months", copy=False, readonly=True)
    # Prepaid recharges: the validity days a recharge invoice granted, taken back (once)
    # when its payment is reversed.
    isp_recharge_days = fields.Integer(string="Recharge Days", copy=False, readonly=True)
    isp_recharge_withdrawn = fields.Boolean(string="Recharge Withdrawn", copy=False, readonly=True)
    isp_advance_discount_percent = fields.Float(
        string="Advance Discount (%)", digits=(5, 2), copy=False, readonly=True
    )
    # Usage billing (volume / tiered) as printed on the invoice, set when it is created.
    isp_usage_mode = fields.Selection(
        [("volume", "Volume (Data Cap)"), ("tiered", "Tiered Slabs")],
        string="Usage Billing",
        copy=False,
    )
    isp_usage_gb = fields.Float(string="Data Used (GB)", digits=(16, 2), copy=False)
    isp_cap_gb = fields.Float(string="Data Cap (GB)", digits=(16, 2), copy=False)
    isp_overage_gb = fields.Float(string="Billed Data (GB)", digits=(16, 2), copy=False)
    isp_overage_amount = fields.Monetary(string="Data Charge", copy=False)
    # Collections (models/isp_billing_dunning.py): late fee documents and dunning stages.
    isp_late_fee_for_id = fields.Many2one(
        "account.move",
        string="Late Fee For",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="restrict",
        help="The overdue invoice this late fee is charged on.",
    )
    isp_late_fee_ids = fields.One2many("account.move", "isp_late_fee_for_id", string="Late Fees")
    isp_dunning_stage = fields.Selection(
        [
            ("due_7", "Reminded 7 Days Before"),
            ("due_3", "Reminded 3 Days Before"),
            ("due_1", "Reminded 1 Day Before"),
            ("notice", "Suspension Notice Sent"),
        ],
        string="Dunning Stage",
        copy=False,
        readonly=True,
    )

    def init(self):
        result = super().init()
        # Invariant 1: one invoice per subscription per period, whatever runs twice.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS account_move_isp_subscription_period_uniq
               ON account_move (isp_subscription_id, isp_period_start)
               WHERE isp_subscription_id IS NOT NULL
                 AND move_type = 'out_invoice'
                 AND state != 'cancel'"""
        )
        # One late fee per overdue invoice, even from two concurrent cron runs.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS account_move_isp_late_fee_for_uniq
               ON account_move (isp_late_fee_for_id)
               WHERE isp_late_fee_for_id IS NOT NULL AND state != 'cancel'"""
        )
        return result

    # Invoice report (report/isp_invoice_report.xml)
    def _get_isp_package(self):
        """The package billed on this invoice (its line), else the subscription's."""
        self.ensure_one()
        packages = self.invoice_line_ids.product_id.filtered("is_isp_package")
        return packages[:1] or self.isp_subscription_id.package_id

    def _get_isp_advance_span(self):
        """``(first day, last day)`` of all the months paid with this advance invoice."""
        self.ensure_one()
        if not self.isp_advance_ref:
            return self.isp_period_start, self.isp_period_end
        groups = self.sudo()._read_group(
            [
                ("isp_advance_ref", "=", self.isp_advance_ref),
                ("isp_subscription_id", "=", self.isp_subscription_id.id),
                ("state", "!=", "cancel"),
            ],
            [],
            ["isp_period_start:min", "isp_period_end:max"],
        )
        return groups[0] if groups else (self.isp_period_start, self.isp_period_end)

    # Credit notes (Odoo's reversal): linked to the subscription, never to a period.
    def _reverse_moves(self, default_values_list=None, cancel=False):
        default_values_list = [dict(vals or {}) for vals in default_values_list or [{}] * len(self)]
        for move, vals in zip(self, default_values_list, strict=True):
            if move.isp_subscription_id:
                vals.setdefault("isp_subscription_id", move.isp_subscription_id.id)
        return super()._reverse_moves(default_values_list, cancel=cancel)
