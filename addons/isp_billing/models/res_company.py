from odoo import fields, models

from ..lib.late_fee import LATE_FEE_KINDS


class ResCompany(models.Model):
    _inherit = "res.company"

    isp_billing_default_profile_id = fields.Many2one(
        "isp.billing.profile", string="Default Billing Profile"
    )
    isp_billing_auto_run = fields.Boolean(
        string="Bill Automatically", help="Run the monthly billing on the 1st of each month."
    )
    isp_bill_suspended = fields.Boolean(string="Bill Suspended Subscriptions")
    isp_bill_inactive = fields.Boolean(string="Bill Inactive Subscriptions")
    isp_default_vat_tax_id = fields.Many2one(
        "account.tax", string="Default VAT", domain=[("type_tax_use", "=", "sale")]
    )
    isp_late_fee_kind = fields.Selection(
        [(kind, kind.title()) for kind in LATE_FEE_KINDS], string="Late Fee Kind"
    )
    isp_late_fee_value = fields.Float(string="Late Fee")
    isp_late_fee_after_days = fields.Integer(string="Late Fee After (Days)")
    isp_plan_limit = fields.Integer(string="Active Subscription Limit", help="0 means unlimited.")
