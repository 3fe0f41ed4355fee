from odoo import api, models


class IrSequence(models.Model):
    _inherit = "ir.sequence"

    @api.model
    def _isp_next_values(self, code, count):
        """``count`` values of the sequence ``code``, looking the sequence up only once.

        Batch creations (imports, demo data) would otherwise search the sequence for
        every record, as ``next_by_code`` does.
        """
        if count <= 0:
            return []
        company_id = self.env.company.id
        sequence = self.sudo().search(
            [("code", "=", code), ("company_id", "in", [company_id, False])],
            order="company_id",
            limit=1,
        )
        if not sequence:
            return [False] * count
        return [sequence._next() for _i in range(count)]
