from odoo import api, fields, models


class IspThana(models.Model):
    _name = "isp.thana"
    _description = "Thana / Upazila"
    _order = "name"

    name = fields.Char(required=True)
    local_name = fields.Char(string="Bangla Name")
    district_id = fields.Many2one("isp.district", required=True, ondelete="restrict", index=True)
    division_id = fields.Many2one(related="district_id.division_id", store=True, index=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "name_district_uniq",
            "unique(name, district_id)",
            "A thana with this name already exists in this district.",
        ),
    ]

    @api.depends("name", "district_id")
    def _compute_display_name(self):
        for thana in self:
            thana.display_name = (
                f"{thana.name} ({thana.district_id.name})" if thana.district_id else thana.name
            )
