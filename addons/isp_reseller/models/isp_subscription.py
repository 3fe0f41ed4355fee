from odoo import _, api, fields, models
from odoo.addons.isp_billing.lib import validity


class IspSubscription(models.Model):
    _inherit = "isp.subscription"

    reseller_id = fields.Many2one(
        related="partner_id.reseller_id", store=True, index="btree_not_null", string="Reseller"
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self.env.user._isp_check_reseller_permission("add_client")
        return super().create(vals_list)

    def _isp_extend_after_reseller_recharge(self, package, units, move):
        """Extend the validity paid by a reseller's wallet ``move``; audited."""
        self.ensure_one()
        if package != self.package_id:
            self._isp_change_package_for_recharge(package)
        old_expiry = self.expiry_at
        new_expiry = validity.extend_expiry(
            old_expiry or None, fields.Datetime.now(), package.isp_validity_days * units
        )
        self.write({"expiry_at": new_expiry})
        self._isp_bring_online_after_recharge()
        self.env["isp.audit.log"]._log(
            self,
            "other",
            _(
                "Recharged %(package)s x %(units)s from the wallet of %(reseller)s (%(move)s)",
                package=package.display_name,
                units=units,
                reseller=move.isp_reseller_wallet_id.display_name,
                move=move.name,
            ),
            old_values={self.id: fields.Datetime.to_string(old_expiry) if old_expiry else ""},
            new_value=fields.Datetime.to_string(new_expiry),
        )
