from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    isp_billing_default_profile_id = fields.Many2one(
        related="company_id.isp_billing_default_profile_id", readonly=False
    )
    isp_billing_auto_run = fields.Boolean(related="company_id.isp_billing_auto_run", readonly=False)
    isp_bill_suspended = fields.Boolean(related="company_id.isp_bill_suspended", readonly=False)
    isp_bill_inactive = fields.Boolean(related="company_id.isp_bill_inactive", readonly=False)
    isp_default_vat_tax_id = fields.Many2one(
        related="company_id.isp_default_vat_tax_id", readonly=False
    )
    isp_late_fee_kind = fields.Selection(related="company_id.isp_late_fee_kind", readonly=False)
    isp_late_fee_value = fields.Float(related="company_id.isp_late_fee_value", readonly=False)
    isp_late_fee_after_days = fields.Integer(
        related="company_id.isp_late_fee_after_days", readonly=False
    )
    isp_plan_limit = fields.Integer(related="company_id.isp_plan_limit", readonly=False)
    isp_payment_instructions = fields.Html(
        related="company_id.isp_payment_instructions", readonly=False
    )
    isp_invoice_prefix = fields.Char(related="company_id.isp_invoice_prefix", readonly=False)
