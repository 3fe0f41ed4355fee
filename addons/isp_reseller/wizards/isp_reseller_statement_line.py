from odoo import fields, models


class IspResellerStatementLine(models.TransientModel):
    """One wallet movement of a reseller statement, with the balance after it."""

    _name = "isp.reseller.statement.line"
    _description = "Reseller Statement Line"
    _order = "sequence, id"

    statement_id = fields.Many2one(
        "isp.reseller.statement", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer()
    currency_id = fields.Many2one(related="statement_id.currency_id")
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", readonly=True)
    move_id = fields.Many2one("account.move", string="Entry", readonly=True)
    date = fields.Date(readonly=True)
    kind = fields.Selection(
        [
            ("top_up", "Top-up"),
            ("commission", "Commission / Credit"),
            ("transfer", "Transfer"),
            ("spending", "Recharge / Sale"),
        ],
        readonly=True,
    )
    ref = fields.Char(string="Reference", readonly=True)
    credit = fields.Monetary(string="In", readonly=True)
    debit = fields.Monetary(string="Out", readonly=True)
    balance = fields.Monetary(readonly=True)
