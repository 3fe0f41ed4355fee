from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    isp_subscription_id = fields.Many2one(
        "isp.subscription", string="ISP Subscription", index=True, copy=False
    )
    isp_period_start = fields.Date(string="Billing Period Start", copy=False)
    isp_period_end = fields.Date(string="Billing Period End", copy=False)
    isp_billing_run_id = fields.Many2one(
        "isp.billing.run", string="Billing Run", index="btree_not_null", copy=False
    )

    def init(self):
        result = super().init()
        # Invariant 1: one invoice per subscription per period, whatever runs twice.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS account_move_isp_subscription_period_uniq
               ON account_move (isp_subscription_id, isp_period_start)
               WHERE isp_subscription_id IS NOT NULL
                 AND move_type = 'out_invoice'
                 AND state != 'cancel'"""
        )
        return result
