from odoo import fields, models


class IspSubscription(models.Model):
    _inherit = "isp.subscription"

    # ---- subscriber home
    def _isp_portal_overdue_ids(self, today=None):
        """Ids of these subscriptions with an unpaid invoice past its due date."""
        if not self:
            return []
        today = today or fields.Date.context_today(self)
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(self._get_overdue_invoice_domain(today), ["isp_subscription_id"])
        )
        overdue = {subscription.id for (subscription,) in groups}
        overdue.update(self.filtered("billing_suspended").ids)
        return list(overdue)
