from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

MAX_BATCH_QUANTITY = 1000
DEFAULT_SHELF_LIFE_DAYS = 365


class IspVoucherBatch(models.Model):
    """A print run of prepaid voucher cards of one package."""

    _name = "isp.voucher.batch"
    _description = "ISP Voucher Card Batch"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(
        string="Reference", readonly=True, copy=False, default=lambda self: _("New"), index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    package_id = fields.Many2one(
        "product.product",
        required=True,
        tracking=True,
        ondelete="restrict",
        domain=[("is_isp_package", "=", True)],
    )
    validity_days = fields.Integer(
        compute="_compute_from_package",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Days of service one card adds to a subscription.",
    )
    price = fields.Monetary(
        compute="_compute_from_package",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    quantity = fields.Integer(default=50, tracking=True)
    serial_prefix = fields.Char(default="VC", help="Letters printed before the card number.")
    shelf_life_days = fields.Integer(
        default=DEFAULT_SHELF_LIFE_DAYS,
        help="Days after generation during which the cards can be redeemed (0: never expire).",
    )
    date = fields.Date(readonly=True, copy=False, help="Day the cards were generated.")
    card_ids = fields.One2many("isp.voucher.card", "batch_id", string="Cards")
    state = fields.Selection(
        [("draft", "Draft"), ("generated", "Generated"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    card_count = fields.Integer(compute="_compute_card_counts")
    available_count = fields.Integer(compute="_compute_card_counts")
    assigned_count = fields.Integer(compute="_compute_card_counts")
    used_count = fields.Integer(compute="_compute_card_counts")
    expired_count = fields.Integer(compute="_compute_card_counts")

    @api.depends("package_id")
    def _compute_from_package(self):
        for batch in self:
            template = batch.package_id.product_tmpl_id
            batch.validity_days = template.isp_validity_days or batch.validity_days
            batch.price = batch.package_id.lst_price if batch.package_id else batch.price

    @api.depends("card_ids.state")
    def _compute_card_counts(self):
        counts = {}
        for batch, state, count in self.env["isp.voucher.card"]._read_group(
            [("batch_id", "in", self.ids)], ["batch_id", "state"], ["__count"]
        ):
            counts[(batch.id, state)] = count
        for batch in self:
            per_state = {
                state: counts.get((batch.id, state), 0)
                for state in ("available", "assigned", "used", "expired")
            }
            batch.available_count = per_state["available"]
            batch.assigned_count = per_state["assigned"]
            batch.used_count = per_state["used"]
            batch.expired_count = per_state["expired"]
            batch.card_count = sum(per_state.values())

    @api.constrains("quantity")
    def _check_quantity(self):
        for batch in self:
            if not 1 <= batch.quantity <= MAX_BATCH_QUANTITY:
                raise ValidationError(
                    _("A batch holds between 1 and %s cards.", MAX_BATCH_QUANTITY)
                )

    @api.constrains("validity_days", "shelf_life_days")
    def _check_days(self):
        for batch in self:
            if batch.validity_days < 1:
                raise ValidationError(_("A voucher card must give at least one day of service."))
            if batch.shelf_life_days < 0:
                raise ValidationError(_("The shelf life cannot be negative."))

    @api.model_create_multi
    def create(self, vals_list):
        new_label = self.env._("New")
        unnamed = [vals for vals in vals_list if vals.get("name", new_label) == new_label]
        names = self.env["ir.sequence"]._isp_next_values("isp.voucher.batch", len(unnamed))
        for vals, name in zip(unnamed, names, strict=True):
            vals["name"] = name or new_label
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if any(batch.state != "draft" for batch in self):
            raise UserError(_("Only draft batches can be deleted; cancel it instead."))

    def action_generate(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("The cards of %s are already generated.", self.name))
        self.env["isp.voucher.card"]._generate_for_batch(self)
        self.write({"state": "generated", "date": fields.Date.context_today(self)})
        return True

    def action_cancel(self):
        """Cancel the batch and withdraw its cards that were not used."""
        for batch in self:
            if batch.state == "cancelled":
                continue
            batch.card_ids.filtered(lambda c: c.state in ("available", "assigned")).sudo().write(
                {"state": "expired"}
            )
        self.write({"state": "cancelled"})
        return True

    def action_print_cards(self):
        self.ensure_one()
        cards = self.card_ids.filtered(lambda c: c.state in ("available", "assigned"))
        if not cards:
            raise UserError(_("%s has no card left to print.", self.name))
        return cards.action_print_cards()

    def action_view_cards(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_billing.action_isp_voucher_card"
        )
        action["domain"] = [("batch_id", "=", self.id)]
        action["context"] = {"default_batch_id": self.id}
        return action

    def _get_serial_prefix(self):
        self.ensure_one()
        prefix = (self.serial_prefix or "").strip().upper()
        if prefix and not prefix.isalnum():
            raise UserError(_("The serial prefix may only contain letters and digits."))
        return prefix
