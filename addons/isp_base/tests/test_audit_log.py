import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IspBaseCommon


@tagged("post_install", "-at_install")
class TestAuditLog(IspBaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sub_karim.with_user(cls.user_staff).action_activate()
        cls.log = cls.env["isp.audit.log"].search(
            [("res_model", "=", "isp.subscription"), ("res_id", "=", cls.sub_karim.id)]
        )

    def test_log_row_content(self):
        self.assertEqual(len(self.log), 1)
        self.assertEqual(self.log.action, "state_change")
        self.assertEqual(self.log.user_id, self.user_staff)
        self.assertEqual(self.log.user_name, self.user_staff.name)
        self.assertEqual(self.log.company_id, self.sub_karim.company_id)
        self.assertEqual(self.log.record_name, self.sub_karim.display_name)
        self.assertEqual((self.log.old_value, self.log.new_value), ("draft", "active"))
        self.assertFalse(self.log.ip_address, "no HTTP request in this test")

    def test_orm_write_and_unlink_refused(self):
        for env in (
            self.env,
            self.env(user=self.user_manager),
            self.env(user=self.user_manager, su=True),
        ):
            log = self.log.with_env(env)
            with self.subTest(uid=env.uid, su=env.su):
                with self.assertRaisesNoRollback(UserError) as cm:
                    log.write({"new_value": "suspended"})
                self.assertIn("cannot be changed", str(cm.exception))
                with self.assertRaisesNoRollback(UserError) as cm:
                    log.unlink()
                if env.su:  # without sudo the access rights refuse it first
                    self.assertIn("cannot be deleted", str(cm.exception))
        self.env.invalidate_all()
        self.assertEqual(self._raw_value(self.log, "new_value"), "active")
        self.assertTrue(self.log.exists())

    def test_create_only_through_log(self):
        vals = {
            "action": "other",
            "res_model": "isp.subscription",
            "res_id": self.sub_karim.id,
            "description": "forged",
        }
        for user in (self.user_manager, self.user_staff):
            with self.subTest(user=user.login), self.assertRaises(UserError) as cm:
                self.env["isp.audit.log"].with_user(user).create(vals)
            self.assertNotIsInstance(cm.exception, AccessError, "refused by design, not by ACL")
        self.assertFalse(self.env["isp.audit.log"].search([("description", "=", "forged")]))
        # What the application logs goes in, as the acting user, even without rights on the log.
        row = (
            self.env["isp.audit.log"]
            .with_user(self.user_support)
            ._log(self.sub_karim, "other", "Called the subscriber")
        )
        self.assertEqual(row.user_id, self.user_support)
        self.assertEqual(row.description, "Called the subscriber")

    def test_database_refuses_update_and_delete(self):
        self.env.flush_all()
        for query in (
            "UPDATE isp_audit_log SET new_value = 'forged' WHERE id = %s",
            "DELETE FROM isp_audit_log WHERE id = %s",
        ):
            with self.subTest(query=query):
                with (
                    self.assertRaises(psycopg2.Error) as cm,
                    mute_logger("odoo.sql_db"),
                    self.env.cr.savepoint(),
                ):
                    self.env.cr.execute(query, (self.log.id,))
                self.assertIn("append-only", str(cm.exception))
        self.env.cr.execute("SELECT new_value FROM isp_audit_log WHERE id = %s", (self.log.id,))
        self.assertEqual(self.env.cr.fetchone()[0], "active")

    def test_read_access(self):
        logs = (
            self.env["isp.audit.log"]
            .with_user(self.user_manager)
            .search([("id", "=", self.log.id)])
        )
        self.assertEqual(logs, self.log)
        self.assertEqual(logs.read(["action"])[0]["action"], "state_change")
        for user in (self.user_staff, self.user_support, self.user_recharge, self.user_technician):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.log.with_user(user).read(["action"])
                with self.assertRaises(AccessError):
                    self.env["isp.audit.log"].with_user(user).search([])

    def test_view_actions(self):
        action = self.sub_karim.action_view_audit_log()
        self.assertEqual(self.env["isp.audit.log"].search(action["domain"]), self.log)
        action = self.subscriber_karim.action_view_isp_audit_log()
        self.assertEqual(self.env["isp.audit.log"].search(action["domain"]), self.log)
