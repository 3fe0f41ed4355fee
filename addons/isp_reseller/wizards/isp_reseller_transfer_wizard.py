from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError


class IspResellerTransferWizard(models.TransientModel):
    """Move the selected subscribers to another reseller (or back to the ISP)."""

    _name = "isp.reseller.transfer.wizard"
    _description = "Transfer Subscribers"

    partner_ids = fields.Many2many(
        "res.partner",
        string="Subscribers",
        required=True,
        domain=[("is_isp_subscriber", "=", True)],
    )
    reseller_id = fields.Many2one(
        "isp.reseller",
        string="Target Reseller",
        domain=[("kind", "!=", "card_partner")],
        help="Empty to make them the ISP's direct subscribers (ISP staff only).",
    )
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if (
            "partner_ids" in fields_list
            and self.env.context.get("active_model") == "res.partner"
            and self.env.context.get("active_ids")
        ):
            partners = self.env["res.partner"].browse(self.env.context["active_ids"]).exists()
            res["partner_ids"] = [fields.Command.set(partners.ids)]
        return res

    def _isp_check_transfer(self):
        self.ensure_one()
        user = self.env.user
        if self.env.su or user.has_group("isp_base.group_isp_staff"):
            return
        if not user.isp_reseller_id:
            raise AccessError(_("Only ISP staff and resellers transfer subscribers."))
        if not self.reseller_id:
            raise AccessError(_("Only the ISP takes subscribers back as direct subscribers."))
        # the subscribers are checked by the record rules on write, the target here
        user._isp_check_reseller_scope(self.reseller_id.ids)

    def action_transfer(self):
        self.ensure_one()
        self._isp_check_transfer()
        partners = self.partner_ids
        if not partners:
            raise UserError(_("Select the subscribers to transfer."))
        if partners.filtered(lambda partner: not partner.is_isp_subscriber):
            raise UserError(_("Only subscribers are transferred."))
        partners.check_access("write")
        partners.with_context(isp_transfer_reason=self.reason).write(
            {"reseller_id": self.reseller_id.id}
        )
        return {"type": "ir.actions.act_window_close"}
