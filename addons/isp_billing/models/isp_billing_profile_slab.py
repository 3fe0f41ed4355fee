from odoo import fields, models


class IspBillingProfileSlab(models.Model):
    """One slab of a tiered profile: the GB up to ``upto_gb`` at ``rate_per_gb``."""

    _name = "isp.billing.profile.slab"
    _description = "ISP Billing Profile Slab"
    _order = "profile_id, id"

    profile_id = fields.Many2one(
        "isp.billing.profile", required=True, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="profile_id.currency_id")
    upto_gb = fields.Float(string="Up to (GB)", help="0 means unlimited (the last slab).")
    rate_per_gb = fields.Monetary(string="Rate per GB", currency_field="currency_id")
