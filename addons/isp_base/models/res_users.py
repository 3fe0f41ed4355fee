from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    isp_zone_ids = fields.Many2many(
        "isp.zone",
        "isp_zone_technician_rel",
        "user_id",
        "zone_id",
        string="Field Zones",
        help="Zones whose subscribers this field technician sees.",
    )

    def _get_invalidation_fields(self):
        # The record rules of field technicians are computed from their zones.
        return super()._get_invalidation_fields() | {"isp_zone_ids"}
