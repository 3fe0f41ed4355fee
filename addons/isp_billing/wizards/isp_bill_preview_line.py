from odoo import fields, models


class IspBillPreviewLine(models.TransientModel):
    """One line of a previewed invoice."""

    _name = "isp.bill.preview.line"
    _description = "ISP Bill Preview Line"
    _order = "sequence, id"

    preview_id = fields.Many2one("isp.bill.preview", required=True, ondelete="cascade")
    sequence = fields.Integer()
    currency_id = fields.Many2one(related="preview_id.currency_id")
    name = fields.Char(string="Description")
    quantity = fields.Float(digits="Product Unit of Measure")
    price_unit = fields.Monetary(string="Price")
    discount = fields.Float(string="Discount (%)", digits="Discount")
    amount_untaxed = fields.Monetary(string="Untaxed")
    amount_total = fields.Monetary(string="With VAT")
