from odoo import api, fields, models, tools

# What the subscriber pages read of their company on every request (settings, not
# subscriber data): cached per company, cleared when any of them is written.
PORTAL_CACHED_FIELDS = (
    "name",
    "currency_id",
    "isp_portal_show_usage",
    "isp_portal_show_live_traffic",
    "isp_portal_show_history",
    "isp_portal_show_notices",
    "isp_portal_speed_test_url",
    "isp_portal_maintenance",
    "isp_portal_package_change",
    "isp_portal_password_change",
    "isp_portal_tickets",
    "isp_portal_referral",
    "isp_portal_referral_reward",
)
PORTAL_CACHED_FIELDS_SET = frozenset(PORTAL_CACHED_FIELDS)


class ResCompany(models.Model):
    _inherit = "res.company"

    # ---- subscriber home
    isp_portal_show_usage = fields.Boolean(string="Portal: Usage Chart", default=True)
    isp_portal_show_live_traffic = fields.Boolean(string="Portal: Live Traffic", default=True)
    isp_portal_show_history = fields.Boolean(
        string="Portal: Invoice and Payment History", default=True
    )
    isp_portal_show_notices = fields.Boolean(string="Portal: Notices", default=True)
    isp_portal_speed_test_url = fields.Char(
        string="Speed Test Link", help="Shown on the subscriber's home, e.g. https://fast.com"
    )
    isp_portal_maintenance = fields.Boolean(
        string="Portal Maintenance Mode",
        help="Subscribers see a maintenance page instead of the ISP portal pages.",
    )
    isp_portal_maintenance_message = fields.Html(
        string="Maintenance Message", translate=True, sanitize=True
    )

    # ---- hotspot
    isp_hotspot_enabled = fields.Boolean(string="Hotspot Captive Login", default=True)
    isp_hotspot_welcome = fields.Text(string="Hotspot Welcome Text", translate=True)
    isp_hotspot_color = fields.Char(string="Hotspot Colour", default="#1f6feb")
    isp_hotspot_allowed_hosts = fields.Char(
        string="Hotspot DNS Names",
        help="Comma-separated DNS names of the routers' hotspot login pages. Private "
        "addresses (such as 10.5.50.1) are always accepted; any other host is refused, "
        "so that the page never posts credentials elsewhere.",
    )

    # ---- subscriber actions
    isp_portal_package_change = fields.Boolean(string="Portal: Package Change", default=True)
    isp_portal_package_change_auto = fields.Boolean(
        string="Apply Package Changes Automatically",
        help="Subscribers' package changes apply at once; otherwise staff approve them.",
    )
    isp_portal_password_change = fields.Boolean(
        string="Portal: PPPoE Password Change", default=True
    )
    isp_portal_tickets = fields.Boolean(string="Portal: Support Tickets", default=True)

    # ---- portal login
    isp_portal_auto_users = fields.Boolean(
        string="Portal Users for Subscribers",
        default=True,
        help="Every subscriber gets a portal user, without invitation email.",
    )
    isp_portal_pppoe_login = fields.Boolean(
        string="Login with PPPoE Credentials",
        default=True,
        help="Subscribers log in to the portal with the PPPoE username and password of a "
        "subscription that is not terminated.",
    )

    # ---- pay-bill API
    isp_paybill_api_enabled = fields.Boolean(
        string="Pay-Bill API",
        default=True,
        help="Billers may look up the amount due of this company's subscribers with their "
        "pay-bill API keys.",
    )

    # ---- OTP login
    isp_portal_otp_login = fields.Boolean(
        string="Login with SMS Code",
        default=True,
        help="Subscribers log in with their registered mobile number and a one-time code "
        "sent by SMS.",
    )

    # ---- referral
    isp_portal_referral = fields.Boolean(string="Portal: Referral", default=True)
    isp_portal_referral_reward = fields.Monetary(
        string="Referral Reward",
        currency_field="currency_id",
        help="Credit the referrer earns once per referred subscriber, when that "
        "subscriber's first invoice is paid; the referrer's next invoices use it.",
    )

    # ---- subscriber pages: cached settings

    def _isp_portal_settings(self):
        """The portal settings of this company (one record) as a read-only mapping of
        ``PORTAL_CACHED_FIELDS`` (many2one as ids): the same for every subscriber of the
        company, cached in the registry and cleared on write."""
        self.ensure_one()
        return self._isp_portal_get_settings(self.id)

    @api.model
    @tools.ormcache("company_id")
    def _isp_portal_get_settings(self, company_id):
        company = self.sudo().browse(company_id).with_context(prefetch_fields=False)
        [values] = company.read(list(PORTAL_CACHED_FIELDS), load=None)
        values.pop("id", None)
        return tools.frozendict(values)

    def write(self, vals):
        result = super().write(vals)
        if not PORTAL_CACHED_FIELDS_SET.isdisjoint(vals):
            self.env.registry.clear_cache()
        return result
