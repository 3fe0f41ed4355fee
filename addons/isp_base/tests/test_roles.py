import xmlrpc.client

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import IspBaseCommon, IspBaseRpcCommon


@tagged("post_install", "-at_install")
class TestRoles(IspBaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plain_contact = cls.env["res.partner"].create({"name": "Hardware Supplier Ltd"})
        cls.all_subs = cls.sub_karim | cls.sub_sumon | cls.sub_rahima
        cls.all_subscribers = cls.subscriber_karim | cls.subscriber_sumon | cls.subscriber_rahima

    def _visible_subscriptions(self, user):
        return self.Subscription.with_user(user).search([("id", "in", self.all_subs.ids)])

    def _visible_subscribers(self, user):
        return (
            self.env["res.partner"]
            .with_user(user)
            .search([("id", "in", (self.all_subscribers | self.plain_contact).ids)])
        )

    # ------------------------------------------------------------------
    # Support agent
    # ------------------------------------------------------------------
    def test_support_agent_sees_assigned_only(self):
        support = self.user_support
        self.assertEqual(self._visible_subscriptions(support), self.sub_karim | self.sub_sumon)
        self.assertEqual(
            self._visible_subscribers(support),
            self.subscriber_karim | self.subscriber_sumon | self.plain_contact,
        )
        with self.assertRaises(AccessError):
            self.sub_rahima.with_user(support).read(["username"])
        with self.assertRaises(AccessError):
            self.subscriber_rahima.with_user(support).read(["name"])
        other = self.user_support_other
        self.assertEqual(self._visible_subscriptions(other), self.sub_rahima)
        # Assigning the subscription moves it to the other agent's list.
        self.sub_karim.support_agent_id = other
        self.assertEqual(self._visible_subscriptions(support), self.sub_sumon)
        self.assertEqual(self._visible_subscriptions(other), self.sub_rahima | self.sub_karim)

    def test_support_agent_writes_assigned(self):
        support = self.user_support
        self.sub_karim.with_user(support).write({"note": "<p>Router replaced</p>"})
        self.assertIn("Router replaced", self.sub_karim.note)
        with self.assertRaises(AccessError):
            self.sub_karim.with_user(support).action_activate()
        self.assertEqual(self.sub_karim.state, "draft")
        self.subscriber_karim.with_user(support).write({"isp_area": "Section 2"})
        self.assertEqual(self.subscriber_karim.isp_area, "Section 2")
        with self.assertRaises(AccessError):
            self.sub_rahima.with_user(support).write({"note": "<p>x</p>"})
        with self.assertRaises(AccessError):
            self.sub_rahima.with_user(support).action_activate()
        with self.assertRaises(AccessError):
            self.subscriber_rahima.with_user(support).write({"isp_area": "Road 8"})

    def test_support_agent_cannot_create_or_unlink(self):
        support = self.user_support
        with self.assertRaises(AccessError):
            self.Subscription.with_user(support).create(
                {
                    "partner_id": self.subscriber_karim.id,
                    "package_id": self.package_home_10.id,
                    "username": "support.created",
                }
            )
        with self.assertRaises(AccessError):
            self.sub_karim.with_user(support).unlink()
        with self.assertRaises(AccessError):
            self.subscriber_karim.with_user(support).unlink()
        document = self.env["isp.kyc.document"].create(
            {
                "partner_id": self.subscriber_karim.id,
                "attachment_ids": [
                    Command.create({"name": "nid.png", "raw": b"fake", "mimetype": "image/png"})
                ],
            }
        )
        self.assertEqual(document.with_user(support).read(["state"])[0]["state"], "pending")
        with self.assertRaises(AccessError):
            document.with_user(support).unlink()
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(support).create(
                {"name": "New", "is_isp_subscriber": True, "mobile": "01711000999"}
            )
        self.assertTrue(self.sub_karim.exists())

    # ------------------------------------------------------------------
    # Field technician
    # ------------------------------------------------------------------
    def test_technician_sees_own_zones(self):
        tech = self.user_technician
        self.assertEqual(self._visible_subscriptions(tech), self.sub_karim | self.sub_sumon)
        self.assertEqual(
            self._visible_subscribers(tech),
            self.subscriber_karim | self.subscriber_sumon | self.plain_contact,
        )
        with self.assertRaises(AccessError):
            self.sub_rahima.with_user(tech).read(["username"])
        with self.assertRaises(AccessError):
            self.sub_karim.with_user(tech).write({"note": "<p>x</p>"})
        with self.assertRaises(AccessError):
            self.sub_karim.with_user(tech).action_suspend()
        with self.assertRaises(AccessError):
            self.subscriber_karim.with_user(tech).write({"isp_area": "x"})
        self.assertEqual(self.sub_karim.state, "draft")

    def test_technician_zone_change_applies_at_once(self):
        tech = self.user_technician
        self.assertEqual(self._visible_subscriptions(tech), self.sub_karim | self.sub_sumon)
        # From the user's side...
        tech.write({"isp_zone_ids": [Command.link(self.zone_dhanmondi.id)]})
        self.assertEqual(self._visible_subscriptions(tech), self.all_subs)
        self.assertIn(self.subscriber_rahima, self._visible_subscribers(tech))
        # ... and from the zone's side.
        self.zone_mirpur.write({"technician_ids": [Command.unlink(tech.id)]})
        self.assertEqual(self._visible_subscriptions(tech), self.sub_rahima)
        self.assertNotIn(self.subscriber_karim, self._visible_subscribers(tech))
        uttara = self._create_zone("Test Uttara", "T-UTT", technician_ids=[Command.set(tech.ids)])
        self.subscriber_karim.isp_zone_id = uttara
        self.assertEqual(self._visible_subscriptions(tech), self.sub_rahima | self.sub_karim)

    # ------------------------------------------------------------------
    # Recharge agent, staff, manager
    # ------------------------------------------------------------------
    def test_recharge_agent_reads_all_writes_none(self):
        recharge = self.user_recharge
        self.assertEqual(self._visible_subscriptions(recharge), self.all_subs)
        self.assertEqual(
            self._visible_subscribers(recharge), self.all_subscribers | self.plain_contact
        )
        with self.assertRaises(AccessError):
            self.sub_karim.with_user(recharge).write({"note": "<p>x</p>"})
        with self.assertRaises(AccessError):
            self.sub_karim.with_user(recharge).action_activate()
        with self.assertRaises(AccessError):
            self.subscriber_karim.with_user(recharge).write({"isp_area": "x"})
        with self.assertRaises(AccessError):
            self.Subscription.with_user(recharge).create(
                {
                    "partner_id": self.subscriber_karim.id,
                    "package_id": self.package_home_10.id,
                    "username": "recharge.created",
                }
            )
        with self.assertRaises(AccessError):
            self.sub_karim.with_user(recharge).unlink()

    def test_staff_crud_without_unlink(self):
        staff = self.user_staff
        self.assertEqual(self._visible_subscriptions(staff), self.all_subs)
        partner = (
            self.env["res.partner"]
            .with_user(staff)
            .create(
                {
                    "name": "Staff Created",
                    "is_isp_subscriber": True,
                    "mobile": "01711000998",
                    "isp_zone_id": self.zone_mirpur.id,
                }
            )
        )
        subscription = self.Subscription.with_user(staff).create(
            {
                "partner_id": partner.id,
                "package_id": self.package_home_10.id,
                "username": "staff.created",
            }
        )
        subscription.write({"support_agent_id": self.user_support.id})
        subscription.action_activate()
        self.assertEqual(subscription.state, "active")
        draft = self.Subscription.with_user(staff).browse(self.sub_rahima.id)
        with self.assertRaises(AccessError):
            draft.unlink()
        self.assertTrue(self.sub_rahima.exists())

    def test_manager_unlinks(self):
        self.sub_rahima.with_user(self.user_manager).unlink()
        self.assertFalse(self.sub_rahima.exists())

    def test_audit_log_manager_only(self):
        self.sub_karim.action_activate()
        logs = (
            self.env["isp.audit.log"]
            .with_user(self.user_manager)
            .search([("res_model", "=", "isp.subscription"), ("res_id", "=", self.sub_karim.id)])
        )
        self.assertEqual(logs.mapped("action"), ["state_change"])
        for user in (self.user_staff, self.user_support, self.user_recharge, self.user_technician):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["isp.audit.log"].with_user(user).search([])

    def test_packages_and_zones_manager_only(self):
        vals = {"name": "Role Package", "is_isp_package": True, "type": "service"}
        for user in (self.user_staff, self.user_support, self.user_recharge, self.user_technician):
            with self.subTest(user=user.login):
                # Everyone reads the packages (to sell or look them up) ...
                packages = (
                    self.env["product.product"]
                    .with_user(user)
                    .search([("is_isp_package", "=", True), ("default_code", "like", "T-%")])
                )
                self.assertEqual(len(packages), 3)
                # ... but only managers define them, and the zones.
                with self.assertRaises(AccessError):
                    self.env["product.template"].with_user(user).create(vals)
                with self.assertRaises(AccessError):
                    self.package_home_10.product_tmpl_id.with_user(user).write({"list_price": 1})
                with self.assertRaises(AccessError):
                    self.env["isp.zone"].with_user(user).create({"name": "Z", "code": "T-Z"})
                with self.assertRaises(AccessError):
                    self.zone_mirpur.with_user(user).write({"name": "Renamed"})
        template = self.env["product.template"].with_user(self.user_manager).create(vals)
        self.assertTrue(template.product_variant_id)
        zone = (
            self.env["isp.zone"].with_user(self.user_manager).create({"name": "Z", "code": "T-Z"})
        )
        self.assertEqual(zone.company_id, self.env.company)

    def test_package_changes_visibility(self):
        change = self.env["isp.package.change"].create(
            {"subscription_id": self.sub_rahima.id, "new_package_id": self.package_home_10.id}
        )
        Change = self.env["isp.package.change"]
        self.assertEqual(Change.with_user(self.user_support_other).search([]), change)
        self.assertFalse(Change.with_user(self.user_support).search([]))
        with self.assertRaises(AccessError):
            Change.with_user(self.user_support).create(
                {"subscription_id": self.sub_karim.id, "new_package_id": self.package_home_20.id}
            )
        staff_change = Change.with_user(self.user_staff).create(
            {"subscription_id": self.sub_karim.id, "new_package_id": self.package_home_20.id}
        )
        self.assertEqual(staff_change.state, "applied")
        self.assertEqual(self.sub_karim.package_id, self.package_home_20)

    def test_every_role_opens_the_forms_it_sees(self):
        """The subscription and subscriber forms load for every role (web_read of the view)."""
        change = self.env["isp.package.change"].create(
            {"subscription_id": self.sub_karim.id, "new_package_id": self.package_home_20.id}
        )
        self.assertEqual(change.state, "applied")
        roles = (
            self.user_manager,
            self.user_staff,
            self.user_support,
            self.user_recharge,
            self.user_technician,
        )
        for user in roles:
            with self.subTest(user=user.login):
                form = Form(self.sub_karim.with_user(user))
                self.assertEqual(form.username, "karim.mir")
                self.assertEqual(len(form.package_change_ids), 1)
                form = Form(self.subscriber_karim.with_user(user))
                self.assertEqual(form.isp_customer_code, self.subscriber_karim.isp_customer_code)

    def test_other_internal_users_open_contacts(self):
        """Employees without an ISP role (sales, accounting...) still open any contact."""
        employee = self.env["res.users"].create(
            {
                "name": "Accountant",
                "login": "accountant",
                "groups_id": [Command.set(self.group_user.ids)],
            }
        )
        for partner in (self.plain_contact, self.subscriber_karim):
            with self.subTest(partner=partner.name):
                form = Form(partner.with_user(employee))
                self.assertEqual(form.name, partner.name)
        with self.assertRaises(AccessError):
            self.Subscription.with_user(employee).search([])


@tagged("post_install", "-at_install")
class TestRolesRpc(IspBaseRpcCommon):
    """The record rules hold over XML-RPC, where a client picks ids and methods freely."""

    def test_support_agent_over_rpc(self):
        support = self.user_support
        self._rpc_login(support)
        ids = self._rpc(support, "isp.subscription", "search", [])
        self.assertEqual(sorted(ids), sorted((self.sub_karim | self.sub_sumon).ids))
        records = self._rpc(
            support, "isp.subscription", "read", [self.sub_karim.id], fields=["username"]
        )
        self.assertEqual(records[0]["username"], "karim.mir")
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as cm:
            self._rpc(
                support, "isp.subscription", "read", [self.sub_rahima.id], fields=["username"]
            )
        self.assertEqual(cm.exception.faultCode, 4)  # AccessError
        self.assertNotIn("rahima.dhn", cm.exception.faultString)
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as cm:
            self._rpc(
                support, "isp.subscription", "write", [self.sub_rahima.id], {"note": "hacked"}
            )
        self.assertEqual(cm.exception.faultCode, 4)
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as cm:
            self._rpc(support, "isp.subscription", "action_reveal_password", [self.sub_rahima.id])
        self.assertEqual(cm.exception.faultCode, 4)
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as cm:
            self._rpc(
                support,
                "isp.subscription",
                "read",
                [self.sub_karim.id],
                fields=["password_encrypted"],
            )
        self.assertEqual(cm.exception.faultCode, 4)
        # The assigned one is writable.
        self.assertTrue(
            self._rpc(
                support,
                "isp.subscription",
                "write",
                [self.sub_karim.id],
                {"note": "<p>Called back</p>"},
            )
        )
        self.sub_karim.invalidate_recordset(["note"])
        self.assertIn("Called back", self.sub_karim.note)
        self.sub_rahima.invalidate_recordset(["note"])
        self.assertFalse(self.sub_rahima.note)

    def test_technician_over_rpc(self):
        tech = self.user_technician
        self._rpc_login(tech)
        ids = self._rpc(tech, "isp.subscription", "search", [])
        self.assertEqual(sorted(ids), sorted((self.sub_karim | self.sub_sumon).ids))
        partner_ids = self._rpc(tech, "res.partner", "search", [("is_isp_subscriber", "=", True)])
        self.assertEqual(
            sorted(partner_ids), sorted((self.subscriber_karim | self.subscriber_sumon).ids)
        )
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as cm:
            self._rpc(tech, "isp.subscription", "read", [self.sub_rahima.id], fields=["name"])
        self.assertEqual(cm.exception.faultCode, 4)
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as cm:
            self._rpc(tech, "isp.subscription", "write", [self.sub_karim.id], {"note": "x"})
        self.assertEqual(cm.exception.faultCode, 4)
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as cm:
            self._rpc(tech, "isp.subscription", "action_suspend", [self.sub_karim.id])
        self.assertEqual(cm.exception.faultCode, 4)
        self.sub_karim.invalidate_recordset()
        self.assertEqual(self.sub_karim.state, "draft")
        self.assertFalse(self.sub_karim.note)
