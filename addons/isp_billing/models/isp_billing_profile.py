from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib import volume


class IspBillingProfile(models.Model):
    """How a subscription is billed: cycle, pricing mode, first bill, due day, usage rates."""

    _name = "isp.billing.profile"
    _description = "ISP Billing Profile"
    _order = "sequence, name, id"

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    billing_type = fields.Selection(
        [("monthly", "Monthly"), ("daily", "Daily"), ("free", "Free")],
        required=True,
        default="monthly",
    )
    billing_mode = fields.Selection(
        [("flat", "Flat Rate"), ("volume", "Volume (Data Cap)"), ("tiered", "Tiered Slabs")],
        required=True,
        default="flat",
        help="Flat: the package price. Volume: the package price plus the GB used above the "
        "cap. Tiered: the package price plus each GB priced by its slab.",
    )
    first_bill_type = fields.Selection(
        [
            ("full_month", "Full Month"),
            ("till_end_of_month", "Till End of Month"),
            ("till_next_payment_date", "Till Next Payment Date"),
        ],
        required=True,
        default="till_end_of_month",
    )
    due_day = fields.Integer(default=10, required=True, help="Day of the month (1-28).")
    grace_days = fields.Integer(default=0)
    auto_bill = fields.Boolean(default=True, help="Included in the monthly billing runs.")
    auto_suspend = fields.Boolean(help="Suspend the service when the invoice is overdue.")
    is_vip = fields.Boolean(string="VIP", help="Never suspended automatically.")
    allow_partial = fields.Boolean(string="Allow Partial Payments")
    restore_threshold_amount = fields.Monetary(
        string="Tolerated Overdue Balance",
        currency_field="currency_id",
        help="With partial payments allowed: a subscription is not suspended, and one "
        "suspended for non-payment is restored, while its overdue balance is at most this "
        "amount. 0 means the overdue invoices must be paid in full.",
    )
    cap_gb = fields.Float(string="Data Cap (GB)", help="Volume mode: 0 means unlimited.")
    rate_per_gb = fields.Monetary(
        string="Rate per GB", currency_field="currency_id", help="Volume mode: price per GB."
    )
    slab_ids = fields.One2many("isp.billing.profile.slab", "profile_id", string="Slabs")
    tier_ids = fields.One2many("isp.billing.advance.tier", "profile_id", string="Advance Discounts")
    is_default = fields.Boolean(string="Default", help="The profile of new subscriptions.")

    _sql_constraints = [
        ("grace_days_positive", "CHECK(grace_days >= 0)", "Grace days cannot be negative."),
        (
            "restore_threshold_amount_positive",
            "CHECK(restore_threshold_amount >= 0)",
            "The tolerated overdue balance cannot be negative.",
        ),
    ]

    @api.constrains("due_day")
    def _check_due_day(self):
        for profile in self:
            if not 1 <= profile.due_day <= 28:
                raise ValidationError(_("The due day must be from 1 to 28."))

    @api.constrains("is_default", "company_id")
    def _check_is_default(self):
        for profile in self.filtered("is_default"):
            others = self.search_count(
                [
                    ("company_id", "=", profile.company_id.id),
                    ("is_default", "=", True),
                    ("id", "!=", profile.id),
                ]
            )
            if others:
                raise ValidationError(
                    _("Only one billing profile can be the default of %s.", profile.company_id.name)
                )

    @api.constrains("billing_mode", "slab_ids")
    def _check_slabs(self):
        for profile in self.filtered(lambda p: p.billing_mode == "tiered"):
            try:
                volume.check_slabs(profile._get_slabs())
            except volume.InvalidSlabs as exc:
                raise ValidationError(
                    _(
                        "The slabs of %(profile)s are invalid: %(error)s",
                        profile=profile.name,
                        error=exc,
                    )
                ) from exc

    def _get_slabs(self):
        """Slabs as ``[(upto_gb | None, rate_per_gb)]`` for ``lib.volume``."""
        self.ensure_one()
        slabs = self.slab_ids.sorted(lambda s: (s.upto_gb == 0, s.upto_gb, s.id))
        return [
            (str(slab.upto_gb) if slab.upto_gb else None, str(slab.rate_per_gb)) for slab in slabs
        ]

    def _get_advance_tiers(self):
        """Advance discounts as ``{months: percent}`` for ``lib.advance``."""
        self.ensure_one()
        return {tier.months: str(tier.discount_percent) for tier in self.tier_ids}
