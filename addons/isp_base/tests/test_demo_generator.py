from odoo.tests import TransactionCase, tagged

from ..lib import subscription_state
from ..lib.demo_data import DemoIsp


@tagged("post_install", "-at_install")
class TestDemoGenerator(TransactionCase):
    def _demo_partners(self):
        return self.env["res.partner"].search([("ref", "=like", "DEMO-%")])

    def test_generate(self):
        demo = DemoIsp(seed=7)
        created = self.env["isp.demo.generator"].generate(60, seed=7)
        self.assertEqual(created, 60)

        zone_codes = {zone["code"] for zone in demo.zones()}
        zones = self.env["isp.zone"].search([("code", "in", list(zone_codes))])
        self.assertEqual(set(zones.mapped("code")), zone_codes)
        self.assertTrue(all(zones.mapped("thana_id")), "every demo zone has its thana")
        package_codes = {package["code"] for package in demo.packages()}
        packages = self.env["product.product"].search(
            [("is_isp_package", "=", True), ("default_code", "in", list(package_codes))]
        )
        self.assertEqual(set(packages.mapped("default_code")), package_codes)

        partners = self._demo_partners()
        self.assertEqual(len(partners), 60)
        self.assertTrue(all(partners.mapped("is_isp_subscriber")))
        self.assertTrue(all(mobile.startswith("+8801") for mobile in partners.mapped("mobile")))
        self.assertEqual(len(set(partners.mapped("isp_customer_code"))), 60)
        subscriptions = (
            self.env["isp.subscription"]
            .with_context(active_test=False)
            .search([("partner_id", "in", partners.ids)])
        )
        self.assertGreaterEqual(len(subscriptions), 60)
        self.assertEqual(set(subscriptions.mapped("state")), set(subscription_state.STATE_LABELS))
        self.assertEqual(set(subscriptions.mapped("zone_id")), set(partners.mapped("isp_zone_id")))
        self.assertTrue(set(partners.mapped("isp_zone_id")) <= set(zones))

        # Passwords are encrypted at rest and decrypt to the generated ones.
        with_credentials = subscriptions.filtered(
            lambda s: s.connection_type in ("pppoe", "hotspot")
        )
        self.assertTrue(with_credentials)
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT password_encrypted FROM isp_subscription WHERE id = ANY(%s)",
            (with_credentials.ids,),
        )
        tokens = [row[0] for row in self.env.cr.fetchall()]
        self.assertEqual(len(tokens), len(with_credentials))
        self.assertTrue(all(token and token.startswith("v1:") for token in tokens))
        expected = {
            subscription["username"]: subscription["password"]
            for subscriber in demo.subscribers(60)
            for subscription in subscriber["subscriptions"]
        }
        for subscription in with_credentials[:10]:
            plaintext = subscription._isp_get_secret("password_encrypted")
            self.assertEqual(plaintext, expected[subscription.username])
        self.assertFalse(set(expected.values()) & set(tokens), "no plaintext in the column")

        # A second run creates nothing more.
        count = len(subscriptions)
        self.assertEqual(self.env["isp.demo.generator"].generate(60, seed=7), 0)
        self.assertEqual(len(self._demo_partners()), 60)
        self.assertEqual(
            self.env["isp.subscription"]
            .with_context(active_test=False)
            .search_count([("partner_id", "in", partners.ids)]),
            count,
        )
        self.assertEqual(
            self.env["isp.zone"].search_count([("code", "in", list(zone_codes))]), len(zone_codes)
        )

    def test_generate_resumes(self):
        self.assertEqual(self.env["isp.demo.generator"].generate(10, seed=7, batch_size=4), 10)
        self.assertEqual(self.env["isp.demo.generator"].generate(25, seed=7, batch_size=4), 15)
        self.assertEqual(len(self._demo_partners()), 25)
