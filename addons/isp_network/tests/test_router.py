from odoo.exceptions import AccessError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import tagged

from .router_common import RouterCommon


@tagged("post_install", "-at_install")
class TestRouter(RouterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = cls._start_simulator(identity="Mirpur-Core")
        cls.router = cls._create_router(
            cls.sim, "Mirpur Core", nas_address="10.99.0.1", radius_secret="radius-s3cret"
        )

    def test_test_connection_stores_version_and_state(self):
        action = self.router.with_user(self.user_network).action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("Mirpur-Core", action["params"]["message"])
        self.assertIn("7.14", action["params"]["message"])
        self.assertIn("CPU", action["params"]["message"])
        self.assertEqual(self.router.state, "up")
        self.assertEqual(self.router.routeros_version, "7.14")
        self.assertEqual(self.router.identity, "Mirpur-Core")
        self.assertEqual(self.router.last_memory_percent, 25.0)
        self.assertTrue(self.router.last_seen_at)

    def test_test_connection_failures(self):
        self.router.action_test_connection()
        self.sim.down()
        try:
            action = self.router.action_test_connection()
        finally:
            self.sim.up()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(self.router.state, "down")
        self.assertEqual(len(self._notes(self.router, "is down")), 1)
        # Wrong password: a clear message, and the router is not marked down.
        self.router.api_password = "wrong"
        self.router.action_test_connection()
        action = self.router.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("refused the API login", action["params"]["message"])

    def test_legacy_login_router(self):
        legacy = self._start_simulator(legacy=True, version="6.42.12")
        router = self._create_router(legacy, "Old Router")
        self.assertEqual(router.action_test_connection()["params"]["type"], "success")
        self.assertEqual(router.routeros_version, "6.42.12")

    def test_secrets_encrypted_at_rest_and_admin_only(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT api_password_encrypted, radius_secret_encrypted FROM isp_router WHERE id = %s",
            (self.router.id,),
        )
        api_token, radius_token = self.env.cr.fetchone()
        self.assertTrue(api_token and radius_token)
        self.assertNotIn("api-pass", api_token)
        self.assertNotIn("radius-s3cret", radius_token)
        self.assertEqual(self.router._isp_get_secret("api_password_encrypted"), "api-pass")
        as_engineer = self.router.with_user(self.user_network)
        self.assertFalse(as_engineer.api_password)
        self.assertFalse(as_engineer.radius_secret)
        self.assertTrue(as_engineer.has_api_password)
        with self.assertRaises(AccessError):
            as_engineer.read(["api_password_encrypted"])
        with self.assertRaises(AccessError):
            as_engineer.read(["radius_secret_encrypted"])
        with self.assertRaises(AccessError):
            as_engineer.action_reveal_api_password()
        self.assertEqual(self.router.action_reveal_api_password()["params"]["message"], "api-pass")
        # An engineer can replace the secret without ever reading it.
        as_engineer.api_password = "new-pass"
        self.assertEqual(self.router._isp_get_secret("api_password_encrypted"), "new-pass")
        self.assertTrue(self._audit_rows(self.router, "secret_change"))

    def test_nas_row_follows_the_router(self):
        self.assertEqual(
            self._nas_rows("10.99.0.1"),
            [("Mirpur Core", "other", "radius-s3cret", f"isp.router:{self.router.id}")],
        )
        self.router.radius_secret = "rotated"
        self.router.name = "Mirpur Core 1"
        self.assertEqual(self._nas_rows("10.99.0.1")[0][:3], ("Mirpur Core 1", "other", "rotated"))
        self.router.nas_address = "10.99.0.2"
        self.assertEqual(self._nas_rows("10.99.0.1"), [])
        self.assertEqual(len(self._nas_rows("10.99.0.2")), 1)
        self.router.management_mode = "api"
        self.assertEqual(self._nas_rows("10.99.0.2"), [])
        self.router.management_mode = "radius"
        self.router.active = False
        self.assertEqual(self._nas_rows("10.99.0.2"), [])
        self.router.active = True
        self.assertEqual(len(self._nas_rows("10.99.0.2")), 1)
        # Running the sync again changes nothing.
        self.router._sync_nas_row()
        self.assertEqual(len(self._nas_rows("10.99.0.2")), 1)
        self.router.unlink()
        self.assertEqual(self._nas_rows("10.99.0.2"), [])

    def test_neutralize_blanks_network_secrets(self):
        subscription = self._create_subscription_in_state(
            "active", username="neutral.user", password="Secret-123"
        )
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT value FROM radius.radcheck WHERE subscription_id = %s "
            "AND attribute = 'Cleartext-Password'",
            (subscription.id,),
        )
        self.assertEqual(self.env.cr.fetchone()[0], "Secret-123")
        queries = list(get_neutralization_queries(["isp_network"]))
        self.assertEqual(len(queries), 1)
        for query in queries:
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.assertFalse(self.router._isp_get_secret("api_password_encrypted"))
        self.assertFalse(self.router._isp_get_secret("radius_secret_encrypted"))
        self.env.cr.execute("SELECT count(*) FROM radius.nas WHERE secret <> ''")
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.env.cr.execute(
            "SELECT count(*) FROM radius.radcheck "
            "WHERE attribute = 'Cleartext-Password' AND value <> ''"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_nas_address_must_be_an_ip(self):
        with self.assertRaises(Exception):  # noqa: B017 - ValidationError
            self.router.nas_address = "router.example"

    def test_browse_and_kick_session(self):
        self.sim.connect_session("karim", "10.10.0.5", "AA:BB:CC:00:00:01")
        self.sim.connect_session("sumon", "10.10.0.6", "AA:BB:CC:00:00:02")
        action = self.router.with_user(self.user_network).action_browse_sessions()
        wizard = self.env["isp.router.browse"].browse(action["res_id"])
        self.assertEqual(wizard.line_ids.mapped("name"), ["karim", "sumon"])
        karim = wizard.line_ids.filtered(lambda line: line.name == "karim")
        self.assertEqual(karim.caller_id, "AA:BB:CC:00:00:01")
        karim.with_user(self.user_network).action_kick()
        self.assertEqual([s["name"] for s in self.sim.table("/ppp/active")], ["sumon"])
        self.assertEqual(wizard.line_ids.mapped("name"), ["sumon"])
        audit = self._audit_rows(self.router)
        self.assertTrue(any("karim" in (row.description or "") for row in audit))
        self.assertEqual(audit[0].user_id, self.user_network)

    def test_browse_logs_and_netwatch(self):
        self.sim.set_netwatch("8.8.8.8", "up", comment="upstream")
        self.sim.set_netwatch("10.0.0.254", "down")
        logs = self.env["isp.router.browse"].browse(self.router.action_browse_logs()["res_id"])
        self.assertTrue(logs.line_ids)
        self.assertTrue(any("logged in" in (line.message or "") for line in logs.line_ids))
        watch = self.env["isp.router.browse"].browse(self.router.action_browse_netwatch()["res_id"])
        self.assertEqual(
            [(line.host, line.status) for line in watch.line_ids],
            [("8.8.8.8", "up"), ("10.0.0.254", "down")],
        )
        watch.search_text = "10.0"
        watch.action_refresh()
        self.assertEqual(watch.line_ids.mapped("host"), ["10.0.0.254"])

    def test_browse_unreachable_router_shows_error(self):
        self.sim.down()
        try:
            action = self.router.action_browse_sessions()
        finally:
            self.sim.up()
        wizard = self.env["isp.router.browse"].browse(action["res_id"])
        self.assertFalse(wizard.line_ids)
        self.assertTrue(wizard.error)
