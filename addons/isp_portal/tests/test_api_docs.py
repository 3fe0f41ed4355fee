"""docs/API.md stays true: its example script runs against the test server over XML-RPC."""

import importlib.util
import json
from datetime import timedelta
from pathlib import Path

from odoo import Command, fields
from odoo.addons.isp_billing.tests.common import IspBillingCommon
from odoo.tests import HttpCase, tagged

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "api_example.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("isp_api_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestIntegratorApiDocs(IspBillingCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.integrator = cls._create_user(
            "isp_integrator",
            cls.env.ref("isp_billing.group_isp_billing"),
        )
        cls.integrator.groups_id = [Command.link(cls.group_manager.id)]
        cls.rpc_key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.integrator)
            ._generate("rpc", "integration test", fields.Datetime.now() + timedelta(days=1))
        )
        cls.paybill_record = cls.env["isp.paybill.key"].create({"name": "Example biller"})
        action = cls.paybill_record.action_generate_key()
        cls.paybill_key = action["params"]["message"].split("Key: ", 1)[1].split()[0]

    def test_example_script(self):
        self.assertTrue(EXAMPLE.exists(), EXAMPLE)
        lines = []
        result = _load_example().run(
            self.base_url(),
            self.env.cr.dbname,
            self.integrator.login,
            self.rpc_key,
            paybill_key=self.paybill_key,
            out=lines.append,
        )
        self.env.invalidate_all()
        subscription = self.env["isp.subscription"].browse(result["subscription_id"])
        self.assertEqual(subscription.state, "active", lines)
        self.assertEqual(result["state"], "active")
        self.assertTrue(subscription.partner_id.is_isp_subscriber)
        payments = self.env["account.payment"].search(
            [("partner_id", "=", subscription.partner_id.id), ("state", "!=", "draft")]
        )
        self.assertEqual(len(payments), 1, lines)
        self.assertIn("after action_suspend: suspended", lines)
        self.assertIn("after action_restore: active", lines)
        self.assertEqual(result["paybill"]["subscriptions"][0]["username"], subscription.username)

    def test_counter_payment_pays_the_invoice(self):
        """The documented payment call pays an open invoice and restores the subscriber."""
        sub = self.sub_karim
        sub.action_activate()
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": sub.partner_id.id,
                "isp_subscription_id": sub.id,
                "invoice_line_ids": [
                    Command.create({"name": "Internet", "price_unit": 500.0, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        sub.action_suspend(reason="overdue")
        odoo = _load_example().Odoo(
            self.base_url(), self.env.cr.dbname, self.integrator.login, self.rpc_key
        )
        dues = odoo.call(
            "account.move",
            "search_read",
            [
                ("isp_subscription_id", "=", sub.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ["not_paid", "partial"]),
            ],
            fields=["amount_residual"],
        )
        self.assertEqual([d["amount_residual"] for d in dues], [500.0])
        wizard_id = odoo.call(
            "isp.bill.payment",
            "create",
            {
                "mode": "quick",
                "subscription_id": sub.id,
                "payment_method": "cash",
                "amount": 500.0,
                "transaction_ref": "API-TEST-1",
            },
        )
        odoo.call("isp.bill.payment", "action_confirm", [wizard_id])
        self.env.invalidate_all()
        self.assertEqual(invoice.payment_state, "paid")
        odoo.call("isp.subscription", "action_restore", [sub.id])
        self.env.invalidate_all()
        self.assertEqual(sub.state, "active")

    def test_jsonrpc_call(self):
        """The documented /jsonrpc form of execute_kw."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.env.cr.dbname,
                    self.integrator.id,
                    self.rpc_key,
                    "isp.subscription",
                    "search_read",
                    [[["username", "=", "karim.mir"]]],
                    {"fields": ["state", "expiry_at"]},
                ],
            },
        }
        response = self.url_open(
            "/jsonrpc", data=json.dumps(payload), headers={"Content-Type": "application/json"}
        )
        result = response.json()["result"]
        self.assertEqual([r["id"] for r in result], self.sub_karim.ids)
        self.assertEqual(result[0]["state"], "draft")
