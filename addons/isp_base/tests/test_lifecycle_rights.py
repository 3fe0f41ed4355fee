import xmlrpc.client

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IspBaseCommon, IspBaseRpcCommon


@tagged("post_install", "-at_install")
class TestLifecycleRights(IspBaseCommon):
    """Who may move a subscription through its lifecycle, and that nobody can skip it."""

    def test_roles_without_lifecycle_rights(self):
        self._set_state(self.sub_karim, "active")
        for user in (self.user_support, self.user_recharge, self.user_technician):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.sub_karim.with_user(user).action_suspend("not theirs to do")
        self.assertEqual(self.sub_karim.state, "active")
        self.assertFalse(
            self.AuditLog.search(
                [("res_id", "=", self.sub_karim.id), ("new_value", "=", "suspended")]
            )
        )

    def test_staff_changes_status_but_only_managers_terminate(self):
        self.sub_karim.with_user(self.user_staff).action_activate()
        self.sub_karim.with_user(self.user_staff).action_suspend("overdue")
        self.assertEqual(self.sub_karim.state, "suspended")
        with self.assertRaises(AccessError):
            self.sub_karim.with_user(self.user_staff).action_terminate("closing")
        self.sub_karim.with_user(self.user_manager).action_terminate("closing")
        self.assertEqual(self.sub_karim.state, "terminated")

    def test_context_flag_does_not_open_the_state(self):
        sub = self.sub_karim.with_user(self.user_staff).with_context(isp_state_change=True)
        with self.assertRaises(UserError):
            sub.write({"state": "active"})
        with self.assertRaises(UserError):
            self.Subscription.with_user(self.user_staff).with_context(isp_state_change=True).create(
                {
                    "partner_id": self.subscriber_karim.id,
                    "package_id": self.package_home_10.id,
                    "username": "sneaky.active",
                    "state": "active",
                }
            )
        self.assertEqual(self.sub_karim.state, "draft")

    def test_only_managers_delete_subscribers(self):
        partner = self._create_subscriber("To Be Deleted", self.zone_mirpur)
        with self.assertRaises(UserError):
            partner.with_user(self.user_staff).unlink()
        self.assertTrue(partner.exists())
        partner.with_user(self.user_manager).unlink()
        self.assertFalse(partner.exists())

    def test_demo_generator_is_for_administrators(self):
        with self.assertRaises(AccessError):
            self.env["isp.demo.generator"].with_user(self.user_manager).generate(5, seed=1)
        self.assertFalse(self.env["res.partner"].search_count([("ref", "=like", "DEMO-%")]))


@tagged("post_install", "-at_install")
class TestLifecycleRightsRpc(IspBaseRpcCommon):
    def test_support_agent_cannot_suspend_over_rpc(self):
        self._set_state(self.sub_karim, "active")
        self._rpc_login(self.user_support)
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as cm:
            self._rpc(self.user_support, "isp.subscription", "action_suspend", [self.sub_karim.id])
        self.assertEqual(cm.exception.faultCode, 4)
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault):
            self._rpc(
                self.user_support,
                "isp.subscription",
                "write",
                [self.sub_karim.id],
                {"state": "suspended"},
                context={"isp_state_change": True},
            )
        self.sub_karim.invalidate_recordset(["state"])
        self.assertEqual(self.sub_karim.state, "active")
