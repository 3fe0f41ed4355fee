# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.isp_base.tests.common import shown_menu_ids
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestIspBillingAccess(AccountTestInvoicingCommon):
    """The Billing Officer group and the Billing menus of the ISP app."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        user_values = {
            "company_id": company.id,
            "company_ids": [Command.set(company.ids)],
        }
        cls.officer = new_test_user(
            cls.env,
            login="isp_billing_officer",
            groups="isp_billing.group_isp_billing",
            **user_values,
        )
        cls.staff = new_test_user(
            cls.env,
            login="isp_billing_staff",
            groups="isp_base.group_isp_staff",
            **user_values,
        )
        cls.manager = new_test_user(
            cls.env,
            login="isp_billing_manager",
            groups="isp_base.group_isp_manager",
            **user_values,
        )
        cls.subscriber = cls.env["res.partner"].create(
            {
                "name": "Rahim Uddin",
                "is_isp_subscriber": True,
                "mobile": "01711000001",
            }
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Walk-in customer", "is_isp_subscriber": False}
        )
        cls.menu_root = cls.env.ref("isp_billing.menu_isp_billing_root")
        cls.menu_invoices = cls.env.ref("isp_billing.menu_isp_billing_invoices")
        cls.menu_payments = cls.env.ref("isp_billing.menu_isp_billing_payments")
        cls.menu_credit_notes = cls.env.ref("isp_billing.menu_isp_billing_credit_notes")
        cls.menu_ledger = cls.env.ref("isp_billing.menu_isp_subscriber_ledger")
        cls.menu_runs = cls.env.ref("isp_billing.menu_isp_billing_run")
        cls.menu_vouchers = cls.env.ref("isp_billing.menu_isp_voucher_root")
        cls.menu_profiles = cls.env.ref("isp_billing.menu_isp_billing_profile")

    def _action_env(self, action, user):
        """Model of ``action`` as ``user``, with the action's context."""
        context = safe_eval(action.context or "{}", {"uid": user.id})
        return self.env[action.res_model].with_user(user).with_context(**context)

    def _action_records(self, action, user):
        """Records ``user`` sees when opening ``action`` (no search filter)."""
        domain = safe_eval(action.domain or "[]", {"uid": user.id})
        return self.env[action.res_model].with_user(user).search(domain)

    def _create_invoice(self, action, user, partner, price):
        move = self._action_env(action, user).create(
            {
                "partner_id": partner.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product_a.id,
                            "quantity": 1,
                            "price_unit": price,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    def test_group_implications(self):
        self.assertTrue(self.officer.has_group("isp_base.group_isp_staff"))
        self.assertTrue(self.officer.has_group("account.group_account_invoice"))
        self.assertFalse(self.officer.has_group("account.group_account_manager"))
        self.assertFalse(self.staff.has_group("isp_billing.group_isp_billing"))

    def test_menus_of_managers(self):
        """A manager runs billing, vouchers and profiles; documents need billing rights."""
        manager_menu_ids = shown_menu_ids(self.manager)
        officer_menu_ids = shown_menu_ids(self.officer)
        staff_menu_ids = shown_menu_ids(self.staff)
        shared = self.menu_root + self.menu_runs + self.menu_vouchers + self.menu_profiles
        for menu in shared + self.menu_vouchers.child_id:
            self.assertIn(menu.id, manager_menu_ids, menu.complete_name)
            self.assertIn(menu.id, officer_menu_ids, menu.complete_name)
            self.assertNotIn(menu.id, staff_menu_ids, menu.complete_name)
        # the accounting documents follow the Billing Officer group, which managers
        # may or may not have
        is_officer = self.manager.has_group("isp_billing.group_isp_billing")
        for menu in (
            self.menu_invoices + self.menu_payments + self.menu_credit_notes + self.menu_ledger
        ):
            self.assertEqual(menu.id in manager_menu_ids, is_officer, menu.complete_name)
            self.assertEqual(
                self.env[menu.action.res_model].with_user(self.manager).has_access("read"),
                is_officer,
                menu.complete_name,
            )
        # what the manager sees opens on models the manager may read
        for menu in (shared + self.menu_vouchers.child_id).filtered("action"):
            model = self.env[menu.action.res_model].with_user(self.manager)
            self.assertTrue(model.has_access("read"), menu.complete_name)
        # the officer reads billing profiles from Billing > Configuration
        self.assertTrue(self.env["isp.billing.profile"].with_user(self.officer).has_access("read"))

    def test_ledger_menu_for_billing_officer(self):
        self.assertIn(self.menu_ledger.id, shown_menu_ids(self.officer))
        self.assertNotIn(self.menu_ledger.id, shown_menu_ids(self.staff))
        action = self.menu_ledger.action
        model = self.env[action.res_model].with_user(self.officer)
        self.assertTrue(model.has_access("read"))
        self.assertFalse(model.has_access("create"))
        result = model.get_views(
            [(action.view_id.id, "list"), (action.search_view_id.id, "search")]
        )
        self.assertEqual(set(result["views"]), {"list", "search"})
        with self.assertRaises(AccessError):
            self.env[action.res_model].with_user(self.staff).search([])

    def test_menus_visible_to_billing_officer_only(self):
        menus = self.menu_root + self.menu_invoices + self.menu_payments + self.menu_credit_notes
        officer_menu_ids = shown_menu_ids(self.officer)
        staff_menu_ids = shown_menu_ids(self.staff)
        for menu in menus:
            self.assertIn(menu.id, officer_menu_ids, menu.complete_name)
            self.assertNotIn(menu.id, staff_menu_ids, menu.complete_name)
        # every leaf menu opens a window action on a model the officer may
        # read, and its views load for the officer
        for menu in menus - self.menu_root:
            action = menu.action
            self.assertEqual(action._name, "ir.actions.act_window")
            model = self.env[action.res_model].with_user(self.officer)
            self.assertTrue(model.has_access("read"))
            self.assertTrue(model.has_access("create"))
            result = model.get_views(
                [
                    (action.view_id.id, "list"),
                    (action.search_view_id.id, "search"),
                    (False, "form"),
                ]
            )
            self.assertEqual(set(result["views"]), {"list", "search", "form"})
        # the ISP staff member cannot even read the documents
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(self.staff).search([])
        with self.assertRaises(AccessError):
            self.env["account.payment"].with_user(self.staff).search([])

    def test_invoice_and_credit_note_actions_list_subscriber_documents(self):
        invoices_action = self.menu_invoices.action
        refunds_action = self.menu_credit_notes.action
        subscriber_invoice = self._create_invoice(
            invoices_action, self.officer, self.subscriber, 500.0
        )
        other_invoice = self._create_invoice(
            invoices_action, self.officer, self.other_customer, 700.0
        )
        self.assertEqual(subscriber_invoice.move_type, "out_invoice")
        self.assertEqual(subscriber_invoice.state, "posted")
        self.assertEqual(subscriber_invoice.amount_total, 500.0)

        refund = self._create_invoice(refunds_action, self.officer, self.subscriber, 100.0)
        self.assertEqual(refund.move_type, "out_refund")

        listed_invoices = self._action_records(invoices_action, self.officer)
        self.assertIn(subscriber_invoice, listed_invoices)
        self.assertNotIn(other_invoice, listed_invoices)
        self.assertNotIn(refund, listed_invoices)

        listed_refunds = self._action_records(refunds_action, self.officer)
        self.assertIn(refund, listed_refunds)
        self.assertNotIn(subscriber_invoice, listed_refunds)

    def test_payment_action_lists_subscriber_payments(self):
        action = self.menu_payments.action
        Payment = self._action_env(action, self.officer)
        subscriber_payment = Payment.create({"partner_id": self.subscriber.id, "amount": 300.0})
        other_payment = Payment.create({"partner_id": self.other_customer.id, "amount": 200.0})
        self.assertEqual(subscriber_payment.payment_type, "inbound")
        self.assertEqual(subscriber_payment.partner_type, "customer")
        self.assertIn(subscriber_payment.journal_id.type, ("bank", "cash"))

        listed = self._action_records(action, self.officer)
        self.assertIn(subscriber_payment, listed)
        self.assertNotIn(other_payment, listed)

    def test_billing_officer_cannot_configure_accounting(self):
        with self.assertRaises(AccessError):
            self.env["account.account"].with_user(self.officer).create(
                {
                    "name": "Not allowed",
                    "code": "999999",
                    "account_type": "income",
                }
            )
        with self.assertRaises(AccessError):
            self.env["account.journal"].with_user(self.officer).create(
                {"name": "Not allowed", "code": "NOPE", "type": "bank"}
            )
