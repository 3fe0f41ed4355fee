from odoo import api, models


class AccountPartialReconcile(models.Model):
    """Re-evaluate suspension the moment an ISP invoice is (un)reconciled.

    Every payment, credit note, reversal or cancellation that changes what is left to
    pay on a customer invoice creates or deletes partial reconciliations; hooking them
    applies the payment status of the invoice's subscription in the same transaction.
    """

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._isp_get_subscriptions()._isp_apply_payment_status()
        return partials

    def unlink(self):
        subscriptions = self._isp_get_subscriptions()
        result = super().unlink()
        subscriptions._isp_apply_payment_status()
        return result

    def _isp_get_subscriptions(self):
        """The subscriptions of the customer invoices on either side of ``self``."""
        moves = (self.debit_move_id | self.credit_move_id).move_id
        return (
            moves.sudo()
            .filtered(lambda move: move.move_type == "out_invoice" and move.isp_subscription_id)
            .isp_subscription_id
        )
