from odoo import _, api, fields, models
from odoo.exceptions import UserError


class IspVoucherCardSellWizard(models.TransientModel):
    """The holder sells voucher cards: the selected ones or the next ones of its stock."""

    _name = "isp.voucher.card.sell.wizard"
    _description = "Sell Voucher Cards"

    mode = fields.Selection(
        [("cards", "Selected cards"), ("count", "Next cards of my stock")],
        required=True,
        default=lambda self: "cards" if self.env.context.get("default_card_ids") else "count",
    )
    reseller_id = fields.Many2one(
        "isp.reseller",
        string="Seller",
        default=lambda self: self.env.user.isp_reseller_id,
        help="The holder of the cards; its wallet pays its buying price.",
    )
    card_ids = fields.Many2many("isp.voucher.card", string="Cards")
    batch_id = fields.Many2one("isp.voucher.batch")
    count = fields.Integer(default=1)
    use_card_price = fields.Boolean(
        string="Card Price", default=True, help="Sell at the card's own price."
    )
    sale_price = fields.Monetary(help="Price per card asked from the customer.")
    currency_id = fields.Many2one(related="reseller_id.currency_id")
    buyer_phone = fields.Char(string="Customer Phone")
    buyer_name = fields.Char(string="Customer Name")

    @api.onchange("card_ids", "batch_id")
    def _onchange_default_price(self):
        card = self.card_ids[:1] or self.batch_id
        if card and not self.sale_price:
            self.sale_price = card.price

    def _get_cards(self):
        self.ensure_one()
        if self.mode == "cards":
            return self.card_ids
        if not self.reseller_id or self.count < 1:
            raise UserError(_("Choose the seller and how many cards to sell."))
        domain = [
            ("isp_reseller_id", "=", self.reseller_id.id),
            ("state", "=", "assigned"),
            ("sold_at", "=", False),
        ]
        if self.batch_id:
            domain.append(("batch_id", "=", self.batch_id.id))
        cards = self.env["isp.voucher.card"].search(domain, order="serial", limit=self.count)
        if len(cards) < self.count:
            raise UserError(
                _(
                    "%(reseller)s holds only %(count)s unsold card(s).",
                    reseller=self.reseller_id.display_name,
                    count=len(cards),
                )
            )
        return cards

    def action_sell(self):
        self.ensure_one()
        cards = self._get_cards()
        cards._isp_sell(
            sale_price=None if self.use_card_price else self.sale_price,
            buyer_phone=self.buyer_phone,
            buyer_name=self.buyer_name,
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_reseller.action_isp_reseller_panel_cards"
        )
        action["domain"] = [("id", "in", cards.ids)]
        action["context"] = {}
        return action
