"""Shared fixtures of the ISP suite's Odoo tests.

:class:`IspBaseCommon` builds a small ISP once per test class: two zones in
Dhaka, three packages, three subscribers with one subscription each, and one
user per ISP role. Tests of other addons subclass it::

    from odoo.addons.isp_base.tests.common import IspBaseCommon

    @tagged("post_install", "-at_install")
    class TestInvoicing(IspBaseCommon):
        @classmethod
        def setUpClass(cls):
            super().setUpClass()
            cls.sub = cls._create_subscription(cls.subscriber_karim, cls.package_home_10)

Everything is created by the superuser environment ``cls.env`` inside the test
transaction, which is rolled back at the end of the class. Users log in with
:attr:`IspBaseCommon.PASSWORD`; :class:`IspBaseRpcCommon` adds XML-RPC helpers.

Helpers: ``_create_zone``, ``_create_package``, ``_create_subscriber``,
``_create_subscription``, ``_create_subscription_in_state`` / ``_set_state``
(through the lifecycle actions), ``_create_user``; ``_audit_rows``, ``_raw_value``
(the stored column, read with SQL), ``_flush_tracking``, ``_patch_cron_commit``
(run crons that commit per batch) and ``assertRaisesNoRollback`` (prove that a
refused call wrote nothing: Odoo's ``assertRaises`` rolls back to a savepoint).
"""

import contextlib
import itertools
import unittest
from unittest.mock import patch

from odoo import Command
from odoo.tests.common import HttpCase, TransactionCase

from ..lib import subscription_state

# Actions that bring a draft subscription to each state, in order.
PATH_TO_STATE = {
    "draft": (),
    "active": ("activate",),
    "suspended": ("activate", "suspend"),
    "expired": ("activate", "expire"),
    "inactive": ("deactivate",),
    "terminated": ("terminate",),
}
assert set(PATH_TO_STATE) == set(subscription_state.STATE_LABELS)


def shown_menu_ids(user):
    """Ids of the menus the web client shows ``user``: reachable from one of their apps."""
    menus = user.env["ir.ui.menu"].with_user(user).load_menus(debug=False)
    shown, todo = set(), list(menus["root"]["children"])
    while todo:
        menu_id = todo.pop()
        shown.add(menu_id)
        todo.extend(menus[menu_id]["children"])
    return shown


