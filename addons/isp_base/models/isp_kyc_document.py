from odoo import _, api, fields, models
from odoo.exceptions import UserError


class IspKycDocument(models.Model):
    _name = "isp.kyc.document"
    _description = "KYC Document"
    _inherit = ["mail.thread"]
    _order = "id desc"

    partner_id = fields.Many2one(
        "res.partner", string="Subscriber", required=True, ondelete="cascade", index=True
    )
    document_type = fields.Selection(
        [
            ("nid_front", "NID (front)"),
            ("nid_back", "NID (back)"),
            ("birth_registration", "Birth Registration"),
            ("passport", "Passport"),
            ("photo", "Photograph"),
            ("signature", "Signature"),
            ("agreement", "Signed Agreement"),
            ("other", "Other"),
        ],
        required=True,
        default="nid_front",
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "isp_kyc_document_attachment_rel",
        "document_id",
        "attachment_id",
        string="Files",
        required=True,
    )
    state = fields.Selection(
        [("pending", "Pending"), ("verified", "Verified"), ("rejected", "Rejected")],
        default="pending",
        required=True,
        tracking=True,
    )
    rejection_reason = fields.Char(tracking=True)
    verified_by_id = fields.Many2one("res.users", readonly=True)
    verified_on = fields.Datetime(readonly=True)
    company_id = fields.Many2one(related="partner_id.company_id", store=True)

    @api.depends("document_type", "partner_id")
    def _compute_display_name(self):
        labels = dict(self._fields["document_type"]._description_selection(self.env))
        for doc in self:
            doc.display_name = f"{doc.partner_id.name or ''} - {labels.get(doc.document_type)}"

    def action_verify(self):
        self._set_verification("verified")

    def action_reject(self):
        missing = self.filtered(lambda d: not d.rejection_reason)
        if missing:
            raise UserError(_("Write the reason for rejecting %s first.", missing[0].display_name))
        self._set_verification("rejected")

    def action_reset(self):
        self._set_verification("pending")

    def _set_verification(self, state):
        self.write(
            {
                "state": state,
                "verified_by_id": self.env.user.id if state != "pending" else False,
                "verified_on": fields.Datetime.now() if state != "pending" else False,
            }
        )
        self.env["isp.audit.log"]._log(self, "kyc", _("KYC document %s", state), new_value=state)
