from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The portal home lists the people a subscriber referred: indexed (few are set).
    isp_referred_by_id = fields.Many2one(index="btree_not_null")
