# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import contextlib

from odoo.addons.isp_base.tests.common import IspBaseCommon
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestIpPool(IspBaseCommon):
    """IP pools never overlap in a company; static addresses are unique and allocated."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Pool = cls.env["isp.ip.pool"]
        cls.router = cls.env["isp.router"].create(
            {"name": "Test Mirpur BRAS", "host": "192.0.2.10", "management_mode": "radius"}
        )
        cls.dynamic = cls.Pool.create(
            {"name": "Mirpur PPPoE", "cidr": "10.10.0.0/16", "router_id": cls.router.id}
        )
        cls.static = cls.Pool.create(
            {"name": "Static Block", "cidr": "10.50.0.0/29", "purpose": "static"}
        )
        cls.v6 = cls.Pool.create(
            {
                "name": "Delegated v6",
                "ip_version": "6",
                "prefix": "2001:DB8:10::/48",
                "delegated_prefix_length": 56,
                "purpose": "static",
            }
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other ISP"})

    @contextlib.contextmanager
    def _refused(self, exception, pattern):
        """Like assertRaisesRegex, in a savepoint that is rolled back (Odoo's assertRaises)."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), pattern)

    def test_pool_fields(self):
        self.assertEqual(self.dynamic.router_pool_name, "mirpur-pppoe")
        self.assertEqual(self.dynamic.range_display, "10.10.0.0/16")
        self.assertEqual(self.dynamic.router_ranges, "10.10.0.1-10.10.255.254")
        self.assertEqual(self.dynamic.size, 65534)
        self.assertEqual(self.v6.prefix, "2001:db8:10::/48")  # normalised
        self.assertEqual(self.v6.size, 256)
        span = self.Pool.create(
            {"name": "CGNAT", "range_start": "100.64.0.10", "range_end": "100.64.0.20"}
        )
        self.assertEqual(span.range_display, "100.64.0.10-100.64.0.20")
        self.assertEqual(span.size, 11)

    def test_overlap_is_refused_with_names(self):
        with self._refused(ValidationError, r"Inner.*10\.10\.5\.0/24.*Mirpur PPPoE"):
            self.Pool.create({"name": "Inner", "cidr": "10.10.5.0/24"})
        with self._refused(ValidationError, "Static Block"):
            self.Pool.create(
                {"name": "Range", "range_start": "10.50.0.7", "range_end": "10.50.1.1"}
            )
        with self._refused(ValidationError, "Delegated v6"):
            self.Pool.create(
                {"name": "v6 inner", "ip_version": "6", "prefix": "2001:db8:10:ff00::/56"}
            )
        # moving an existing pool onto another is refused too
        pool = self.Pool.create({"name": "Elsewhere", "cidr": "172.16.0.0/24"})
        with self._refused(ValidationError, "Mirpur PPPoE"):
            pool.cidr = "10.10.0.0/24"
        # adjacent ranges, another company or an archived pool do not clash
        self.Pool.create({"name": "Adjacent", "cidr": "10.11.0.0/16"})
        self.Pool.create(
            {"name": "Theirs", "cidr": "10.10.0.0/16", "company_id": self.other_company.id}
        )
        pool.active = False
        pool.cidr = "10.10.0.0/24"
        with self._refused(ValidationError, "Mirpur PPPoE"):
            pool.active = True

    def test_bad_ranges_are_refused(self):
        for vals, message in (
            ({"cidr": "10.60.0.5/24"}, "not a valid IPv4 network"),
            ({"range_start": "10.60.0.9", "range_end": "10.60.0.1"}, "comes after"),
            ({}, "needs a network"),
            ({"ip_version": "6", "prefix": "2001:db8::/48", "delegated_prefix_length": 40}, "/40"),
            ({"ip_version": "6", "prefix": "10.0.0.0/8"}, "not a valid IPv6 prefix"),
        ):
            with self.subTest(vals=vals), self._refused(ValidationError, message):
                self.Pool.create({"name": "Bad", **vals})

    def test_static_addresses_unique_and_inside_static_pool(self):
        self.sub_karim.ipv4_address = "10.50.0.2"
        self.assertEqual(self.static.used_count, 1)
        self.assertAlmostEqual(self.static.usage_percent, 100 / 6)
        with self._refused(ValidationError, "already assigned"):
            self.sub_rahima.ipv4_address = "10.50.0.2"
        with self._refused(ValidationError, "outside every static IPv4 pool"):
            self.sub_rahima.ipv4_address = "192.168.7.7"
        with self._refused(ValidationError, "dynamic pool Mirpur PPPoE"):
            self.sub_rahima.ipv4_address = "10.10.0.9"
        self.sub_rahima.ipv6_prefix = "2001:db8:10:100::/56"
        with self._refused(ValidationError, "overlaps"):
            self.sub_sumon.ipv6_prefix = "2001:db8:10:100::/64"
        # a dynamic pool may not swallow an assigned static address
        with self._refused(ValidationError, "10.50.0.2"):
            self.static.purpose = "dynamic"
        with self._refused(ValidationError, "IPv6 pool"):
            self.sub_sumon.ip_pool_id = self.v6

    def test_allocate_next_free_dual_stack(self):
        self.sub_karim.ipv4_address = "10.50.0.1"
        self.sub_rahima.ipv6_prefix = "2001:db8:10::/56"
        subs = self.sub_sumon | self.sub_rahima
        subs.ipv6_pool_id = self.v6
        subs.action_allocate_ip()
        self.assertEqual(self.sub_sumon.ipv4_address, "10.50.0.2")
        self.assertEqual(self.sub_rahima.ipv4_address, "10.50.0.3")
        self.assertEqual(self.sub_rahima.ip_pool_id, self.static)
        self.assertEqual(self.sub_rahima.ipv6_prefix, "2001:db8:10::/56")  # kept
        self.assertEqual(self.sub_sumon.ipv6_prefix, "2001:db8:10:100::/56")
        # twice changes nothing
        result = self.sub_sumon.action_allocate_ip()
        self.assertEqual(result["params"]["type"], "info")
        self.assertEqual(self.sub_sumon.ipv4_address, "10.50.0.2")
        self.assertEqual(self.static._allocate(count=3), ["10.50.0.4", "10.50.0.5", "10.50.0.6"])
        with self._refused(UserError, "no free address"):
            self.static._allocate(count=4)

    def test_allocate_without_static_pool(self):
        self.static.active = False
        self.v6.active = False
        with self._refused(UserError, "No static pool"):
            self.sub_karim.action_allocate_ip()
