import threading

from odoo import SUPERUSER_ID, api
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


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
        envs = [
            api.Environment(self.env.registry.cursor(), SUPERUSER_ID, {})
            for _i in range(self.THREADS)
        ]
        for env in envs:
            self.addCleanup(env.cr.close)
        barrier = threading.Barrier(self.THREADS, timeout=30)
        results = []

        def enqueue(index, env):
            vals = {
                "channel": "sms",
                "recipient": f"+88017000000{index:02d}",
                "body": "x",
                "segments": 1,
                "isp_reseller_id": self.committed["reseller"],
                "dedupe_key": f"{self.KEY}:{index}",
            }
            try:
                barrier.wait()
                for _attempt in range(100):
                    try:
                        message = env["isp.notify.message"]._isp_create_deduplicated([vals])
                        state = message.state
                        env.cr.commit()  # pylint: disable=invalid-commit
                        results.append(state)
                        return
                    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                        env.cr.rollback()
                        env.invalidate_all()
                results.append("gave up")
            except Exception as exc:  # reported by the assertion below
                env.cr.rollback()
                results.append(repr(exc))

        threads = [
            threading.Thread(target=enqueue, args=(index, env)) for index, env in enumerate(envs)
        ]
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
        self.assertEqual(
            sorted(results),
            ["cancelled"] * (self.THREADS - self.AFFORDABLE) + ["queued"] * self.AFFORDABLE,
        )
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            reseller = env["isp.reseller"].browse(self.committed["reseller"])
            self.assertEqual(reseller.sms_balance, 0)
