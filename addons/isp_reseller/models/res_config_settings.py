from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    isp_reseller_max_depth = fields.Integer(
        related="company_id.isp_reseller_max_depth", readonly=False
    )
    isp_reseller_pays_sms = fields.Boolean(
        related="company_id.isp_reseller_pays_sms", readonly=False
    )
