from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    # ---- referral
    def _invoice_paid_hook(self):
        result = super()._invoice_paid_hook()
        self.env["isp.referral.reward"].sudo()._isp_grant_for_invoices(self)
        return result
