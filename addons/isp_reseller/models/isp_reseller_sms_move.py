from odoo import _, api, fields, models
from odoo.exceptions import UserError


class IspResellerSmsMove(models.Model):
    """One movement of a reseller's SMS balance, in SMS segments (append-only).

    Positive: credit granted or sold by the ISP; negative: the segments of one message
    sent on the reseller's behalf (at most one movement per message). The balance is
    the SQL sum of the movements, never a stored number.
    """

    _name = "isp.reseller.sms.move"
    _description = "Reseller SMS Balance Movement"
    _order = "date desc, id desc"
    _check_company_auto = True

    reseller_id = fields.Many2one(
        "isp.reseller", required=True, index=True, ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one(
        related="reseller_id.company_id", store=True, index=True, readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True, index=True)
    kind = fields.Selection(
        [("grant", "Granted"), ("purchase", "Purchased"), ("usage", "Sent")],
        required=True,
        readonly=True,
    )
    qty = fields.Integer(
        string="SMS Segments",
        required=True,
        readonly=True,
        help="Positive: credit granted or sold; negative: segments of a message sent.",
    )
    message_id = fields.Many2one("isp.notify.message", index="btree_not_null", readonly=True)
    price = fields.Monetary(readonly=True, help="Price debited from the reseller's wallet.")
    account_move_id = fields.Many2one(
        "account.move", string="Wallet Entry", readonly=True, ondelete="restrict"
    )
    note = fields.Char(readonly=True)

    _sql_constraints = [
        ("message_uniq", "unique(message_id)", "A message is debited once."),
        ("qty_not_zero", "CHECK(qty <> 0)", "A movement has a quantity."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and not self.env.user.has_group("isp_billing.group_isp_billing"):
            raise UserError(_("Only billing officers grant SMS credit."))
        return super().create(vals_list)

    def write(self, vals):
        if vals:
            raise UserError(_("SMS balance movements cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("SMS balance movements cannot be deleted."))
