import logging

from odoo import Command, _, api, fields, models
from odoo.tools import SQL, float_is_zero

from ..lib import referral

_logger = logging.getLogger(__name__)


class IspReferralReward(models.Model):
    """The credit a subscriber earned for one referred subscriber: exactly once.

    Earned when the referred subscriber's first invoice is paid; posted as a credit
    note of the referrer, which the referrer's next invoices use (the billing run
    applies outstanding credits). One row per referred subscriber, claimed with
    ``INSERT ... ON CONFLICT DO NOTHING`` on a unique key, so concurrent payments or
    a second paid invoice never pay twice.
    """

    _name = "isp.referral.reward"
    _description = "ISP Referral Reward"
    _order = "id desc"
    _rec_name = "referred_id"

    referrer_id = fields.Many2one("res.partner", required=True, readonly=True, index=True)
    referred_id = fields.Many2one("res.partner", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(readonly=True)
    invoice_id = fields.Many2one(
        "account.move", string="Paid Invoice", readonly=True, ondelete="set null"
    )
    credit_note_id = fields.Many2one("account.move", readonly=True, ondelete="set null")

    _sql_constraints = [
        ("referred_uniq", "unique(referred_id)", "A referred subscriber earns one reward."),
    ]

    @api.model
    def _isp_get_rewardable_invoices(self, invoices):
        return invoices.filtered(
            lambda move: (
                move.move_type == "out_invoice"
                and move.state == "posted"
                and move.payment_state in ("paid", "in_payment")
                and move.commercial_partner_id.isp_referred_by_id
                and move.company_id.isp_portal_referral
                and not float_is_zero(
                    move.company_id.isp_portal_referral_reward,
                    precision_rounding=move.company_id.currency_id.rounding,
                )
            )
        )

    @api.model
    def _isp_grant_for_invoices(self, invoices):
        """Grant the rewards ``invoices`` (just paid) earn; the rewards created."""
        rewards = self.browse()
        for invoice in self._isp_get_rewardable_invoices(invoices.sudo()):
            referred = invoice.commercial_partner_id
            referrer = referred.isp_referred_by_id.commercial_partner_id
            if referrer == referred:
                continue
            try:
                with self.env.cr.savepoint():
                    rewards |= self._isp_grant(referrer, referred, invoice)
            except Exception:  # a reward never blocks the payment that earned it
                _logger.exception("Referral reward for %s not granted", referred.id)
        return rewards

    @api.model
    def _isp_grant(self, referrer, referred, invoice):
        company = invoice.company_id
        amount = company.isp_portal_referral_reward
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """INSERT INTO isp_referral_reward
                          (referrer_id, referred_id, company_id, amount, invoice_id,
                           create_uid, create_date, write_uid, write_date)
                   VALUES (%s, %s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC',
                           %s, now() AT TIME ZONE 'UTC')
              ON CONFLICT (referred_id) DO NOTHING
                RETURNING id""",
                referrer.id,
                referred.id,
                company.id,
                amount,
                invoice.id,
                self.env.uid,
                self.env.uid,
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return self.browse()
        reward = self.browse(row[0])
        # Paid hooks run inside account's reconciliation, which turns the invoice line
        # sync off for the whole cursor (a recursion stack): a new move would keep
        # empty amounts. The credit note is a move of its own; sync it normally.
        stack = self.env.cr.cache.get("account_disable_recursion_stack")
        if stack is not None:
            stack.pushmap({"skip_invoice_sync": False, "check_move_validity": True})
        try:
            credit_note = (
                self.env["account.move"]
                .sudo()
                .with_company(company)
                .create(self._prepare_isp_credit_note_vals(reward, referred, company, amount))
            )
            credit_note.action_post()
        finally:
            if stack is not None:
                stack.popmap()
        reward.credit_note_id = credit_note
        referrer.message_post(
            body=_(
                "Referral reward of %(amount)s earned for %(referred)s (%(invoice)s).",
                amount=company.currency_id.format(amount),
                referred=referred.display_name,
                invoice=invoice.name,
            )
        )
        return reward

    @api.model
    def _prepare_isp_credit_note_vals(self, reward, referred, company, amount):
        return {
            "move_type": "out_refund",
            "company_id": company.id,
            "partner_id": reward.referrer_id.id,
            "invoice_date": fields.Date.context_today(self),
            "invoice_origin": _("Referral"),
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": _(
                            "Referral reward: %(name)s joined",
                            name=referral.first_name(referred.name),
                        ),
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }
