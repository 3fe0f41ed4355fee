from odoo import api, fields, models


class IspZone(models.Model):
    """A service area of the ISP, the unit staff filter, bill and assign by."""

    _name = "isp.zone"
    _description = "Service Zone"
    _inherit = ["mail.thread"]
    _order = "sequence, name"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(required=True, tracking=True, help="Short code used in imports and reports.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    thana_id = fields.Many2one("isp.thana", ondelete="restrict", tracking=True)
    district_id = fields.Many2one(
        "isp.district",
        compute="_compute_geography",
        store=True,
        readonly=False,
        precompute=True,
        ondelete="restrict",
    )
    division_id = fields.Many2one(
        "isp.division",
        compute="_compute_geography",
        store=True,
        readonly=False,
        precompute=True,
        ondelete="restrict",
    )
    area_names = fields.Text(
        string="Areas", help="Neighbourhoods, roads or blocks in this zone, one per line."
    )
    manager_id = fields.Many2one("res.users", string="Zone Manager", tracking=True)
    technician_ids = fields.Many2many(
        "res.users",
        "isp_zone_technician_rel",
        "zone_id",
        "user_id",
        string="Field Technicians",
        help="Field technicians who see the subscribers of this zone.",
    )
    subscriber_count = fields.Integer(compute="_compute_subscriber_count")
    note = fields.Html()

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "The zone code must be unique."),
    ]

    @api.depends("thana_id")
    def _compute_geography(self):
        for zone in self.filtered("thana_id"):
            zone.district_id = zone.thana_id.district_id
            zone.division_id = zone.thana_id.division_id

    @api.model_create_multi
    def create(self, vals_list):
        zones = super().create(vals_list)
        if any(vals.get("technician_ids") for vals in vals_list):
            # The record rules of field technicians are computed from their zones.
            self.env.registry.clear_cache()
        return zones

    def write(self, vals):
        res = super().write(vals)
        if "technician_ids" in vals:
            # The record rules of field technicians are computed from their zones.
            self.env.registry.clear_cache()
        return res

    def _compute_subscriber_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("isp_zone_id", "in", self.ids), ("is_isp_subscriber", "=", True)],
                ["isp_zone_id"],
                ["__count"],
            )
        )
        for zone in self:
            zone.subscriber_count = counts.get(zone, 0)

    def action_view_subscribers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_base.action_isp_subscriber")
        action["domain"] = [("isp_zone_id", "=", self.id)]
        action["context"] = {"default_isp_zone_id": self.id, "default_is_isp_subscriber": True}
        return action
