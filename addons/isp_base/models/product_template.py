from odoo import api, fields, models

from ..lib.rate_limit import format_mikrotik_rate_limit

CONNECTION_TYPES = [
    ("pppoe", "PPPoE"),
    ("hotspot", "Hotspot"),
    ("static", "Static IP"),
    ("bulk", "Bulk Bandwidth"),
    ("cable_tv", "Cable TV"),
    ("other", "Other Service"),
]


class ProductTemplate(models.Model):
    _inherit = "product.template"

    is_isp_package = fields.Boolean(string="ISP Package", index=True)
    isp_connection_type = fields.Selection(
        CONNECTION_TYPES, string="Connection Type", default="pppoe"
    )
    isp_download_mbps = fields.Float(string="Download (Mbps)", digits=(10, 2))
    isp_upload_mbps = fields.Float(string="Upload (Mbps)", digits=(10, 2))
    isp_burst_download_mbps = fields.Float(string="Burst Download (Mbps)", digits=(10, 2))
    isp_burst_upload_mbps = fields.Float(string="Burst Upload (Mbps)", digits=(10, 2))
    isp_burst_threshold_pct = fields.Integer(
        string="Burst Threshold (%)",
        default=80,
        help="Average rate, as a percentage of the normal rate, below which burst is allowed.",
    )
    isp_burst_time_s = fields.Integer(string="Burst Time (s)", default=16)
    isp_validity_days = fields.Integer(
        string="Validity (days)",
        default=30,
        help="Days of service one payment buys (daily and prepaid billing).",
    )
    isp_quota_gb = fields.Float(
        string="Monthly Data Quota (GB)", digits=(10, 2), help="0 means unlimited."
    )
    isp_router_profile = fields.Char(
        string="Router Profile", help="Name of the PPP or hotspot profile on the router."
    )
    isp_rate_limit = fields.Char(
        string="Rate Limit",
        compute="_compute_isp_rate_limit",
        help="The rate limit the network sends for this package (MikroTik format).",
    )
    isp_subscription_count = fields.Integer(compute="_compute_isp_subscription_count")

    _sql_constraints = [
        (
            "isp_speeds_positive",
            "CHECK(isp_download_mbps >= 0 AND isp_upload_mbps >= 0 "
            "AND isp_burst_download_mbps >= 0 AND isp_burst_upload_mbps >= 0)",
            "Speeds cannot be negative.",
        ),
        ("isp_validity_positive", "CHECK(isp_validity_days >= 0)", "Validity cannot be negative."),
        ("isp_quota_positive", "CHECK(isp_quota_gb >= 0)", "The data quota cannot be negative."),
        (
            "isp_burst_threshold_range",
            "CHECK(isp_burst_threshold_pct BETWEEN 0 AND 100)",
            "The burst threshold is a percentage between 0 and 100.",
        ),
    ]

    @api.depends(
        "isp_download_mbps",
        "isp_upload_mbps",
        "isp_burst_download_mbps",
        "isp_burst_upload_mbps",
        "isp_burst_threshold_pct",
        "isp_burst_time_s",
    )
    def _compute_isp_rate_limit(self):
        for template in self:
            if not template.is_isp_package or not template.isp_download_mbps:
                template.isp_rate_limit = False
                continue
            template.isp_rate_limit = format_mikrotik_rate_limit(
                template.isp_download_mbps,
                template.isp_upload_mbps,
                template.isp_burst_download_mbps,
                template.isp_burst_upload_mbps,
                template.isp_burst_threshold_pct,
                template.isp_burst_time_s,
            )

    def _compute_isp_subscription_count(self):
        counts = dict(
            self.env["isp.subscription"]._read_group(
                [("package_id.product_tmpl_id", "in", self.ids)],
                ["package_id"],
                ["__count"],
            )
        )
        for template in self:
            template.isp_subscription_count = sum(
                count for product, count in counts.items() if product.product_tmpl_id == template
            )

    @api.onchange("is_isp_package")
    def _onchange_is_isp_package(self):
        if self.is_isp_package:
            self.type = "service"
            self.sale_ok = True

    def action_view_isp_subscriptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_base.action_isp_subscription")
        action["domain"] = [("package_id.product_tmpl_id", "=", self.id)]
        return action
