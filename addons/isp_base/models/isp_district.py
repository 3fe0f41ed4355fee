from odoo import fields, models


class IspDistrict(models.Model):
    _name = "isp.district"
    _description = "District"
    _order = "name"

    name = fields.Char(required=True)
    local_name = fields.Char(string="Bangla Name")
    division_id = fields.Many2one("isp.division", required=True, ondelete="restrict", index=True)
    thana_ids = fields.One2many("isp.thana", "district_id", string="Thanas")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "name_division_uniq",
            "unique(name, division_id)",
            "A district with this name already exists in this division.",
        ),
    ]
