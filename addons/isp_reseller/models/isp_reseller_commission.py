from odoo import _, api, fields, models
from odoo.exceptions import UserError


class IspResellerCommission(models.Model):
    """The readable trail of a commission; the journal item is the truth.

    One row per earning reseller per source entry, created in the same transaction
    as the posted entry that credits the reseller's wallet (``move_line_id``).
    """

    _name = "isp.reseller.commission"
    _description = "ISP Reseller Commission"
    _order = "date desc, id desc"
    _rec_name = "source_move_id"
    _check_company_auto = True

    reseller_id = fields.Many2one(
        "isp.reseller", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(
        [("recharge", "Recharge"), ("collection", "Collection"), ("card", "Card Sale")],
        required=True,
        readonly=True,
    )
    source_move_id = fields.Many2one(
        "account.move",
        string="Entry",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
    )
    move_line_id = fields.Many2one(
        "account.move.line", string="Journal Item", ondelete="restrict", readonly=True
    )
    invoice_id = fields.Many2one(
        "account.move", string="Collected Invoice", index="btree_not_null", readonly=True
    )
    subscription_id = fields.Many2one("isp.subscription", index="btree_not_null", readonly=True)
    seller_id = fields.Many2one(
        "isp.reseller", string="Sold by", readonly=True, help="The reseller that made the sale."
    )
    package_id = fields.Many2one("product.product", readonly=True)
    units = fields.Float(readonly=True)
    base = fields.Monetary(
        readonly=True,
        help="What the commission is earned on: the buying price of the reseller below, "
        "or the collected amount.",
    )
    amount = fields.Monetary(readonly=True)
    date = fields.Date(required=True, readonly=True, index=True)

    _sql_constraints = [
        (
            "source_reseller_uniq",
            "unique(source_move_id, reseller_id)",
            "One commission per reseller per entry.",
        ),
    ]

    def init(self):
        # a collected invoice earns each reseller its commission once
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS isp_reseller_commission_invoice_uniq
                ON isp_reseller_commission (invoice_id, reseller_id)
             WHERE invoice_id IS NOT NULL
            """
        )

    def write(self, vals):
        if not self.env.su:
            raise UserError(_("Commissions follow their journal entries; they are not edited."))
        return super().write(vals)

    @api.ondelete(at_uninstall=True)
    def _unlink_except_by_hand(self):
        if not self.env.su:
            raise UserError(_("Commissions follow their journal entries; they are not deleted."))
