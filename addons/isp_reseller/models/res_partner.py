from odoo import api, fields, models

from .isp_reseller import RESELLER_KIND_SELECTION


class ResPartner(models.Model):
    _inherit = "res.partner"

    reseller_id = fields.Many2one(
        "isp.reseller",
        index="btree_not_null",
        tracking=True,
        ondelete="restrict",
        help="The reseller this subscriber belongs to; empty for the ISP's direct subscribers.",
    )
    isp_reseller_ids = fields.One2many("isp.reseller", "partner_id", string="Reseller Record")
    isp_reseller_kind = fields.Selection(
        RESELLER_KIND_SELECTION,
        string="Reseller Kind",
        compute="_compute_isp_reseller_kind",
        store=True,
        help="Set when this partner is itself a reseller, sub-reseller or card partner.",
    )

    @api.depends("isp_reseller_ids.kind")
    def _compute_isp_reseller_kind(self):
        for partner in self:
            partner.isp_reseller_kind = partner.isp_reseller_ids[:1].kind

    @api.model_create_multi
    def create(self, vals_list):
        user = self.env.user
        if not self.env.su and user.isp_reseller_id:
            if any(vals.get("is_isp_subscriber") for vals in vals_list):
                user._isp_check_reseller_permission("add_client")
            for vals in vals_list:
                if vals.get("is_isp_subscriber"):
                    vals.setdefault("reseller_id", user.isp_reseller_id.id)
            user._isp_check_reseller_scope([vals.get("reseller_id") for vals in vals_list])
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("reseller_id") and not self.env.su:
            self.env.user._isp_check_reseller_scope([vals["reseller_id"]])
        if "reseller_id" not in vals:
            return super().write(vals)
        old_resellers = {partner.id: partner.sudo().reseller_id for partner in self}
        res = super().write(vals)
        self.env["isp.reseller.transfer"]._isp_record(
            self, old_resellers, reason=self.env.context.get("isp_transfer_reason")
        )
        return res

    isp_transfer_count = fields.Integer(
        string="Transfers", compute="_compute_isp_transfer_count", compute_sudo=False
    )

    @api.depends_context("uid")
    def _compute_isp_transfer_count(self):
        Transfer = self.env["isp.reseller.transfer"]
        counts = {}
        if Transfer.has_access("read"):
            counts = dict(
                Transfer._read_group([("partner_id", "in", self.ids)], ["partner_id"], ["__count"])
            )
        for partner in self:
            partner.isp_transfer_count = counts.get(partner._origin, 0)

    def action_isp_open_transfers(self):
        self.ensure_one()
        return self.env["isp.reseller.transfer"]._isp_get_transfers_action(
            [("partner_id", "=", self.id)],
            self.env._("Transfers of %(subscriber)s", subscriber=self.display_name),
        )

    @api.model
    def get_view(self, view_id=None, view_type="form", **options):
        res = super().get_view(view_id, view_type, **options)
        return self.env.user._isp_panel_restrict_view(res, view_type, "add_client")
