from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError


class IspResellerPrice(models.Model):
    """What one reseller pays the ISP (or its parent) for one package.

    Without a row the reseller's ``share_percent`` applies: see
    ``isp.reseller._isp_get_buying_price``.
    """

    _name = "isp.reseller.price"
    _description = "ISP Reseller Package Price"
    _order = "reseller_id, package_id"
    _check_company_auto = True

    reseller_id = fields.Many2one(
        "isp.reseller", required=True, ondelete="cascade", index=True, check_company=True
    )
    package_id = fields.Many2one(
        "product.product",
        required=True,
        ondelete="cascade",
        domain=[("is_isp_package", "=", True)],
    )
    company_id = fields.Many2one(
        related="reseller_id.company_id", store=True, index=True, precompute=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    price_mode = fields.Selection(
        [("fixed", "Fixed Buying Price"), ("share", "Share (%)")],
        required=True,
        default="fixed",
    )
    buying_price = fields.Monetary(help="Per unit (one validity period) of the package.")
    share_percent = fields.Float(
        string="Share (%)",
        help="Kept of the margin above the parent's buying price (of the list price for a "
        "reseller directly under the ISP).",
    )
    list_price = fields.Float(related="package_id.lst_price", string="Package Price")
    subscriber_price = fields.Monetary(
        help="What this reseller's subscribers pay per unit; the package price when empty."
    )
    effective_buying_price = fields.Monetary(
        compute="_compute_effective_buying_price", string="Buying Price (computed)"
    )

    _sql_constraints = [
        ("reseller_package_uniq", "unique(reseller_id, package_id)", "One price per package."),
        ("buying_price_positive", "CHECK(buying_price >= 0)", "A price is >= 0."),
        (
            "share_percent_range",
            "CHECK(share_percent >= 0 AND share_percent <= 100)",
            "The share is between 0 and 100%.",
        ),
    ]

    @api.depends("reseller_id", "package_id", "price_mode", "buying_price", "share_percent")
    def _compute_effective_buying_price(self):
        for price in self:
            if price.reseller_id and price.package_id and price.id:
                price.effective_buying_price = price.reseller_id.sudo()._isp_get_buying_price(
                    price.package_id, 1
                )
            else:
                price.effective_buying_price = 0.0

    @api.constrains("price_mode", "buying_price", "share_percent", "reseller_id", "package_id")
    def _check_not_below_parent(self):
        for price in self.sudo():
            parent = price.reseller_id.parent_id
            if price.price_mode != "fixed" or not parent:
                price._isp_check_children_not_below()
                continue
            parent_price = parent._isp_get_buying_price(price.package_id, 1)
            if price.currency_id.compare_amounts(price.buying_price, parent_price) < 0:
                raise ValidationError(
                    _(
                        "%(reseller)s cannot buy %(package)s at %(price)s: its parent "
                        "%(parent)s buys it at %(parent_price)s and would lose.",
                        reseller=price.reseller_id.display_name,
                        package=price.package_id.display_name,
                        price=price.currency_id.format(price.buying_price),
                        parent=parent.display_name,
                        parent_price=price.currency_id.format(parent_price),
                    )
                )
            price._isp_check_children_not_below()

    def _isp_check_children_not_below(self):
        """Refuse a price that puts a sub-reseller's fixed price below this one."""
        self.ensure_one()
        own_price = self.reseller_id._isp_get_buying_price(self.package_id, 1)
        children = self.search(
            [
                ("reseller_id", "in", self.reseller_id.child_ids.ids),
                ("package_id", "=", self.package_id.id),
                ("price_mode", "=", "fixed"),
            ]
        )
        for child in children:
            if self.currency_id.compare_amounts(child.buying_price, own_price) < 0:
                raise ValidationError(
                    _(
                        "%(reseller)s would buy %(package)s at %(price)s, above its "
                        "sub-reseller %(child)s (%(child_price)s), who would then buy below "
                        "it: change that price first.",
                        reseller=self.reseller_id.display_name,
                        package=self.package_id.display_name,
                        price=self.currency_id.format(own_price),
                        child=child.reseller_id.display_name,
                        child_price=self.currency_id.format(child.buying_price),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        self._isp_check_price_scope(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._isp_check_price_scope([vals])
        return super().write(vals)

    def _isp_check_price_scope(self, vals_list):
        """A reseller user sets prices of its strict descendants only, never its own."""
        user = self.env.user
        if self.env.su or not user.isp_reseller_id:
            return
        user._isp_check_reseller_permission("reseller_module")
        targets = {vals["reseller_id"] for vals in vals_list if vals.get("reseller_id")}
        targets |= set(self.reseller_id.ids)
        if user.isp_reseller_id.id in targets:
            raise AccessError(_("Your own prices are set by your parent."))
        user._isp_check_reseller_scope(targets)
