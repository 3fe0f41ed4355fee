from odoo import fields, models


class IspDivision(models.Model):
    _name = "isp.division"
    _description = "Division"
    _order = "name"

    name = fields.Char(required=True)
    local_name = fields.Char(string="Bangla Name")
    code = fields.Char(help="Geocode of the Bangladesh Bureau of Statistics.")
    district_ids = fields.One2many("isp.district", "division_id", string="Districts")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("name_uniq", "unique(name)", "A division with this name already exists."),
    ]
