import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.misc import split_every

_logger = logging.getLogger(__name__)

DEMO_REF_LIKE = "DEMO-%"
DEMO_VAT_PERCENT = 5.0


class IspDemoGenerator(models.AbstractModel):
    _inherit = "isp.demo.generator"

    @api.model
    def generate_billing(self, monthly_id, volume_id, prepaid_id, paid_ratio=0.6):
        """Bill the demo ISP: VAT, profiles, this month's run and some payments.

        Every demo subscription gets the demo VAT and a profile (hotspot: prepaid,
        one PPPoE subscription in seven: volume, the rest: the monthly default); the
        month's billing run invoices them, then ``paid_ratio`` of the invoices are
        paid in cash (one in ten of those only half). Running it again only bills
        and pays what is not billed and paid yet.
        """
        if not self.env.is_admin():
            raise AccessError(_("Only administrators can generate demo data."))
        env = self.sudo().with_context(tracking_disable=True, mail_notrack=True).env
        generator = env["isp.demo.generator"]
        company = env.company
        vat = generator._ensure_demo_vat(company)
        if not company.isp_default_vat_tax_id:
            company.isp_default_vat_tax_id = vat
        profiles = env["isp.billing.profile"].browse([monthly_id, volume_id, prepaid_id])
        generator._assign_demo_profiles(*profiles, vat)
        invoices = generator._run_demo_billing(company)
        generator._pay_demo_invoices(invoices, paid_ratio)
        return len(invoices)

    @api.model
    def _ensure_demo_vat(self, company):
        Tax = self.env["account.tax"]
        vat = Tax.search(
            [
                *Tax._check_company_domain(company),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
                ("amount", "=", DEMO_VAT_PERCENT),
                ("price_include", "=", False),
            ],
            limit=1,
        )
        if not vat:
            vat = Tax.create(
                {
                    "name": _("VAT %(percent)s%%", percent=int(DEMO_VAT_PERCENT)),
                    "amount": DEMO_VAT_PERCENT,
                    "amount_type": "percent",
                    "type_tax_use": "sale",
                    "price_include_override": "tax_excluded",
                    "company_id": company.id,
                }
            )
        return vat

    @api.model
    def _assign_demo_profiles(self, monthly, volume, prepaid, vat):
        subscriptions = self.env["isp.subscription"].search(
            [("partner_id.ref", "=like", DEMO_REF_LIKE)], order="id"
        )
        by_profile = {monthly: [], volume: [], prepaid: []}
        pppoe_index = 0
        for subscription in subscriptions:
            if subscription.connection_type == "hotspot":
                by_profile[prepaid].append(subscription.id)
                continue
            pppoe_index += 1
            by_profile[volume if pppoe_index % 7 == 0 else monthly].append(subscription.id)
        for profile, ids in by_profile.items():
            self.env["isp.subscription"].browse(ids).write(
                {"billing_profile_id": profile.id, "vat_tax_ids": [fields.Command.set(vat.ids)]}
            )

    @api.model
    def _run_demo_billing(self, company):
        Run = self.env["isp.billing.run"].with_company(company)
        today = self.env["isp.subscription"]._isp_today()
        run = Run.search(
            [
                ("company_id", "=", company.id),
                ("period_year", "=", today.year),
                ("period_month", "=", str(today.month)),
                ("subscription_id", "=", False),
            ],
            limit=1,
        ) or Run.create({"period_year": today.year, "period_month": str(today.month)})
        if run.state == "draft":
            # demo data loads inside a savepoint, which a commit per batch would end
            run.with_context(isp_billing_no_commit=True).action_start()
        _logger.info(
            "Demo ISP: billing run %s invoiced %s subscriptions", run.name, run.invoiced_count
        )
        return self.env["account.move"].search(
            [("isp_billing_run_id", "=", run.id), ("state", "=", "posted")], order="id"
        )

    @api.model
    def _pay_demo_invoices(self, invoices, paid_ratio):
        """Pay ``paid_ratio`` of the invoices in cash; one in twenty only half."""
        if not invoices:
            return
        paid_per_ten = round(paid_ratio * 10)
        to_pay = invoices.filtered(lambda m: m.payment_state == "not_paid")
        full, half = [], []
        for index, invoice in enumerate(invoices):
            if index % 10 >= paid_per_ten or invoice not in to_pay:
                continue
            (half if index % 20 == 0 else full).append(invoice.id)
        journal = self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(invoices.company_id),
                ("type", "=", "cash"),
            ],
            limit=1,
        )
        Register = self.env["account.payment.register"]
        payment_date = self.env["isp.subscription"]._isp_today()
        for batch in split_every(200, full):
            Register.with_context(active_model="account.move", active_ids=list(batch)).create(
                {"journal_id": journal.id, "payment_date": payment_date}
            )._create_payments()
        for invoice in invoices.browse(half):
            Register.with_context(active_model="account.move", active_ids=invoice.ids).create(
                {
                    "journal_id": journal.id,
                    "payment_date": payment_date,
                    "amount": invoice.amount_residual / 2,
                }
            )._create_payments()

    # ---- demo currency (paying the demo bills with the Bangladeshi gateways)
    @api.model
    def _isp_demo_use_bdt(self):
        """Keep the demo ISP's books in BDT, the only currency of the local gateways.

        isp_base's demo sets the company to BDT, but installing accounting afterwards
        loads the generic chart of accounts, which resets it to USD and books the
        accounting demo entries in USD. For the demo only (never on a database without
        isp_billing's demo data), relabel USD as BDT everywhere the company's books
        refer to it: the amounts were meant in taka. Returns whether it changed anything.
        """
        if not self.env.is_superuser() and not self.env.is_admin():
            raise AccessError(_("Only administrators can generate demo data."))
        module = self.env["ir.module.module"].sudo().search([("name", "=", "isp_billing")])
        bdt = self.env.ref("base.BDT")
        company = self.env.ref("base.main_company")
        if not module.demo or company.currency_id == bdt:
            return False
        usd = company.currency_id
        bdt.sudo().active = True
        skip = {"res.currency", "res.currency.rate", "res.country", "res.country.group"}
        domain = [("ttype", "=", "many2one"), ("relation", "=", "res.currency")]
        fields_ = self.env["ir.model.fields"].sudo().search([*domain, ("store", "=", True)])
        cr = self.env.cr
        for field in fields_:
            model = self.env.get(field.model)
            if field.model in skip or model is None or model._abstract or not model._auto:
                continue
            column = model._fields.get(field.name)
            if column is None or not column.store or column.type != "many2one":
                continue
            cr.execute(
                SQL(
                    "UPDATE %s SET %s = %s WHERE %s = %s",
                    SQL.identifier(model._table),
                    SQL.identifier(field.name),
                    bdt.id,
                    SQL.identifier(field.name),
                    usd.id,
                )
            )
        # Journals in the company's currency carry none.
        cr.execute("UPDATE account_journal SET currency_id = NULL WHERE currency_id = %s", [bdt.id])
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        _logger.info("Demo ISP: the books are in BDT now (were %s)", usd.name)
        return True
