from odoo import _, api, fields, models

from ..lib import validity
from ..models.account_payment import ISP_PAYMENT_METHODS


class IspRecharge(models.TransientModel):
    """Recharge a daily (prepaid) subscription: invoice, payment and validity in one step."""

    _name = "isp.recharge"
    _description = "Recharge ISP Subscription"

    subscription_id = fields.Many2one("isp.subscription", required=True)
    partner_id = fields.Many2one(related="subscription_id.partner_id", string="Subscriber")
    state = fields.Selection(related="subscription_id.state", string="Status")
    current_expiry_at = fields.Datetime(related="subscription_id.expiry_at", string="Expires On")
    package_id = fields.Many2one(
        "product.product",
        compute="_compute_package_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        domain=[("is_isp_package", "=", True)],
    )
    validity_days = fields.Integer(related="package_id.isp_validity_days")
    units = fields.Integer(string="Validity Units", default=1, required=True)
    currency_id = fields.Many2one(related="subscription_id.company_id.currency_id")
    amount_total = fields.Monetary(
        string="Total", compute="_compute_amount_total", currency_field="currency_id"
    )
    new_expiry_at = fields.Datetime(string="New Expiry", compute="_compute_new_expiry_at")
    payment_method = fields.Selection(
        ISP_PAYMENT_METHODS, string="Method", required=True, default="cash"
    )
    transaction_ref = fields.Char(string="Transaction ID")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if (
            self.env.context.get("active_model") == "isp.subscription"
            and "subscription_id" in fields_list
        ):
            values.setdefault("subscription_id", self.env.context.get("active_id"))
        return values

    @api.depends("subscription_id")
    def _compute_package_id(self):
        for wizard in self:
            wizard.package_id = wizard.package_id or wizard.subscription_id.package_id

    @api.depends("package_id", "units", "subscription_id")
    def _compute_amount_total(self):
        for wizard in self:
            subscription = wizard.subscription_id._origin
            wizard.amount_total = (
                subscription._isp_get_recharge_total(wizard.package_id._origin, wizard.units)
                if wizard.package_id and subscription and wizard.units >= 1
                else 0.0
            )

    @api.depends("package_id", "units", "subscription_id.expiry_at")
    def _compute_new_expiry_at(self):
        now = fields.Datetime.now()
        for wizard in self:
            days = wizard.package_id.isp_validity_days * wizard.units
            wizard.new_expiry_at = (
                validity.extend_expiry(wizard.subscription_id.expiry_at or None, now, days)
                if days >= 1
                else False
            )

    def action_confirm(self):
        self.ensure_one()
        invoice = self.subscription_id._isp_recharge(
            self.package_id, self.units, self.payment_method, self.transaction_ref
        )
        subscription = self.subscription_id
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Recharged"),
                "message": _(
                    "%(subscription)s is recharged until %(expiry)s (invoice %(invoice)s).",
                    subscription=subscription.display_name,
                    expiry=fields.Datetime.to_string(
                        fields.Datetime.context_timestamp(self, subscription.expiry_at)
                    )[:16],
                    invoice=invoice.sudo().name,
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
