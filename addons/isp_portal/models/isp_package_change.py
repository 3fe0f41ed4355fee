from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


class IspPackageChange(models.Model):
    """Package changes requested by subscribers in the portal, approved by staff."""

    _inherit = "isp.package.change"

    state = fields.Selection(
        selection_add=[
            ("requested", "Requested"),
            ("scheduled",),
            ("rejected", "Rejected"),
        ],
        ondelete={"requested": "set default", "rejected": "set default"},
    )
    portal_requested = fields.Boolean(
        string="Requested in the Portal", readonly=True, copy=False, index=True
    )
    reject_reason = fields.Char(
        string="Rejection Reason", tracking=True, help="Shown to the subscriber in the portal."
    )
    proration_amount = fields.Monetary(
        string="Pro-rated Difference",
        currency_field="currency_id",
        readonly=True,
        help="Charge (or credit, when negative) of the rest of the period, without VAT, "
        "added to the next bill when the change is applied.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")

    @api.constrains("subscription_id", "state")
    def _check_one_requested(self):
        for change in self.filtered(lambda c: c.state == "requested"):
            others = change.subscription_id.package_change_ids.filtered(
                lambda c, change=change: c.state in ("requested", "scheduled") and c != change
            )
            if others:
                raise ValidationError(
                    _(
                        "%(subscription)s already has a package change waiting.",
                        subscription=change.subscription_id.display_name,
                    )
                )

    def action_approve(self):
        """Staff approve requests: they are applied now."""
        if any(change.state != "requested" for change in self):
            raise UserError(_("Only requested package changes can be approved."))
        self.write({"state": "scheduled", "reject_reason": False})
        return self.action_apply_now()

    def action_reject(self):
        if any(change.state != "requested" for change in self):
            raise UserError(_("Only requested package changes can be rejected."))
        if any(not change.reject_reason for change in self):
            raise UserError(_("Write the reason of the rejection first; the subscriber sees it."))
        self.write({"state": "rejected"})
        return True

    def _apply(self):
        applied = super()._apply()
        applied._isp_create_proration_charges()
        return applied

    def _prepare_proration_charge_vals(self):
        self.ensure_one()
        return {
            "subscription_id": self.subscription_id.id,
            "name": _(
                "Package change %(old)s to %(new)s: rest of the period",
                old=self.old_package_id.display_name,
                new=self.new_package_id.display_name,
            ),
            "amount": self.proration_amount,
            "recurring": False,
        }

    def _isp_create_proration_charges(self):
        changes = self.filtered(lambda c: c.portal_requested and c.proration_amount)
        if changes:
            self.env["isp.subscription.charge"].sudo().create(
                [change._prepare_proration_charge_vals() for change in changes]
            )
