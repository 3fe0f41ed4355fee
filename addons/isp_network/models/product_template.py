# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .res_company import RATE_LIMIT_RE

# Package fields whose change rewrites the RADIUS rows of its subscriptions.
PACKAGE_RADIUS_FIELDS = (
    "isp_download_mbps",
    "isp_upload_mbps",
    "isp_burst_download_mbps",
    "isp_burst_upload_mbps",
    "isp_burst_threshold_pct",
    "isp_burst_time_s",
    "isp_quota_action",
    "isp_quota_throttle_rate",
)


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # ------------------------------------------------------------------
    # Data quota
    # ------------------------------------------------------------------
    isp_quota_action = fields.Selection(
        [("throttle", "Throttle"), ("disconnect", "Disconnect")],
        string="Over Quota",
        default="throttle",
        help="What happens when a subscription uses more than the monthly quota: "
        "Throttle lowers its speed to the throttle rate, Disconnect cuts it off until "
        "the next month.",
    )
    isp_quota_throttle_rate = fields.Char(
        string="Throttle Rate",
        default="1M/1M",
        help="MikroTik rate limit (upload/download) over the quota, e.g. 1M/1M.",
    )

    @api.constrains("isp_quota_throttle_rate")
    def _check_isp_quota_throttle_rate(self):
        for template in self:
            rate = template.isp_quota_throttle_rate
            if rate and not RATE_LIMIT_RE.match(rate.strip()):
                raise ValidationError(
                    _(
                        "%(rate)s is not a MikroTik rate limit; write it like 1M/1M or 512k/1M.",
                        rate=rate,
                    )
                )

    def write(self, vals):
        result = super().write(vals)
        if any(name in vals for name in PACKAGE_RADIUS_FIELDS):
            self._isp_resync_subscriptions()
        return result

    def _isp_resync_subscriptions(self):
        """New speeds or quota rules: rewrite rows, change live sessions (CoA)."""
        packages = self.filtered("is_isp_package")
        if not packages:
            return
        subscriptions = (
            self.env["isp.subscription"]
            .sudo()
            .search(
                [
                    ("package_id.product_tmpl_id", "in", packages.ids),
                    ("state", "not in", ("draft", "terminated")),
                ]
            )
        )
        for start in range(0, len(subscriptions), 1000):
            batch = subscriptions[start : start + 1000]
            batch._isp_radius_sync()
            batch.filtered(lambda s: s.state == "active")._isp_network_enqueue(session_action="coa")
