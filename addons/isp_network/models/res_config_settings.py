# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # ------------------------------------------------------------------
    # RADIUS
    # ------------------------------------------------------------------
    isp_radius_suspend_mode = fields.Selection(
        related="company_id.isp_radius_suspend_mode", readonly=False
    )
    isp_radius_suspended_pool = fields.Char(
        related="company_id.isp_radius_suspended_pool", readonly=False
    )
    isp_radius_suspended_address_list = fields.Char(
        related="company_id.isp_radius_suspended_address_list", readonly=False
    )
    isp_radius_suspended_rate_limit = fields.Char(
        related="company_id.isp_radius_suspended_rate_limit", readonly=False
    )
    isp_radius_session_timeout = fields.Integer(
        related="company_id.isp_radius_session_timeout", readonly=False
    )
    isp_radacct_retention_days = fields.Integer(
        related="company_id.isp_radacct_retention_days", readonly=False
    )
    # ------------------------------------------------------------------
    # Routers
    # ------------------------------------------------------------------
    isp_router_backup_retention_days = fields.Integer(
        related="company_id.isp_router_backup_retention_days", readonly=False
    )
    isp_router_timeout = fields.Float(
        string="Router API Timeout (s)",
        config_parameter="isp_network.router_timeout",
        default=5.0,
    )
