from odoo import _, api, fields, models
from odoo.exceptions import UserError

CARD_EVENT_SELECTION = [
    ("generated", "Generated"),
    ("assigned", "Assigned"),
    ("unassigned", "Unassigned"),
    ("sold", "Sold"),
    ("redeemed", "Redeemed"),
    ("expired", "Expired"),
]


class IspVoucherCardEvent(models.Model):
    """One step in the life of a voucher card: append-only, like the audit log."""

    _name = "isp.voucher.card.event"
    _description = "ISP Voucher Card Event"
    _order = "date desc, id desc"
    _rec_name = "event"

    card_id = fields.Many2one(
        "isp.voucher.card", required=True, index=True, ondelete="cascade", readonly=True
    )
    batch_id = fields.Many2one(related="card_id.batch_id", store=True, index=True)
    serial = fields.Char(related="card_id.serial")
    event = fields.Selection(CARD_EVENT_SELECTION, required=True, readonly=True, index=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    from_reseller_id = fields.Many2one(
        "isp.reseller", string="From", readonly=True, index="btree_not_null"
    )
    to_reseller_id = fields.Many2one(
        "isp.reseller", string="To", readonly=True, index="btree_not_null"
    )
    user_id = fields.Many2one(
        "res.users", string="By", readonly=True, default=lambda self: self.env.user
    )
    subscription_id = fields.Many2one(
        "isp.subscription", readonly=True, ondelete="set null", index="btree_not_null"
    )
    amount = fields.Monetary(readonly=True, help="Sale price of a sold card.")
    margin = fields.Monetary(readonly=True, help="Seller's margin on a sold card.")
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    note = fields.Char(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(_("Card history is written by the system only."))
        return super().create(vals_list)

    def write(self, vals):
        if vals:
            raise UserError(_("The card history cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("The card history cannot be deleted."))

    @api.model
    def _prepare_event_vals(self, card, event, **vals):
        return {
            "card_id": card.id,
            "company_id": card.company_id.id,
            "event": event,
            "user_id": self.env.uid,
            **vals,
        }

    @api.model
    def _isp_log(self, cards, event, per_card=None, **vals):
        """Append one ``event`` per card; ``per_card`` maps a card id to extra values."""
        per_card = per_card or {}
        vals_list = [
            self._prepare_event_vals(card, event, **vals, **per_card.get(card.id, {}))
            for card in cards
        ]
        return self.sudo().create(vals_list)
