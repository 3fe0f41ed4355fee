from odoo import _, api, fields, models
from odoo.exceptions import UserError


class IspVoucherCardAssignWizard(models.TransientModel):
    """Hand voucher cards to a reseller node: a count from a batch, a serial range or
    the selected cards."""

    _name = "isp.voucher.card.assign.wizard"
    _description = "Assign Voucher Cards"

    mode = fields.Selection(
        [
            ("count", "Next cards of a batch"),
            ("range", "Serial range"),
            ("cards", "Selected cards"),
        ],
        required=True,
        default=lambda self: "cards" if self.env.context.get("default_card_ids") else "count",
    )
    reseller_id = fields.Many2one(
        "isp.reseller", string="Assign To", required=True, domain=[("active", "=", True)]
    )
    batch_id = fields.Many2one("isp.voucher.batch", domain=[("state", "=", "generated")])
    count = fields.Integer(default=10)
    serial_from = fields.Char()
    serial_to = fields.Char()
    card_ids = fields.Many2many("isp.voucher.card", string="Cards")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "isp.voucher.batch":
            values["batch_id"] = self.env.context.get("active_id")
            values["mode"] = "count"
        return values

    def action_assign(self):
        self.ensure_one()
        Card = self.env["isp.voucher.card"]
        if self.mode == "cards":
            cards = Card._isp_assign_cards(self.reseller_id, cards=self.card_ids)
        elif self.mode == "range":
            if not (self.serial_from and self.serial_to):
                raise UserError(_("Give the first and the last serial."))
            cards = Card._isp_assign_cards(
                self.reseller_id,
                batch=self.batch_id or None,
                serials=(self.serial_from, self.serial_to),
            )
        else:
            if not self.batch_id or self.count < 1:
                raise UserError(_("Choose a batch and how many cards to assign."))
            cards = Card._isp_assign_cards(self.reseller_id, batch=self.batch_id, count=self.count)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "%(count)s card(s) assigned to %(reseller)s.",
                    count=len(cards),
                    reseller=self.reseller_id.display_name,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
