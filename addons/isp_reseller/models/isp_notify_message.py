from odoo import api, fields, models
from odoo.exceptions import UserError

SMS_BILLED_STATES = ("queued", "sending", "sent", "delivered")


class IspNotifyMessage(models.Model):
    _inherit = "isp.notify.message"

    isp_reseller_id = fields.Many2one(
        "isp.reseller",
        string="Paid by Reseller",
        index="btree_not_null",
        readonly=True,
        help="The reseller whose SMS balance pays this message.",
    )

    @api.model
    def _isp_get_paying_resellers(self, vals_list):
        """[reseller or empty] per SMS message: the one the sender named (a reseller user's
        "Send SMS"), else the subscriber's reseller when its company makes resellers pay
        their subscribers' SMS."""
        partner_ids = {v["partner_id"] for v in vals_list if v.get("partner_id")}
        partners = self.env["res.partner"].sudo().browse(partner_ids)
        result = []
        for vals in vals_list:
            reseller = self.env["isp.reseller"]
            if vals.get("channel") == "sms":
                if vals.get("isp_reseller_id"):
                    reseller = reseller.browse(vals["isp_reseller_id"])
                elif vals.get("partner_id"):
                    partner = partners.browse(vals["partner_id"])
                    candidate = partner.reseller_id or partner.commercial_partner_id.reseller_id
                    if candidate.company_id.isp_reseller_pays_sms:
                        reseller = candidate
            result.append(reseller.sudo())
        return result

    @api.model
    def _isp_create_deduplicated(self, vals_list):
        """Debit the paying reseller's SMS balance of each new queued SMS, once.

        Under the resellers' row lock: a message the balance cannot pay is created
        ``cancelled`` with the reason (never sent, visible in the log).
        """
        resellers = self._isp_get_paying_resellers(vals_list)
        paying = self.env["isp.reseller"].sudo().union(*resellers)
        if paying:
            vals_list = [dict(v) for v in vals_list]
            paying._isp_lock_sms()
            balances = paying._isp_get_sms_balances()
            for vals, reseller in zip(vals_list, resellers, strict=True):
                if not reseller:
                    continue
                vals["isp_reseller_id"] = reseller.id
                if vals.get("state", "queued") != "queued":
                    continue
                segments = vals.get("segments") or 1
                if balances.get(reseller.id, 0) >= segments:
                    balances[reseller.id] = balances.get(reseller.id, 0) - segments
                else:
                    vals.update(state="cancelled", error=reseller._isp_sms_exhausted_reason())
        messages = super()._isp_create_deduplicated(vals_list)
        messages._isp_debit_reseller_sms()
        return messages

    def _isp_prepare_reseller_sms_move_vals(self):
        self.ensure_one()
        return {
            "reseller_id": self.isp_reseller_id.id,
            "kind": "usage",
            "qty": -(self.segments or 1),
            "message_id": self.id,
            "date": self.create_date or fields.Datetime.now(),
        }

    def _isp_debit_reseller_sms(self):
        """Post the usage movement of each billed reseller SMS not debited yet."""
        messages = self.sudo().filtered(
            lambda m: m.isp_reseller_id and m.channel == "sms" and m.state in SMS_BILLED_STATES
        )
        if not messages:
            return
        Move = self.env["isp.reseller.sms.move"].sudo()
        done = set(Move.search([("message_id", "in", messages.ids)]).message_id.ids)
        to_debit = messages.filtered(lambda m: m.id not in done)
        Move.create([m._isp_prepare_reseller_sms_move_vals() for m in to_debit])

    def action_retry(self):
        """A retried reseller SMS not debited yet (cancelled for balance) is paid now."""
        unpaid = self.sudo().filtered(
            lambda m: (
                m.isp_reseller_id
                and m.channel == "sms"
                and m.state in ("failed", "queued", "cancelled")
            )
        )
        if unpaid:
            moves = (
                self.env["isp.reseller.sms.move"].sudo().search([("message_id", "in", unpaid.ids)])
            )
            unpaid -= moves.message_id
        if unpaid:
            unpaid.isp_reseller_id._isp_lock_sms()
            balances = unpaid.isp_reseller_id._isp_get_sms_balances()
            for message in unpaid:
                reseller = message.isp_reseller_id
                balances[reseller.id] = balances.get(reseller.id, 0) - (message.segments or 1)
                if balances[reseller.id] < 0:
                    raise UserError(reseller._isp_sms_exhausted_reason())
        res = super().action_retry()
        if unpaid:
            unpaid.invalidate_recordset(["state"])
            unpaid._isp_debit_reseller_sms()
        return res
