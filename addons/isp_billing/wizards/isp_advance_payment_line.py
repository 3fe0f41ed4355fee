from odoo import fields, models


class IspAdvancePaymentLine(models.TransientModel):
    """One month of an advance payment as previewed: its price, discount, VAT and total."""

    _name = "isp.advance.payment.line"
    _description = "ISP Advance Payment Month"
    _order = "sequence, id"

    wizard_id = fields.Many2one("isp.advance.payment", required=True, ondelete="cascade")
    sequence = fields.Integer()
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    period_start = fields.Date(string="From")
    period_end = fields.Date(string="To")
    base_amount = fields.Monetary(string="Package")
    discount_amount = fields.Monetary(string="Discount")
    charge_amount = fields.Monetary(string="Charges")
    amount_untaxed = fields.Monetary(string="Untaxed")
    amount_tax = fields.Monetary(string="VAT")
    amount_total = fields.Monetary(string="Total")
