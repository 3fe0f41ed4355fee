from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The portal home lists the people a subscriber referred: indexed (few are set).
    isp_referred_by_id = fields.Many2one(index="btree_not_null")

    def write(self, vals):
        result = super().write(vals)
        # a company's name is its partner's (stored related): the portal caches it
        if "name" in vals and self.env["res.company"].sudo().with_context(
            active_test=False
        ).search_count([("partner_id", "in", self.ids)], limit=1):
            self.env.registry.clear_cache()
        return result
