# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib import radius_policy

# RADIUS settings whose change rewrites the RADIUS rows of the company's subscriptions.
RADIUS_SETTING_FIELDS = (
    "isp_radius_suspend_mode",
    "isp_radius_suspended_pool",
    "isp_radius_suspended_address_list",
    "isp_radius_suspended_rate_limit",
    "isp_radius_session_timeout",
)
# A MikroTik rate limit: rx/tx, optionally burst rate, threshold and time pairs.
_RATE = r"\d+(?:\.\d+)?[kKM]?"
RATE_LIMIT_RE = re.compile(rf"^{_RATE}/{_RATE}(?: {_RATE}/{_RATE}){{0,2}}(?: \d+/\d+)?$")


class ResCompany(models.Model):
    _inherit = "res.company"

    # ------------------------------------------------------------------
    # RADIUS
    # ------------------------------------------------------------------
    isp_radius_suspend_mode = fields.Selection(
        [("reject", "Reject"), ("walled_garden", "Walled Garden")],
        string="Suspended Subscribers",
        default="walled_garden",
        required=True,
        help="Reject: suspended and expired subscribers cannot connect. Walled Garden: they "
        "connect into the suspended pool and address list, which the router redirects to "
        "the pay page.",
    )
    isp_radius_suspended_pool = fields.Char(
        string="Suspended Pool",
        default="isp-suspended",
        help="Router IP pool (Framed-Pool) of subscribers in the walled garden.",
    )
    isp_radius_suspended_address_list = fields.Char(
        string="Suspended Address List",
        default="isp-suspended",
        help="Router address list (Mikrotik-Address-List) of subscribers in the walled garden.",
    )
    isp_radius_suspended_rate_limit = fields.Char(
        string="Suspended Rate Limit",
        default="256k/256k",
        help="MikroTik rate limit of subscribers in the walled garden (upload/download).",
    )
    isp_radius_session_timeout = fields.Integer(
        string="Session Timeout (s)",
        default=86400,
        help="Longest RADIUS session; prepaid subscribers are cut at their expiry anyway.",
    )
    isp_radacct_retention_days = fields.Integer(
        string="Accounting Retention (days)",
        default=180,
        help="Closed RADIUS sessions older than this move to the accounting archive.",
    )
    # ------------------------------------------------------------------
    # Routers
    # ------------------------------------------------------------------
    isp_router_backup_retention_days = fields.Integer(
        string="Router Backup Retention (days)",
        default=30,
        help="Router configuration backups older than this are removed by the daily backup.",
    )

    @api.constrains(
        "isp_radius_suspend_mode",
        "isp_radius_suspended_pool",
        "isp_radius_suspended_address_list",
        "isp_radius_suspended_rate_limit",
        "isp_radius_session_timeout",
        "isp_radacct_retention_days",
    )
    def _check_isp_radius_settings(self):
        for company in self:
            if company.isp_radius_suspend_mode == "walled_garden" and not (
                company.isp_radius_suspended_pool and company.isp_radius_suspended_address_list
            ):
                raise ValidationError(
                    _(
                        "The walled garden of %(company)s needs a suspended pool and a "
                        "suspended address list.",
                        company=company.name,
                    )
                )
            rate = company.isp_radius_suspended_rate_limit
            if rate and not RATE_LIMIT_RE.match(rate.strip()):
                raise ValidationError(
                    _(
                        "%(rate)s is not a MikroTik rate limit; write it like 256k/256k or 1M/1M.",
                        rate=rate,
                    )
                )
            if company.isp_radius_session_timeout < 0 or company.isp_radacct_retention_days < 1:
                raise ValidationError(
                    _(
                        "The session timeout cannot be negative and accounting is kept at "
                        "least one day."
                    )
                )

    def write(self, vals):
        result = super().write(vals)
        if any(name in vals for name in RADIUS_SETTING_FIELDS):
            self._isp_radius_settings_changed("isp_radius_suspend_mode" in vals)
        return result

    def _isp_radius_settings_changed(self, mode_changed):
        """Rewrite the RADIUS rows of the companies' subscriptions (new settings)."""
        subscriptions = (
            self.env["isp.subscription"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("company_id", "in", self.ids),
                    ("state", "not in", ("draft", "terminated")),
                    ("username", "!=", False),
                ]
            )
        )
        for start in range(0, len(subscriptions), 1000):
            subscriptions[start : start + 1000]._isp_radius_sync()
        if mode_changed:
            # Sessions in the walled garden must go when the mode becomes reject.
            blocked = subscriptions.filtered(
                lambda s: s.active and s.state in radius_policy.BLOCKED_STATES
            )
            blocked._isp_network_enqueue(session_action="disconnect")

    def _isp_radius_settings(self):
        """The settings :func:`radius_policy.build_rows` reads, for one company."""
        self.ensure_one()
        return {
            "suspend_mode": self.isp_radius_suspend_mode or "walled_garden",
            "suspended_pool": self.isp_radius_suspended_pool or "isp-suspended",
            "suspended_address_list": self.isp_radius_suspended_address_list or "isp-suspended",
            "suspended_rate_limit": (self.isp_radius_suspended_rate_limit or "").strip() or None,
            "session_timeout": self.isp_radius_session_timeout,
            "timezone": self.partner_id.tz or "Asia/Dhaka",
        }
