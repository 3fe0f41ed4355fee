"""Referral code and link, and the reward earned exactly once per referred subscriber."""

from odoo import Command
from odoo.tests import tagged

from .common import IspPortalCommon

REWARD = 50.0


@tagged("post_install", "-at_install")
class TestPortalReferral(IspPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "isp_portal_referral": True,
                "isp_portal_referral_reward": REWARD,
                "isp_portal_maintenance": False,
            }
        )
        cls.referrer = cls._create_subscriber("Referrer Karim", cls.zone_mirpur)
        cls.sub_referrer = cls._create_billed_subscription(
            cls._date(2026, 1, 15),
            partner=cls.referrer,
            package=cls.package_home_10,
            username="ref.karim",
        )
        cls.referred = cls._create_subscriber(
            "Rahima Begum Chowdhury", cls.zone_dhanmondi, isp_referred_by_id=cls.referrer.id
        )
        cls.sub_referred = cls._create_billed_subscription(
            cls._date(2026, 1, 20),
            partner=cls.referred,
            package=cls.package_home_20,
            username="ref.rahima",
        )
        cls.pending = cls._create_subscriber(
            "Sumon Mia", cls.zone_mirpur, isp_referred_by_id=cls.referrer.id
        )
        cls.user_referrer = cls._create_portal_user(cls.referrer, "ref_karim")
        cls.user_referred = cls._create_portal_user(cls.referred, "ref_rahima")
        cls.Reward = cls.env["isp.referral.reward"]

    # ------------------------------------------------------------------ helpers

    def _invoice(self, subscription, amount=100.0, day=1):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": subscription.partner_id.id,
                "isp_subscription_id": subscription.id,
                "invoice_date": self._date(2026, 2, day),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": subscription.package_id.id,
                            "quantity": 1,
                            "price_unit": amount,
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _pay(self, invoice):
        self.env["account.payment"]._isp_register_counter_payment(
            invoice.partner_id, invoice.amount_residual, "cash", invoices=invoice
        )
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def _rewards(self):
        return self.Reward.search([("referrer_id", "=", self.referrer.id)])

    def _credit(self, partner):
        return self.env["account.payment"]._isp_get_outstanding_credit(partner, self.company)

    # ------------------------------------------------------------------ reward

    def test_reward_earned_once_on_first_paid_invoice(self):
        first = self._invoice(self.sub_referred)
        self.assertFalse(self._rewards(), "an unpaid invoice earns nothing")
        self._pay(first)
        reward = self._rewards()
        self.assertEqual(len(reward), 1)
        self.assertEqual(reward.referred_id, self.referred)
        self.assertEqual(reward.amount, REWARD)
        self.assertEqual(reward.invoice_id, first)
        credit_note = reward.credit_note_id
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.partner_id, self.referrer)
        self.assertAlmostEqual(credit_note.amount_total, REWARD)
        self.assertAlmostEqual(self._credit(self.referrer), REWARD)
        # a second paid invoice, or the hook run again, never pays twice
        self._pay(self._invoice(self.sub_referred, day=5))
        first._invoice_paid_hook()
        self.assertFalse(self.Reward._isp_grant(self.referrer, self.referred, first))
        self.assertEqual(len(self._rewards()), 1)
        self.assertAlmostEqual(self._credit(self.referrer), REWARD)
        self.assertFalse(self._credit(self.referred))

    def test_referrer_next_invoice_uses_the_credit(self):
        self._pay(self._invoice(self.sub_referred))
        invoice = self._invoice(self.sub_referrer, amount=300.0, day=3)
        applied = self.env["account.payment"]._isp_pay_from_credit(invoice)
        self.assertAlmostEqual(applied, REWARD)
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - REWARD)

    def test_no_reward_when_off_or_zero_or_not_referred(self):
        self.company.isp_portal_referral_reward = 0.0
        self._pay(self._invoice(self.sub_referred))
        self.assertFalse(self._rewards())
        self.company.write({"isp_portal_referral_reward": REWARD, "isp_portal_referral": False})
        self._pay(self._invoice(self.sub_referred, day=2))
        self.assertFalse(self._rewards())
        # the referrer's own invoices earn nothing
        self.company.isp_portal_referral = True
        self._pay(self._invoice(self.sub_referrer))
        self.assertFalse(self.Reward.search([]))

    # ------------------------------------------------------------------ portal

    def test_portal_block_lists_first_names_and_total(self):
        self._pay(self._invoice(self.sub_referred))
        self._login(self.user_referrer)
        page = self.url_open("/my/connection").text
        code = self.referrer.isp_referral_code
        self.assertIn('name="isp_referral"', page)
        self.assertIn(code, page)
        self.assertIn(f"/r/{code}", page)
        self.assertIn("Rahima", page)
        self.assertNotIn("Chowdhury", page)
        self.assertIn("Sumon", page)
        self.assertNotIn("Mia<", page)
        self.assertIn("Pending", page)
        self.assertIn("Earned", page)
        self.assertRegex(
            page, r'name="isp_referral_total"[^>]*>[^<]*<span class="oe_currency_value">50\.00'
        )

    def test_portal_block_of_another_subscriber_is_its_own(self):
        self._login(self.user_referred)
        page = self.url_open("/my/connection").text
        self.assertIn(self.referred.isp_referral_code, page)
        self.assertNotIn(self.referrer.isp_referral_code, page)
        self.assertNotIn("Sumon", page)
        self.assertIn("Nobody joined with your code yet.", page)

    def test_toggle_off_hides_block_and_link(self):
        self.company.isp_portal_referral = False
        self._login(self.user_referrer)
        self.assertNotIn('name="isp_referral"', self.url_open("/my/connection").text)
        self.assertEqual(self.url_open(f"/r/{self.referrer.isp_referral_code}").status_code, 404)

    # ------------------------------------------------------------------ link

    def _csrf(self, page):
        marker = 'name="csrf_token" value="'
        start = page.index(marker) + len(marker)
        return page[start : page.index('"', start)]

    def test_link_prefills_code_and_request_stores_referrer(self):
        code = self.referrer.isp_referral_code
        page = self.url_open(f"/r/{code.lower()}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(f'value="{code}"', page.text)
        data = {
            "csrf_token": self._csrf(page.text),
            "name": "Nasima Akter",
            "mobile": "০১৮১১২২২৩৩৪",
            "area": "Mirpur 10",
            "referral_code": code,
        }
        response = self.url_open("/connection/request", data=data)
        self.assertIn('name="isp_request_done"', response.text)
        partner = self.env["res.partner"].search([("mobile", "=", "+8801811222334")])
        self.assertEqual(len(partner), 1)
        self.assertEqual(partner.isp_referred_by_id, self.referrer)
        self.assertIn(
            self.env.ref("isp_portal.partner_category_connection_request"), partner.category_id
        )
        # the same number twice creates nothing more
        self.url_open("/connection/request", data=data)
        self.assertEqual(
            self.env["res.partner"].search_count([("mobile", "=", "+8801811222334")]), 1
        )

    def test_request_errors(self):
        page = self.url_open("/r/NOPE-CODE")
        self.assertEqual(page.status_code, 200)
        data = {
            "csrf_token": self._csrf(page.text),
            "name": "",
            "mobile": "12345",
            "referral_code": "ZZZZ9999",
        }
        response = self.url_open("/connection/request", data=data).text
        self.assertIn("Type your name.", response)
        self.assertIn("Type a Bangladeshi mobile number", response)
        self.assertIn("This referral code is unknown", response)
