from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # ---- subscriber home
    isp_portal_show_usage = fields.Boolean(
        related="company_id.isp_portal_show_usage", readonly=False
    )
    isp_portal_show_live_traffic = fields.Boolean(
        related="company_id.isp_portal_show_live_traffic", readonly=False
    )
    isp_portal_show_history = fields.Boolean(
        related="company_id.isp_portal_show_history", readonly=False
    )
    isp_portal_show_notices = fields.Boolean(
        related="company_id.isp_portal_show_notices", readonly=False
    )
    isp_portal_speed_test_url = fields.Char(
        related="company_id.isp_portal_speed_test_url", readonly=False
    )
    isp_portal_maintenance = fields.Boolean(
        related="company_id.isp_portal_maintenance", readonly=False
    )
    isp_portal_maintenance_message = fields.Html(
        related="company_id.isp_portal_maintenance_message", readonly=False
    )

    # ---- hotspot
    isp_hotspot_enabled = fields.Boolean(related="company_id.isp_hotspot_enabled", readonly=False)
    isp_hotspot_welcome = fields.Text(related="company_id.isp_hotspot_welcome", readonly=False)
    isp_hotspot_color = fields.Char(related="company_id.isp_hotspot_color", readonly=False)
    isp_hotspot_allowed_hosts = fields.Char(
        related="company_id.isp_hotspot_allowed_hosts", readonly=False
    )

    # ---- pay-bill API
    isp_paybill_api_enabled = fields.Boolean(
        related="company_id.isp_paybill_api_enabled", readonly=False
    )
