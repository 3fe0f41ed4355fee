from odoo import fields, models

BILLING_GROUPS = "isp_billing.group_isp_billing"


class ResPartner(models.Model):
    _inherit = "res.partner"

    isp_pending_invoice_count = fields.Integer(
        string="Unpaid Invoices",
        compute="_compute_isp_pending_invoices",
        groups=BILLING_GROUPS,
    )
    isp_amount_due = fields.Monetary(
        string="Amount Due",
        compute="_compute_isp_pending_invoices",
        currency_field="isp_company_currency_id",
        groups=BILLING_GROUPS,
    )
    isp_company_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_isp_company_currency_id",
        groups=BILLING_GROUPS,
    )

    def _compute_isp_company_currency_id(self):
        for partner in self:
            partner.isp_company_currency_id = (
                partner.company_id.currency_id or self.env.company.currency_id
            )

    def _get_isp_pending_invoice_domain(self):
        """Posted customer invoices (late fees included) of these subscribers still to pay."""
        return [
            ("commercial_partner_id", "in", self.commercial_partner_id.ids),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("company_id", "in", self.env.companies.ids),
        ]

    def _compute_isp_pending_invoices(self):
        partners = self.filtered("id")
        counts, dues = {}, {}
        if partners:
            groups = self.env["account.move"]._read_group(
                partners._get_isp_pending_invoice_domain(),
                ["commercial_partner_id"],
                ["__count", "amount_residual_signed:sum"],
            )
            for partner, count, due in groups:
                counts[partner.id] = count
                dues[partner.id] = due
        for partner in self:
            commercial_id = partner.commercial_partner_id.id
            partner.isp_pending_invoice_count = counts.get(commercial_id, 0)
            partner.isp_amount_due = dues.get(commercial_id, 0.0)

    def action_view_isp_pending_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_billing.action_isp_billing_invoices"
        )
        action["domain"] = [
            ("move_type", "=", "out_invoice"),
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
        ]
        action["context"] = {
            "default_move_type": "out_invoice",
            "default_partner_id": self.id,
            "search_default_open": 1,
        }
        return action

    def action_view_isp_ledger(self):
        self.ensure_one()
        return self.env["isp.subscriber.ledger"]._get_ledger_action(self.commercial_partner_id)
