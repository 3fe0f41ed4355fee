from odoo import api, fields, models


class IspUsageDaily(models.Model):
    """Data used by a subscription on one local day, filled by the network layer.

    Volume billing, quotas and the portal read these rows; one row per
    subscription and day, so re-importing a day replaces it instead of adding to it.
    """

    _name = "isp.usage.daily"
    _description = "Daily Data Usage"
    _order = "date desc, id desc"
    _rec_name = "date"

    subscription_id = fields.Many2one(
        "isp.subscription", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(related="subscription_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="subscription_id.company_id", store=True)
    date = fields.Date(required=True, index=True)
    # Bytes exceed a 32-bit integer in a day; a double holds them exactly up to 2**53.
    download_bytes = fields.Float(digits=(20, 0), default=0, aggregator="sum")
    upload_bytes = fields.Float(digits=(20, 0), default=0, aggregator="sum")
    total_bytes = fields.Float(
        digits=(20, 0), compute="_compute_total_bytes", store=True, aggregator="sum"
    )
    total_gb = fields.Float(
        string="Total (GB)", compute="_compute_total_bytes", store=True, digits=(16, 3)
    )

    _sql_constraints = [
        (
            "subscription_date_uniq",
            "unique(subscription_id, date)",
            "There is already a usage row for this subscription and day.",
        ),
        (
            "bytes_positive",
            "CHECK(download_bytes >= 0 AND upload_bytes >= 0)",
            "Usage cannot be negative.",
        ),
    ]

    @api.depends("download_bytes", "upload_bytes")
    def _compute_total_bytes(self):
        for usage in self:
            usage.total_bytes = usage.download_bytes + usage.upload_bytes
            usage.total_gb = usage.total_bytes / 10**9

    @api.model
    def _get_usage_bytes(self, subscriptions, date_from, date_to):
        """``{subscription id: total bytes}`` used between two local dates (inclusive)."""
        groups = self._read_group(
            [
                ("subscription_id", "in", subscriptions.ids),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
            ],
            ["subscription_id"],
            ["total_bytes:sum"],
        )
        return {subscription.id: total for subscription, total in groups}