class IspBaseCommon(TransactionCase):
    """A small ISP: zones, packages, subscribers, subscriptions and role users.

    Records (all created in :meth:`setUpClass`):

    * ``zone_mirpur`` (code ``T-MIR``, thana Mirpur Model) and ``zone_dhanmondi``
      (code ``T-DHN``, thana Dhanmondi), both in Dhaka;
    * packages (``product.product`` variants, ``is_isp_package``):
      ``package_home_10`` (PPPoE 10/10 Mbps, 30 days, code ``T-HOME-10``),
      ``package_home_20`` (PPPoE 20/20 Mbps, 30 days, ``T-HOME-20``) and
      ``package_hotspot_day`` (hotspot 5/2 Mbps, 1 day, ``T-HS-DAY``);
    * subscribers (``res.partner``, ``is_isp_subscriber``): ``subscriber_karim``
      and ``subscriber_sumon`` in Mirpur, ``subscriber_rahima`` in Dhanmondi;
    * draft subscriptions: ``sub_karim`` (home 10, ``karim.mir``, password
      :attr:`KARIM_PASSWORD`, support agent ``user_support``), ``sub_sumon``
      (hotspot, ``sumon.hs``, ``user_support``) and ``sub_rahima`` (home 20,
      ``rahima.dhn``, support agent ``user_support_other``);
    * users with only *Internal User* and their role: ``user_manager`` (ISP
      Manager), ``user_staff`` (ISP Staff), ``user_support`` and
      ``user_support_other`` (Support Agent), ``user_recharge`` (Recharge Agent)
      and ``user_technician`` (Field Technician, zone Mirpur).
    """

    PASSWORD = "Isp-Test-Pa55word"
    KARIM_PASSWORD = "Karim-Secret-42"

    _mobile_counter = itertools.count(1)
    _username_counter = itertools.count(1)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Subscription = cls.env["isp.subscription"]
        cls.AuditLog = cls.env["isp.audit.log"]
        cls.thana_mirpur = cls.env.ref("isp_base.thana_dhaka_mirpur_model")
        cls.thana_dhanmondi = cls.env.ref("isp_base.thana_dhaka_dhanmondi")
        cls.district_dhaka = cls.env.ref("isp_base.district_dhaka")
        cls.division_dhaka = cls.env.ref("isp_base.division_dhaka")

        cls.zone_mirpur = cls._create_zone("Test Mirpur", "T-MIR", cls.thana_mirpur)
        cls.zone_dhanmondi = cls._create_zone("Test Dhanmondi", "T-DHN", cls.thana_dhanmondi)

        cls.package_home_10 = cls._create_package("Test Home 10 Mbps", "T-HOME-10", 10, 10)
        cls.package_home_20 = cls._create_package("Test Home 20 Mbps", "T-HOME-20", 20, 20)
        cls.package_hotspot_day = cls._create_package(
            "Test Hotspot Day", "T-HS-DAY", 5, 2, validity_days=1, connection_type="hotspot"
        )

        cls.group_user = cls.env.ref("base.group_user")
        cls.group_manager = cls.env.ref("isp_base.group_isp_manager")
        cls.group_staff = cls.env.ref("isp_base.group_isp_staff")
        cls.group_support = cls.env.ref("isp_base.group_isp_support_agent")
        cls.group_recharge = cls.env.ref("isp_base.group_isp_recharge_agent")
        cls.group_technician = cls.env.ref("isp_base.group_isp_field_technician")
        cls.user_manager = cls._create_user("isp_manager", cls.group_manager)
        cls.user_staff = cls._create_user("isp_staff", cls.group_staff)
        cls.user_support = cls._create_user("isp_support", cls.group_support)
        cls.user_support_other = cls._create_user("isp_support_other", cls.group_support)
        cls.user_recharge = cls._create_user("isp_recharge", cls.group_recharge)
        cls.user_technician = cls._create_user(
            "isp_technician",
            cls.group_technician,
            isp_zone_ids=[Command.set(cls.zone_mirpur.ids)],
        )

        cls.subscriber_karim = cls._create_subscriber("Karim Hossain", cls.zone_mirpur)
        cls.subscriber_sumon = cls._create_subscriber("Sumon Ahmed", cls.zone_mirpur)
        cls.subscriber_rahima = cls._create_subscriber("Rahima Begum", cls.zone_dhanmondi)
        cls.sub_karim = cls._create_subscription(
            cls.subscriber_karim,
            cls.package_home_10,
            username="karim.mir",
            password=cls.KARIM_PASSWORD,
            support_agent_id=cls.user_support.id,
        )
        cls.sub_sumon = cls._create_subscription(
            cls.subscriber_sumon,
            cls.package_hotspot_day,
            username="sumon.hs",
            support_agent_id=cls.user_support.id,
        )
        cls.sub_rahima = cls._create_subscription(
            cls.subscriber_rahima,
            cls.package_home_20,
            username="rahima.dhn",
            support_agent_id=cls.user_support_other.id,
        )
        cls._flush_tracking()

    # ------------------------------------------------------------------
    # Factories
    # ------------------------------------------------------------------
    @classmethod
    def _create_zone(cls, name, code, thana=None, **vals):
        return cls.env["isp.zone"].create(
            {"name": name, "code": code, "thana_id": thana.id if thana else False, **vals}
        )

    @classmethod
    def _create_package(
        cls, name, code, download, upload, validity_days=30, connection_type="pppoe", **vals
    ):
        """Create an ISP package and return its ``product.product`` variant."""
        template = cls.env["product.template"].create(
            {
                "name": name,
                "default_code": code,
                "is_isp_package": True,
                "type": "service",
                "list_price": 10 * download,
                "isp_connection_type": connection_type,
                "isp_download_mbps": download,
                "isp_upload_mbps": upload,
                "isp_validity_days": validity_days,
                **vals,
            }
        )
        return template.product_variant_id

    @classmethod
    def _next_mobile(cls):
        """A fresh valid mobile number in the local form 01XXXXXXXXX."""
        return f"0171{next(cls._mobile_counter):07d}"

    @classmethod
    def _create_subscriber(cls, name, zone, mobile=None, **vals):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_isp_subscriber": True,
                "mobile": mobile or cls._next_mobile(),
                "isp_zone_id": zone.id if zone else False,
                **vals,
            }
        )

    @classmethod
    def _create_subscription(cls, partner, package, username=None, **vals):
        """Create a draft subscription; a username is made up when not given."""
        if username is None:
            username = f"test.user{next(cls._username_counter)}"
        return cls.env["isp.subscription"].create(
            {"partner_id": partner.id, "package_id": package.id, "username": username, **vals}
        )

    @classmethod
    def _create_user(cls, login, role_group, **vals):
        """Create an internal user having only *Internal User* and ``role_group``."""
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True, mail_create_nosubscribe=True)
            .create(
                {
                    "name": login.replace("_", " ").title(),
                    "login": login,
                    "email": f"{login}@example.com",
                    "password": cls.PASSWORD,
                    "groups_id": [Command.set([cls.group_user.id, role_group.id])],
                    **vals,
                }
            )
        )

    @classmethod
    def _set_state(cls, subscriptions, state):
        """Bring draft ``subscriptions`` to ``state`` through the lifecycle actions."""
        for action in PATH_TO_STATE[state]:
            getattr(subscriptions, f"action_{action}")()
        return subscriptions

    @classmethod
    def _create_subscription_in_state(cls, state, partner=None, package=None, **vals):
        subscription = cls._create_subscription(
            partner or cls.subscriber_karim, package or cls.package_home_10, **vals
        )
        return cls._set_state(subscription, state)

    # ------------------------------------------------------------------
    # Inspection helpers
    # ------------------------------------------------------------------
    def _audit_rows(self, records, action=None):
        """Audit rows of ``records`` (any model), newest first."""
        domain = [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        if action:
            domain.append(("action", "=", action))
        return self.env["isp.audit.log"].sudo().search(domain)

    def _raw_value(self, record, column):
        """The value stored in the database for ``column`` of ``record`` (after a flush)."""
        self.env.flush_all()
        self.env.cr.execute(
            f'SELECT "{column}" FROM "{record._table}" WHERE id = %s',
            (record.id,),
        )
        return self.env.cr.fetchone()[0]

    @classmethod
    def _flush_tracking(cls):
        """Run the pending precommit hooks: chatter tracking of the changes so far.

        Mail skips tracking records created in the same, uncommitted, transaction.
        Call it at the end of ``setUpClass`` after creating records whose later
        changes a test checks in the chatter (IspBaseCommon does it for its own).
        """
        cls.env.flush_all()
        cls.env.cr.flush()

    def _patch_cron_commit(self):
        """Context manager making ``cr.commit()`` a no-op, to run a cron method that
        commits per batch inside the test transaction (where committing is forbidden)."""
        return patch.object(self.env.cr, "commit", lambda: None)

    @contextlib.contextmanager
    def assertRaisesNoRollback(self, exception):
        """Like ``assertRaises`` but without Odoo's savepoint: whatever the failing
        call wrote before raising stays visible, so a test can prove it wrote nothing."""
        with unittest.TestCase.assertRaises(self, exception) as cm:
            yield cm


class IspBaseRpcCommon(IspBaseCommon, HttpCase):
    """:class:`IspBaseCommon` plus XML-RPC helpers, to check what a client sees.

    The HTTP worker shares the test cursor, so the records of ``setUpClass`` are
    visible to the requests and rolled back with the test.
    """

    def _rpc_login(self, user):
        """Authenticate ``user`` over XML-RPC and return its uid."""
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, user.login, self.PASSWORD, {})
        self.assertEqual(uid, user.id)
        return uid

    def _rpc(self, user, model, method, *args, **kwargs):
        """``execute_kw`` as ``user``: positional ``args`` and keyword ``kwargs``."""
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, self.PASSWORD, model, method, list(args), kwargs
        )
