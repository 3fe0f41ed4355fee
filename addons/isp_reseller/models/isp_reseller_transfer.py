from odoo import _, api, fields, models


class IspResellerTransfer(models.Model):
    """One subscriber moved from a reseller (or the ISP) to another: its history.

    Written by the system only, from ``res.partner.write`` when ``reseller_id``
    changes (the "Transfer Subscribers" wizard writes it too); nobody edits it.
    """

    _name = "isp.reseller.transfer"
    _description = "ISP Subscriber Transfer"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Subscriber",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    from_reseller_id = fields.Many2one(
        "isp.reseller",
        string="From",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="Empty when the subscriber was the ISP's direct subscriber.",
    )
    to_reseller_id = fields.Many2one(
        "isp.reseller",
        string="To",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="Empty when the subscriber became the ISP's direct subscriber.",
    )
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    user_id = fields.Many2one(
        "res.users", string="By", readonly=True, default=lambda self: self.env.user
    )
    reason = fields.Text(readonly=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )

    @api.model
    def _isp_prepare_transfer_vals(self, partner, old_reseller, new_reseller, reason):
        return {
            "partner_id": partner.id,
            "from_reseller_id": old_reseller.id,
            "to_reseller_id": new_reseller.id,
            "user_id": self.env.user.id,
            "reason": reason,
            "company_id": (
                new_reseller.company_id or old_reseller.company_id or partner.company_id
            ).id
            or self.env.company.id,
        }

    @api.model
    def _isp_record(self, partners, old_resellers, reason=None):
        """Record the moves of ``partners`` from ``old_resellers`` ({partner id: reseller}).

        Called after the write; partners whose reseller did not change are skipped.
        Writes one transfer and one audit row per moved partner.
        """
        vals_list = []
        moved = self.env["res.partner"]
        olds = {}
        for partner in partners:
            old = old_resellers.get(partner.id) or self.env["isp.reseller"]
            new = partner.sudo().reseller_id
            if old == new:
                continue
            moved |= partner
            olds[partner.id] = old.display_name or _("ISP")
            vals_list.append(self._isp_prepare_transfer_vals(partner, old, new, reason))
        if not vals_list:
            return self
        transfers = self.sudo().create(vals_list)
        for transfer in transfers:
            self.env["isp.audit.log"]._log(
                transfer.partner_id,
                "other",
                description=_(
                    "Subscriber transferred to %(reseller)s. %(reason)s",
                    reseller=transfer.to_reseller_id.display_name or _("ISP"),
                    reason=transfer.reason or "",
                ).strip(),
                old_values=olds,
                new_value=transfer.to_reseller_id.display_name or _("ISP"),
            )
        return transfers

    @api.model
    def _isp_get_transfers_action(self, domain, name):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": self._name,
            "view_mode": "list,form",
            "domain": domain,
            "context": {"create": False},
        }
