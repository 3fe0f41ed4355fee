from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

REVERSAL_GROUP = "isp_billing.group_isp_payment_reversal"


class IspPaymentReversal(models.TransientModel):
    """Reverse a wrong counter payment: cancel it, with a reason, and re-check suspension."""

    _name = "isp.payment.reversal"
    _description = "Reverse ISP Payment"

    payment_id = fields.Many2one("account.payment", required=True)
    partner_id = fields.Many2one(related="payment_id.partner_id", string="Subscriber")
    amount = fields.Monetary(related="payment_id.amount")
    currency_id = fields.Many2one(related="payment_id.currency_id")
    invoice_ids = fields.Many2many(related="payment_id.reconciled_invoice_ids", string="Invoices")
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if (
            self.env.context.get("active_model") == "account.payment"
            and "payment_id" in fields_list
        ):
            values.setdefault("payment_id", self.env.context.get("active_id"))
        return values

    @api.model
    def _check_reversal_rights(self):
        if not self.env.su and not self.env.user.has_group(REVERSAL_GROUP):
            raise AccessError(_("Only users of the Payment Reversal group may reverse payments."))

    @api.model_create_multi
    def create(self, vals_list):
        self._check_reversal_rights()
        return super().create(vals_list)

    def _check_reversible(self):
        self.ensure_one()
        payment = self.payment_id
        if payment.payment_type != "inbound" or payment.partner_type != "customer":
            raise UserError(_("Only payments received from subscribers can be reversed here."))
        if payment.state not in ("in_process", "paid"):
            raise UserError(
                _(
                    "Payment %(payment)s is not confirmed; only confirmed payments are reversed.",
                    payment=payment.display_name,
                )
            )
        if not (self.reason or "").strip():
            raise UserError(_("Give the reason of the reversal."))

    def action_confirm(self):
        self.ensure_one()
        self._check_reversal_rights()
        self._check_reversible()
        payment = self.payment_id
        invoices = payment.reconciled_invoice_ids
        subscriptions = invoices.isp_subscription_id | payment.isp_subscription_id
        reason = self.reason.strip()
        # Cancelling unreconciles the payment and keeps its cancelled entry on the ledger.
        payment.action_cancel()
        description = _(
            "Payment %(payment)s of %(amount)s reversed: %(reason)s",
            payment=payment.name,
            amount=payment.currency_id.format(payment.amount),
            reason=reason,
        )
        self.env["isp.audit.log"]._log(
            payment,
            "other",
            description,
            old_values={payment.id: ", ".join(invoices.mapped("name"))},
            new_value="canceled",
        )
        payment.message_post(body=description)
        for subscription in subscriptions:
            subscription.message_post(body=description)
        subscriptions._isp_withdraw_recharges(invoices)
        subscriptions._isp_apply_payment_status()
        return {"type": "ir.actions.act_window_close"}
