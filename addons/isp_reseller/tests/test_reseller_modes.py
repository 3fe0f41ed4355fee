from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import IspResellerCommon


@tagged("post_install", "-at_install")
class TestResellerModes(IspResellerCommon):
    """Billing cycle and proration, subscriber prices, edit_payment and give_discount."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank_journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "bank")], limit=1
        )

    def _new_subscription(self, partner, package=None, **vals):
        return self._create_subscription(partner, package or self.package_home_10, **vals)

    # ------------------------------------------------------------------
    # 1. billing cycle and proration per reseller
    # ------------------------------------------------------------------
    def test_billing_profile_follows_reseller_modes(self):
        # monthly, pro-rated (the default): the company's default monthly profile
        self.assertEqual(self.reseller_a._isp_get_billing_profile(), self.profile_monthly)
        self.assertEqual(self.reseller_a.subscriber_billing_profile_id, self.profile_monthly)
        subscription = self._new_subscription(self.subscriber_a)
        self.assertEqual(subscription.billing_profile_id, self.profile_monthly)
        # daily
        self.reseller_b.billing_cycle = "daily"
        daily = self._new_subscription(self.subscriber_b, self.package_hotspot_day)
        self.assertEqual(daily.billing_profile_id.billing_type, "daily")
        self.assertEqual(self.reseller_b.subscriber_billing_profile_id, daily.billing_profile_id)
        # monthly, not pro-rated: none yet, then the full-month profile
        self.reseller_b.write({"billing_cycle": "monthly", "prorate": False})
        self.Reseller.env["isp.billing.profile"].search(
            [("first_bill_type", "=", "full_month")]
        ).write({"active": False})
        self.assertFalse(self.reseller_b.subscriber_billing_profile_id)
        with self.assertRaisesRegex(UserError, "whose first bill is a full month"):
            self._new_subscription(self.subscriber_b)
        full_month = self.env["isp.billing.profile"].create(
            {"name": "Full month", "billing_type": "monthly", "first_bill_type": "full_month"}
        )
        self.assertEqual(self._new_subscription(self.subscriber_b).billing_profile_id, full_month)
        # an explicit profile wins; a direct subscriber keeps the company default
        explicit = self._new_subscription(
            self.subscriber_b, billing_profile_id=self.profile_volume.id
        )
        self.assertEqual(explicit.billing_profile_id, self.profile_volume)
        direct = self._new_subscription(self.subscriber_karim)
        self.assertEqual(direct.billing_profile_id, self.profile_monthly)
        # changing the cycle leaves the existing subscriptions alone
        self.reseller_b.billing_cycle = "daily"
        self.assertEqual(daily.billing_profile_id.billing_type, "daily")
        self.assertEqual(explicit.billing_profile_id, self.profile_volume)
        self.assertEqual(
            self.env["isp.subscription"]
            .search([("partner_id", "=", self.subscriber_b.id)])
            .filtered(lambda s: s.billing_profile_id == full_month),
            self.env["isp.subscription"].search([("billing_profile_id", "=", full_month.id)]),
        )

    def test_reseller_user_gets_its_profile_by_default(self):
        self.reseller_a.billing_cycle = "daily"
        Subscription = self.env["isp.subscription"].with_user(self.user_a)
        self.assertEqual(
            Subscription.default_get(["billing_profile_id"])["billing_profile_id"],
            self.reseller_a._isp_get_billing_profile().id,
        )

    # ------------------------------------------------------------------
    # 2. the subscriber price of the reseller
    # ------------------------------------------------------------------
    def test_monthly_run_prices_at_subscriber_price(self):
        self.env["isp.reseller.price"].create(
            {
                "reseller_id": self.reseller_a.id,
                "package_id": self.package_home_10.id,
                "price_mode": "share",
                "share_percent": 20,
                "subscriber_price": 120,
            }
        )
        of_reseller = self._create_billed_subscription(
            self._date(2025, 12, 1), partner=self.subscriber_a, username="modes.reseller"
        )
        direct = self._create_billed_subscription(
            self._date(2025, 12, 1), partner=self.subscriber_karim, username="modes.direct"
        )
        self._run(2026, 1)
        invoices = self.env["account.move"].search(
            [("isp_subscription_id", "in", (of_reseller | direct).ids)]
        )
        prices = {
            invoice.isp_subscription_id: invoice.invoice_line_ids.filtered(
                lambda line: line.product_id == self.package_home_10
            ).price_unit
            for invoice in invoices
        }
        self.assertEqual(prices, {of_reseller: 120.0, direct: 100.0})

    def test_recharge_prices_at_subscriber_price(self):
        package = self.package_hotspot_day
        self.assertEqual(
            self.sub_of_a._isp_prepare_recharge_invoice_vals(package, 2)["invoice_line_ids"][0][2][
                "price_unit"
            ],
            50,
        )
        self.env["isp.reseller.price"].create(
            {
                "reseller_id": self.reseller_a.id,
                "package_id": package.id,
                "price_mode": "share",
                "share_percent": 20,
                "subscriber_price": 60,
            }
        )
        line = self.sub_of_a._isp_prepare_recharge_invoice_vals(package, 2)["invoice_line_ids"][0][
            2
        ]
        self.assertEqual((line["price_unit"], line["quantity"]), (60, 2))
        # the sub-reseller's subscriber: no price of its own, the list price
        line = self.sub_of_a1._isp_prepare_recharge_invoice_vals(package, 1)["invoice_line_ids"][0][
            2
        ]
        self.assertEqual(line["price_unit"], 50)

    # ------------------------------------------------------------------
    # 3. edit_payment and give_discount
    # ------------------------------------------------------------------
    def _payment_vals(self, partner, amount=100):
        return {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": partner.id,
            "amount": amount,
            "journal_id": self.bank_journal.id,
        }

    def test_edit_payment_permission(self):
        self.reseller_a.perm_edit_payment = True
        self.reseller_b.perm_edit_payment = False
        Payment = self.env["account.payment"]
        payment = Payment.with_user(self.user_a).create(self._payment_vals(self.subscriber_a))
        payment.write({"amount": 150})
        self.assertEqual(payment.amount, 150)
        # its sub-reseller's subscriber is in its network
        Payment.with_user(self.user_a).create(self._payment_vals(self.subscriber_a1))
        # not another reseller's subscriber
        with self.assertRaises(AccessError):
            Payment.with_user(self.user_a).create(self._payment_vals(self.subscriber_b))
        # without the permission: neither record nor edit
        with self.assertRaisesRegex(AccessError, "not allowed to edit payments"):
            Payment.with_user(self.user_b).create(self._payment_vals(self.subscriber_b))
        of_b = Payment.create(self._payment_vals(self.subscriber_b))
        with self.assertRaisesRegex(AccessError, "not allowed to edit payments"):
            of_b.with_user(self.user_b).write({"amount": 1})
        # the panel offers no New/Edit without it
        arch = Payment.with_user(self.user_b).get_view(view_type="form")["arch"]
        self.assertIn('create="false"', arch)
        arch = Payment.with_user(self.user_a).get_view(view_type="form")["arch"]
        self.assertNotIn('create="false"', arch)
        # the permission taken away
        self.reseller_a.perm_edit_payment = False
        with self.assertRaisesRegex(AccessError, "not allowed to edit payments"):
            payment.with_user(self.user_a).write({"amount": 1})

    def test_give_discount_permission(self):
        # an invoicing right given to both users: the permission alone decides
        invoicing = self.env.ref("account.group_account_invoice")
        (self.user_a | self.user_b).write({"groups_id": [Command.link(invoicing.id)]})
        self.reseller_a.perm_give_discount = True
        self.reseller_b.perm_give_discount = False
        invoice_a = self._create_draft_invoice(self.subscriber_a)
        invoice_b = self._create_draft_invoice(self.subscriber_b)
        invoice_a.invoice_line_ids.with_user(self.user_a).write({"discount": 10})
        self.assertEqual(invoice_a.invoice_line_ids.discount, 10)
        with self.assertRaisesRegex(AccessError, "not allowed to give discounts"):
            invoice_b.invoice_line_ids.with_user(self.user_b).write({"discount": 10})
        with self.assertRaisesRegex(AccessError, "not allowed to give discounts"):
            invoice_b.with_user(self.user_b).write(
                {
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": self.package_home_10.id, "discount": 5, "tax_ids": []}
                        )
                    ]
                }
            )
        # no discount: allowed
        invoice_b.invoice_line_ids.with_user(self.user_b).write({"quantity": 2})
        self.assertFalse(invoice_b.invoice_line_ids.discount)

    def _create_draft_invoice(self, partner):
        return self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": self.package_hotspot_day.id, "quantity": 1, "tax_ids": []}
                    )
                ],
            }
        )
