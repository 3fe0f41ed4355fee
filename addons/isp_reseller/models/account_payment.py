from odoo import api, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    @api.model_create_multi
    def create(self, vals_list):
        self._isp_check_reseller_edit_payment()
        return super().create(vals_list)

    def write(self, vals):
        self._isp_check_reseller_edit_payment()
        return super().write(vals)

    @api.model
    def _isp_check_reseller_edit_payment(self):
        """A reseller user records or edits payments only with the Edit Payments
        permission (record rules keep it within its network)."""
        if not self.env.su:
            self.env.user._isp_check_reseller_permission("edit_payment")

    @api.model
    def get_view(self, view_id=None, view_type="form", **options):
        res = super().get_view(view_id, view_type, **options)
        return self.env.user._isp_panel_restrict_view(
            res, view_type, "edit_payment", ("create", "edit")
        )
