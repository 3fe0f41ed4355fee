from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from .common import run_concurrently


@tagged("post_install", "-at_install")
class TestResellerSmsConcurrency(TransactionCase):
    """10 SMS enqueued at once against an SMS balance that pays for 4: never overdrawn."""

    THREADS = 10
    AFFORDABLE = 4
    KEY = "test-reseller-sms-concurrency"

    def setUp(self):
        super().setUp()
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "SMS Concurrency POP"})
            reseller = env["isp.reseller"].create({"partner_id": partner.id})
            reseller._isp_add_sms_credit(self.AFFORDABLE)
            self.committed = {"reseller": reseller.id, "partner": partner.id}
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._cleanup_committed)

    def _cleanup_committed(self):
        c = self.committed
        with self.env.registry.cursor() as cr:
            cr.execute("DELETE FROM isp_reseller_sms_move WHERE reseller_id = %s", (c["reseller"],))
            cr.execute("DELETE FROM isp_notify_message WHERE dedupe_key LIKE %s", (f"{self.KEY}%",))
            for model, res_id in (("isp.reseller", c["reseller"]), ("res.partner", c["partner"])):
                cr.execute(
                    "DELETE FROM mail_message WHERE model = %s AND res_id = %s", (model, res_id)
                )
                cr.execute(
                    "DELETE FROM mail_followers WHERE res_model = %s AND res_id = %s",
                    (model, res_id),
                )
            cr.execute("DELETE FROM isp_reseller WHERE id = %s", (c["reseller"],))
            cr.execute("DELETE FROM res_partner WHERE id = %s", (c["partner"],))
            cr.commit()  # pylint: disable=invalid-commit

    def test_concurrent_enqueues_never_overdraw(self):
        def enqueue(index, env):
            vals = {
                "channel": "sms",
                "recipient": f"+88017000000{index:02d}",
                "body": "x",
                "segments": 1,
                "isp_reseller_id": self.committed["reseller"],
                "dedupe_key": f"{self.KEY}:{index}",
            }
            return env["isp.notify.message"]._isp_create_deduplicated([vals]).state

        results = run_concurrently(self, self.THREADS, enqueue)
        self.assertEqual(
            sorted(results),
            ["cancelled"] * (self.THREADS - self.AFFORDABLE) + ["queued"] * self.AFFORDABLE,
        )
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            reseller = env["isp.reseller"].browse(self.committed["reseller"])
            self.assertEqual(reseller.sms_balance, 0)
