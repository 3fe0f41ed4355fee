from odoo import _, fields, models


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

    # ---- subscriber actions
    isp_portal_package_change = fields.Boolean(
        related="company_id.isp_portal_package_change", readonly=False
    )
    isp_portal_package_change_auto = fields.Boolean(
        related="company_id.isp_portal_package_change_auto", readonly=False
    )
    isp_portal_password_change = fields.Boolean(
        related="company_id.isp_portal_password_change", readonly=False
    )
    isp_portal_tickets = fields.Boolean(related="company_id.isp_portal_tickets", readonly=False)

    # ---- portal login
    isp_portal_auto_users = fields.Boolean(
        related="company_id.isp_portal_auto_users", readonly=False
    )
    isp_portal_pppoe_login = fields.Boolean(
        related="company_id.isp_portal_pppoe_login", readonly=False
    )

    def action_isp_portal_create_users(self):
        """Create the missing portal users now; a large remainder goes to the cron."""
        self.ensure_one()
        self.env["isp.subscription"].check_access("read")
        created, remaining = self.env["isp.subscription"]._isp_portal_create_missing_users(
            limit=500
        )
        if remaining:
            self.env.ref("isp_portal.ir_cron_isp_portal_create_users").sudo()._trigger()
            message = _(
                "%(created)s portal users created; the other %(remaining)s follow in the "
                "background.",
                created=created,
                remaining=remaining,
            )
        else:
            message = _("%(created)s portal users created.", created=created)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": "success", "sticky": False},
        }

    # ---- pay-bill API
    isp_paybill_api_enabled = fields.Boolean(
        related="company_id.isp_paybill_api_enabled", readonly=False
    )

    # ---- OTP login
    isp_portal_otp_login = fields.Boolean(related="company_id.isp_portal_otp_login", readonly=False)

    # ---- referral
    isp_portal_referral = fields.Boolean(related="company_id.isp_portal_referral", readonly=False)
    isp_portal_referral_reward = fields.Monetary(
        related="company_id.isp_portal_referral_reward",
        readonly=False,
        currency_field="currency_id",
    )
