from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .router_common import RouterCommon


@tagged("post_install", "-at_install")
class TestRouterBackup(RouterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = cls._start_simulator()
        cls.dead_sim = cls._start_simulator()
        cls.router = cls._create_router(cls.sim, "Backup Router")
        cls.dead = cls._create_router(cls.dead_sim, "Dead Router")
        cls.Backup = cls.env["isp.router.backup"]

    def test_backup_keeps_export_and_skips_dead_router(self):
        self.sim.connect_session("karim", "10.10.0.5")
        self.dead_sim.down()
        try:
            backups = self.Backup._backup_routers(self.dead | self.router)
        finally:
            self.dead_sim.up()
        failed = backups.filtered(lambda b: b.router_id == self.dead)
        done = backups.filtered(lambda b: b.router_id == self.router)
        self.assertEqual(failed.state, "failed")
        self.assertTrue(failed.error)
        self.assertFalse(failed.attachment_id)
        self.assertEqual(done.state, "done")
        self.assertEqual([f["name"] for f in self.sim.table("/file")], [f"{done.name}.backup"])
        attachment = done.attachment_id
        self.assertEqual((attachment.res_model, attachment.res_id), (self.Backup._name, done.id))
        text = attachment.raw.decode()
        self.assertIn("/ppp profile", text)
        self.assertTrue(text.startswith("# "))
        self.assertEqual(done.export_size, len(attachment.raw))
        self.assertEqual(self.router.backup_count, 1)

    def test_manual_backup_button(self):
        action = self.router.with_user(self.user_network).action_backup_now()
        self.assertEqual(action["res_model"], "isp.router.backup")
        self.assertEqual(self.router.backup_count, 1)

    def test_export_not_readable_by_staff(self):
        backup = self.Backup._backup_router(self.router)
        self.assertTrue(backup.attachment_id)
        # Staff neither list the exports nor open the backups they hang on.
        attachments = self.env["ir.attachment"].with_user(self.user_staff)
        self.assertFalse(attachments.search([("id", "=", backup.attachment_id.id)]))
        self.assertTrue(
            self.env["ir.attachment"]
            .with_user(self.user_network)
            .search([("id", "=", backup.attachment_id.id)])
        )
        with self.assertRaises(AccessError):
            backup.with_user(self.user_staff).read(["attachment_id"])

    def test_retention_prunes_old_backups(self):
        company = self.router.company_id
        self.assertEqual(company.isp_router_backup_retention_days, 30)
        now = fields.Datetime.now()
        recent = self.Backup._backup_router(self.router)
        old = self.Backup._backup_router(self.router)
        old.date = now - timedelta(days=31)
        old_attachment = old.attachment_id
        self.assertTrue(old_attachment)
        self.assertEqual(self.Backup._prune(), 1)
        self.assertFalse(old.exists())
        self.assertFalse(old_attachment.exists())
        self.assertTrue(recent.exists() and recent.attachment_id.exists())
        # Longer retention keeps what is younger.
        company.isp_router_backup_retention_days = 60
        older = self.Backup._backup_router(self.router)
        older.date = now - timedelta(days=45)
        self.assertEqual(self.Backup._prune(), 0)
        self.assertTrue(older.exists())
        self.Backup._cron_backup()
        self.assertEqual(self.router.backup_count, 3)
