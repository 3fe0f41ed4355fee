from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import IspBaseCommon


@tagged("post_install", "-at_install")
class TestBulkAction(IspBaseCommon):
    def _wizard(self, subscriptions, action, user=None, **vals):
        Wizard = self.env["isp.subscription.bulk.action"].with_user(user or self.user_staff)
        return Wizard.with_context(
            active_model="isp.subscription", active_ids=subscriptions.ids
        ).create({"action": action, **vals})

    def _results(self, wizard):
        return {line.subscription_id: (line.result, line.message) for line in wizard.line_ids}

    def test_default_selection_from_context(self):
        subs = self.sub_karim | self.sub_rahima
        wizard = self._wizard(subs, "suspend")
        self.assertEqual(wizard.subscription_ids, subs)
        self.assertEqual(wizard.count_total, 2)
        other = (
            self.env["isp.subscription.bulk.action"]
            .with_context(active_model="res.partner", active_ids=self.subscriber_karim.ids)
            .create({"action": "suspend"})
        )
        self.assertFalse(other.subscription_ids)
        with self.assertRaises(UserError):
            other.action_apply()

    def test_suspend_partial_failure(self):
        active = self.env["isp.subscription"]
        for _i in range(5):
            active |= self._create_subscription_in_state("active")
        draft = self._create_subscription_in_state("draft")
        wizard = self._wizard(active | draft, "suspend", reason="Unpaid", batch_size=4)
        wizard.action_apply()
        self.assertEqual(wizard.state, "done")
        self.assertEqual((wizard.count_total, wizard.count_done, wizard.count_failed), (6, 5, 1))
        results = self._results(wizard)
        for subscription in active:
            self.assertEqual(results[subscription], ("done", False))
        result, message = results[draft]
        self.assertEqual(result, "failed")
        self.assertIn(draft.display_name, message)
        self.assertIn("Draft", message)
        self.assertEqual(set(active.mapped("state")), {"suspended"})
        self.assertEqual(set(active.mapped("state_reason")), {"Unpaid"})
        self.assertEqual(draft.state, "draft")

        bulk_rows = self._audit_rows(active | draft, "bulk_action")
        self.assertEqual(sorted(bulk_rows.mapped("res_id")), sorted(active.ids))
        self.assertEqual(set(bulk_rows.mapped("new_value")), {"suspend"})
        self.assertEqual(bulk_rows.user_id, self.user_staff)
        self.assertIn("Unpaid", bulk_rows[0].description)
        state_rows = self._audit_rows(active | draft, "state_change").filtered(
            lambda r: r.new_value == "suspended"
        )
        self.assertEqual(sorted(state_rows.mapped("res_id")), sorted(active.ids))
        self.assertFalse(self._audit_rows(draft, "state_change"))

    def test_archive_refuses_in_service(self):
        in_service = self._create_subscription_in_state("active")
        in_service |= self._create_subscription_in_state("suspended")
        archivable = (
            self._create_subscription_in_state("draft")
            | self._create_subscription_in_state("inactive")
            | self._create_subscription_in_state("expired")
            | self._create_subscription_in_state("terminated")
        )
        wizard = self._wizard(in_service | archivable, "archive")
        wizard.action_apply()
        results = self._results(wizard)
        for subscription in in_service:
            self.assertEqual(results[subscription][0], "failed")
            self.assertIn("still in service", results[subscription][1])
            self.assertTrue(subscription.active)
        for subscription in archivable:
            self.assertEqual(results[subscription], ("done", False))
            self.assertFalse(subscription.active)
        self.assertEqual(
            sorted(self._audit_rows(in_service | archivable, "bulk_action").mapped("res_id")),
            sorted(archivable.ids),
        )
        self.assertFalse(
            self.env["isp.subscription"].search([("id", "in", archivable.ids)]),
            "archived subscriptions leave the default lists",
        )

    def test_restore(self):
        suspended = self._create_subscription_in_state("suspended")
        suspended |= self._create_subscription_in_state("suspended")
        wizard = self._wizard(suspended, "restore")
        wizard.action_apply()
        self.assertEqual(wizard.count_done, 2)
        self.assertEqual(set(suspended.mapped("state")), {"active"})
        self.assertEqual(len(self._audit_rows(suspended, "bulk_action")), 2)

    def test_other_actions(self):
        drafts = self._create_subscription_in_state("draft")
        drafts |= self._create_subscription_in_state("draft")
        self._wizard(drafts, "activate").action_apply()
        self.assertEqual(set(drafts.mapped("state")), {"active"})
        self._wizard(drafts, "expire", reason="Test").action_apply()
        self.assertEqual(set(drafts.mapped("state")), {"expired"})
        self._wizard(drafts, "deactivate").action_apply()
        self.assertEqual(set(drafts.mapped("state")), {"inactive"})
        staff_terminate = self._wizard(drafts, "terminate")
        staff_terminate.action_apply()
        self.assertEqual(staff_terminate.count_failed, 2)
        self.assertIn("not allowed", staff_terminate.line_ids[0].message)
        self.assertEqual(set(drafts.mapped("state")), {"inactive"})
        self._wizard(drafts, "terminate", user=self.user_manager).action_apply()
        self.assertEqual(set(drafts.mapped("state")), {"terminated"})

    def test_support_agent_cannot_use_wizard(self):
        with self.assertRaises(AccessError):
            self._wizard(self.sub_karim, "suspend", user=self.user_support)
