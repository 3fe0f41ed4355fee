from odoo import fields, models


class IspBillingAdvanceTier(models.Model):
    """Discount for paying ``months`` months in advance."""

    _name = "isp.billing.advance.tier"
    _description = "ISP Advance Payment Discount"
    _order = "profile_id, months"

    profile_id = fields.Many2one(
        "isp.billing.profile", required=True, ondelete="cascade", index=True
    )
    months = fields.Integer(required=True, default=1)
    discount_percent = fields.Float(string="Discount (%)", digits=(5, 2))

    _sql_constraints = [
        ("months_positive", "CHECK(months >= 1)", "Months must be at least 1."),
        (
            "discount_range",
            "CHECK(discount_percent >= 0 AND discount_percent <= 100)",
            "The discount must be between 0 and 100%.",
        ),
        ("profile_months_uniq", "unique(profile_id, months)", "One discount per month count."),
    ]
