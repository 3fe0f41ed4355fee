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
        self._isp_set_reseller_billing_profiles(vals_list)
        return super().create(vals_list)

    @api.model
    def _default_billing_profile_id(self):
        reseller = self.env.user.sudo().isp_reseller_id
        if reseller:
            return reseller._isp_find_billing_profile() or super()._default_billing_profile_id()
        return super()._default_billing_profile_id()

    @api.model
    def _isp_set_reseller_billing_profiles(self, vals_list):
        """Subscriptions of a reseller's subscriber without an explicit profile get the
        reseller's (its billing cycle and proration): see isp.reseller._isp_get_billing_profile."""
        if "default_billing_profile_id" in self.env.context:
            return
        default_partner = self.env.context.get("default_partner_id")
        todo = [
            (vals, vals.get("partner_id", default_partner))
            for vals in vals_list
            if not vals.get("billing_profile_id")
        ]
        todo = [(vals, partner_id) for vals, partner_id in todo if partner_id]
        if not todo:
            return
        partners = self.env["res.partner"].sudo().browse({partner_id for _vals, partner_id in todo})
        profiles = {}
        for vals, partner_id in todo:
            reseller = partners.browse(partner_id).reseller_id
            if not reseller:
                continue
            if reseller not in profiles:
                profiles[reseller] = reseller._isp_get_billing_profile()
            vals["billing_profile_id"] = profiles[reseller].id

    @api.onchange("partner_id")
    def _onchange_partner_id_isp_reseller_billing_profile(self):
        reseller = self.partner_id.sudo().reseller_id
        profile = reseller._isp_find_billing_profile() if reseller else False
        if profile:
            self.billing_profile_id = profile

    def _isp_get_package_unit_price(self, package):
        """A subscriber of a reseller pays the reseller's subscriber price when it is set."""
        price = super()._isp_get_package_unit_price(package)
        reseller = self.sudo().reseller_id
        if not reseller:
            return price
        row = reseller._isp_get_price_rows(package).get(reseller.id)
        if row and row.subscriber_price:
            return reseller._isp_get_subscriber_price(package, 1)
        return price

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
