"""Shared fixtures of the billing tests: a chart of accounts, VAT, billing profiles."""

from datetime import date

from odoo import Command
from odoo.addons.isp_base.tests.common import IspBaseCommon


class IspBillingCommon(IspBaseCommon):
    """:class:`IspBaseCommon` plus accounting and billing set-up.

    * the company has a chart of accounts (``generic_coa`` when none is installed),
      ``vat_15`` (15% sale VAT, excluded from the price) as its default VAT;
    * ``profile_monthly`` (monthly, flat, first bill till the end of the month, due
      on the 10th) is the company default;
    * ``profile_volume`` (10 GB cap, 5 per GB above it) and ``profile_tiered``
      (10 GB at 2, then 3 per GB).

    ``_create_billed_subscription`` makes an active subscription activated on a
    given date, and ``_run`` runs the billing of a month.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        if not cls.company.chart_template:
            cls.env["account.chart.template"].try_loading(
                "generic_coa", company=cls.company, install_demo=False
            )
        cls.vat_15 = cls.env["account.tax"].create(
            {
                "name": "VAT 15% (test)",
                "amount": 15.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include_override": "tax_excluded",
                "company_id": cls.company.id,
            }
        )
        Profile = cls.env["isp.billing.profile"]
        # the shipped default profile (data) gives way to the test one
        Profile.search([("company_id", "=", cls.company.id), ("is_default", "=", True)]).write(
            {"is_default": False}
        )
        cls.profile_monthly = Profile.create(
            {
                "name": "Test monthly",
                "billing_type": "monthly",
                "billing_mode": "flat",
                "first_bill_type": "till_end_of_month",
                "due_day": 10,
                "is_default": True,
            }
        )
        cls.profile_volume = Profile.create(
            {
                "name": "Test volume",
                "billing_mode": "volume",
                "cap_gb": 10,
                "rate_per_gb": 5,
            }
        )
        cls.profile_tiered = Profile.create(
            {
                "name": "Test tiered",
                "billing_mode": "tiered",
                "slab_ids": [
                    Command.create({"upto_gb": 10, "rate_per_gb": 2}),
                    Command.create({"upto_gb": 0, "rate_per_gb": 3}),
                ],
            }
        )
        cls.company.write(
            {
                "isp_billing_default_profile_id": cls.profile_monthly.id,
                "isp_default_vat_tax_id": cls.vat_15.id,
                "isp_plan_limit": 0,
            }
        )

    @classmethod
    def _create_billed_subscription(cls, activation_date, package=None, partner=None, **vals):
        """An active subscription activated on ``activation_date``."""
        subscription = cls._create_subscription(
            partner or cls.subscriber_karim, package or cls.package_home_10, **vals
        )
        subscription.action_activate()
        subscription.activation_date = activation_date
        return subscription

    def _run(self, year, month, **vals):
        run = self.env["isp.billing.run"].create(
            {"period_year": year, "period_month": str(month), **vals}
        )
        run.action_start()
        return run

    @staticmethod
    def _date(year, month, day):
        return date(year, month, day)
