# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo import api, fields, models


class IspNetworkDrift(models.Model):
    """A difference the reconciler found between desired and actual network state."""

    _name = "isp.network.drift"
    _description = "Network Drift"
    _order = "detected_at desc, id desc"
    _rec_name = "kind"

    subscription_id = fields.Many2one(
        "isp.subscription", ondelete="cascade", index=True, readonly=True
    )
    router_id = fields.Many2one("isp.router", ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one("res.company", index=True, readonly=True)
    kind = fields.Selection(
        [
            ("radius_rows", "RADIUS Rows"),
            ("session", "Session Online"),
            ("router_entry", "Router Entry"),
        ],
        required=True,
        readonly=True,
        help="RADIUS Rows: the RADIUS tables differ from the subscription. "
        "Session Online: a subscriber who must be offline still has an open session. "
        "Router Entry: an entry on a router managed over its API differs.",
    )
    detail = fields.Text(readonly=True)
    detected_at = fields.Datetime(
        required=True, readonly=True, default=fields.Datetime.now, index=True
    )
    healed_at = fields.Datetime(readonly=True)
    is_healed = fields.Boolean(compute="_compute_is_healed", store=True)

    @api.depends("healed_at")
    def _compute_is_healed(self):
        for drift in self:
            drift.is_healed = bool(drift.healed_at)

    @api.model
    def _record(self, vals_list, healed=False):
        """Create drift records in one batch; ``healed`` stamps them healed now."""
        if not vals_list:
            return self.browse()
        now = fields.Datetime.now()
        for vals in vals_list:
            vals.setdefault("detected_at", now)
            if healed:
                vals["healed_at"] = now
        return self.sudo().create(vals_list)
