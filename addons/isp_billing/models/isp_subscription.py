from collections import Counter

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class IspSubscription(models.Model):
    _inherit = "isp.subscription"

    billing_profile_id = fields.Many2one(
        "isp.billing.profile",
        default=lambda self: self._default_billing_profile_id(),
        tracking=True,
        domain="[('company_id', '=', company_id)]",
    )
    vat_tax_ids = fields.Many2many(
        "account.tax",
        "isp_subscription_account_tax_rel",
        "subscription_id",
        "tax_id",
        string="VAT",
        default=lambda self: self.env.company.isp_default_vat_tax_id,
        domain="[('type_tax_use', '=', 'sale'), ('company_id', 'parent_of', company_id)]",
    )
    discount_percent = fields.Float(string="Discount (%)", digits="Discount", tracking=True)
    # Staff without billing rights read subscriptions (all fields) too.
    charge_ids = fields.One2many(
        "isp.subscription.charge",
        "subscription_id",
        string="Charges",
        groups="isp_billing.group_isp_billing,isp_base.group_isp_manager",
    )
    invoice_ids = fields.One2many(
        "account.move",
        "isp_subscription_id",
        string="Invoices",
        groups="isp_billing.group_isp_billing",
    )
    pending_invoice_count = fields.Integer(
        compute="_compute_pending_invoice_count", groups="isp_billing.group_isp_billing"
    )

    _sql_constraints = [
        (
            "discount_percent_range",
            "CHECK(discount_percent >= 0 AND discount_percent <= 100)",
            "The discount must be between 0 and 100%.",
        ),
    ]

    @api.model
    def _default_billing_profile_id(self):
        return self.env.company.isp_billing_default_profile_id

    def _compute_pending_invoice_count(self):
        groups = self.env["account.move"]._read_group(
            [
                ("isp_subscription_id", "in", self.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            ["isp_subscription_id"],
            ["__count"],
        )
        counts = {subscription.id: count for subscription, count in groups}
        for subscription in self:
            subscription.pending_invoice_count = counts.get(subscription.id, 0)

    def _check_state_change(self, action):
        result = super()._check_state_change(action)
        if action == "activate":
            self._check_plan_limit()
        return result

    def _check_plan_limit(self):
        """Refuse to activate beyond the company's limit of active subscriptions."""
        newly_active = Counter(sub.company_id for sub in self if sub.state != "active")
        limited = {company for company in newly_active if company.isp_plan_limit > 0}
        if not limited:
            return
        groups = self.sudo()._read_group(
            [("state", "=", "active"), ("company_id", "in", [c.id for c in limited])],
            ["company_id"],
            ["__count"],
        )
        active = dict(groups)
        for company in limited:
            if active.get(company, 0) + newly_active[company] > company.isp_plan_limit:
                raise UserError(
                    _(
                        "%(company)s may have at most %(limit)s active subscriptions "
                        "(%(active)s now); raise the limit in the ISP Billing settings "
                        "before activating more.",
                        company=company.name,
                        limit=company.isp_plan_limit,
                        active=active.get(company, 0),
                    )
                )

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_billing.action_isp_billing_invoices"
        )
        action["domain"] = [("isp_subscription_id", "=", self.id)]
        action["context"] = {
            "default_move_type": "out_invoice",
            "default_isp_subscription_id": self.id,
            "default_partner_id": self.partner_id.id,
        }
        return action
