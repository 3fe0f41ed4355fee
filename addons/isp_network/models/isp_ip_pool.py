import bisect
import ipaddress
import re
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib import ipam

POOL_NAME_RE = re.compile(r"[^a-z0-9_.-]+")


class IspIpPool(models.Model):
    """An IPv4 range or an IPv6 prefix the ISP hands out, on a router or in a zone.

    Pools of one company never overlap. ``purpose`` says how addresses leave the pool:
    ``dynamic`` ones are leased by the router (RADIUS sends ``router_pool_name`` as
    Framed-Pool), ``static`` ones are assigned to subscriptions one by one (next free
    address), ``suspended`` is where suspended subscribers land in the walled garden.
    """

    _name = "isp.ip.pool"
    _description = "IP Pool"
    _inherit = ["mail.thread"]
    _order = "ip_version, sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    router_id = fields.Many2one(
        "isp.router",
        index=True,
        tracking=True,
        ondelete="set null",
        check_company=True,
        help="Router that leases this pool. Leave empty for a pool shared by the zone.",
    )
    zone_id = fields.Many2one("isp.zone", index=True, tracking=True, check_company=True)
    ip_version = fields.Selection(
        [("4", "IPv4"), ("6", "IPv6")], string="IP Version", required=True, default="4"
    )
    purpose = fields.Selection(
        [("dynamic", "Dynamic"), ("static", "Static"), ("suspended", "Suspended")],
        required=True,
        default="dynamic",
        tracking=True,
        help="Dynamic: the router leases addresses. Static: addresses are assigned to "
        "subscriptions. Suspended: suspended subscribers get an address from here and are "
        "redirected to the pay page.",
    )
    cidr = fields.Char(string="Network (CIDR)", tracking=True, help="For example 10.10.0.0/16.")
    range_start = fields.Char(string="First Address", tracking=True)
    range_end = fields.Char(string="Last Address", tracking=True)
    prefix = fields.Char(string="IPv6 Prefix", tracking=True, help="For example 2001:db8:10::/48.")
    delegated_prefix_length = fields.Integer(
        default=56,
        tracking=True,
        help="Length of the prefix each subscriber gets from this IPv6 pool (56 or 64).",
    )
    router_pool_name = fields.Char(
        compute="_compute_router_pool_name",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        tracking=True,
        help="Name of the pool on the router, sent to it as Framed-Pool.",
    )
    range_display = fields.Char(string="Range", compute="_compute_range_display")
    router_ranges = fields.Char(
        compute="_compute_range_display",
        help="The usable addresses as the router's /ip/pool 'ranges' (first-last).",
    )
    size = fields.Float(
        string="Capacity",
        compute="_compute_usage",
        digits=(20, 0),
        help="Usable addresses (IPv4) or delegated prefixes (IPv6) in the pool.",
    )
    used_count = fields.Integer(string="Assigned", compute="_compute_usage")
    usage_percent = fields.Float(string="Usage (%)", compute="_compute_usage")
    note = fields.Text()

    @api.depends("name")
    def _compute_router_pool_name(self):
        for pool in self:
            if not pool.router_pool_name and pool.name:
                pool.router_pool_name = POOL_NAME_RE.sub("-", pool.name.lower()).strip("-")

    @api.depends("ip_version", "cidr", "range_start", "range_end", "prefix")
    def _compute_range_display(self):
        for pool in self:
            rng = pool._get_range(raise_error=False)
            pool.range_display = str(rng) if rng else False
            if rng and rng.version == 4:
                first, last = rng.usable()
                pool.router_ranges = f"{ipaddress.IPv4Address(first)}-{ipaddress.IPv4Address(last)}"
            else:
                pool.router_ranges = str(rng) if rng else False

    @api.depends("ip_version", "cidr", "range_start", "range_end", "prefix")
    @api.depends_context("company")
    def _compute_usage(self):
        used_by_company = self._get_used_addresses()
        for pool in self:
            rng = pool._get_range(raise_error=False)
            if not rng:
                pool.size = pool.used_count = pool.usage_percent = 0
                continue
            used = used_by_company[pool.company_id.id][rng.version]
            if rng.version == 4:
                first, last = rng.usable()
                size = max(last - first + 1, 0)
                count = bisect.bisect_right(used, last) - bisect.bisect_left(used, first)
            else:
                length = pool.delegated_prefix_length or 128
                size = 2 ** max(length - rng.network.prefixlen, 0)
                count = bisect.bisect_right(used, rng.last) - bisect.bisect_left(used, rng.first)
            pool.size = size
            pool.used_count = count
            pool.usage_percent = 100.0 * count / size if size else 0.0

    def _get_used_addresses(self):
        """``{company id: {4: sorted ints, 6: sorted ints}}`` of the static assignments.

        IPv6 prefixes count by their first address. One query for all companies of ``self``.
        """
        result = defaultdict(lambda: {4: [], 6: []})
        companies = self.company_id.ids
        if not companies:
            return result
        rows = (
            self.env["isp.subscription"]
            .sudo()
            .with_context(active_test=False)
            .search_read(
                [
                    ("company_id", "in", companies),
                    "|",
                    ("ipv4_address", "!=", False),
                    ("ipv6_prefix", "!=", False),
                ],
                ["company_id", "ipv4_address", "ipv6_prefix"],
            )
        )
        for row in rows:
            used = result[row["company_id"][0]]
            for value, version in ((row["ipv4_address"], 4), (row["ipv6_prefix"], 6)):
                if not value:
                    continue
                try:
                    used[version].append(int(ipaddress.ip_network(value, strict=False)[0]))
                except ValueError:
                    continue
        for used in result.values():
            used[4].sort()
            used[6].sort()
        return result

    def _get_range(self, raise_error=True):
        """The pool as an :class:`ipam.AddressRange` (``None`` if invalid and not raising)."""
        self.ensure_one()
        try:
            if self.ip_version == "6":
                return ipam.parse_v6_prefix(self.prefix, self.delegated_prefix_length or None)
            return ipam.parse_v4_range(self.cidr, self.range_start, self.range_end)
        except ipam.IpamError as exc:
            if raise_error:
                raise ValidationError(self._ipam_message(exc)) from exc
            return None

    def _ipam_message(self, exc):
        """A translated message for an :class:`ipam.IpamError` raised about this pool."""
        params = exc.params
        code = exc.code
        if code == "invalid_cidr":
            return _(
                "%(value)s is not a valid IPv4 network (CIDR), for example 10.10.0.0/16.",
                value=params.get("value"),
            )
        if code == "missing_range":
            return _(
                "IPv4 pool %(pool)s needs a network (CIDR) or a first and a last address.",
                pool=self.display_name,
            )
        if code == "reversed_range":
            return _(
                "In pool %(pool)s the first address %(start)s comes after the last "
                "address %(end)s.",
                pool=self.display_name,
                start=params.get("start"),
                end=params.get("end"),
            )
        if code == "invalid_address":
            return _("%(value)s is not a valid IP address.", value=params.get("value"))
        if code == "wrong_version":
            return _(
                "%(value)s is not an IPv%(version)s address.",
                value=params.get("value"),
                version=params.get("version"),
            )
        if code == "missing_prefix":
            return _(
                "IPv6 pool %(pool)s needs a prefix, for example 2001:db8:10::/48.",
                pool=self.display_name,
            )
        if code == "invalid_prefix":
            return _(
                "%(value)s is not a valid IPv6 prefix (no host bits), for example "
                "2001:db8:10::/48.",
                value=params.get("value"),
            )
        if code == "invalid_delegated_length":
            return _(
                "The delegated prefix length /%(length)s of pool %(pool)s must lie between "
                "the pool's own prefix length and /128.",
                length=params.get("length"),
                pool=self.display_name,
            )
        if code == "missing_delegated_length":
            return _(
                "Set the delegated prefix length of IPv6 pool %(pool)s.",
                pool=self.display_name,
            )
        if code == "exhausted":
            return _(
                "Pool %(pool)s (%(range)s) has no free address left (%(free)s free, "
                "%(count)s asked).",
                pool=self.display_name,
                range=params.get("pool"),
                free=params.get("free"),
                count=params.get("count"),
            )
        return exc.message

    @api.constrains("ip_version", "cidr", "range_start", "range_end", "prefix")
    def _check_range(self):
        for pool in self:
            pool._get_range()
            if pool.ip_version == "4" and pool.prefix:
                raise ValidationError(
                    _("IPv4 pool %(pool)s cannot have an IPv6 prefix.", pool=pool.display_name)
                )
            if pool.ip_version == "6" and (pool.cidr or pool.range_start or pool.range_end):
                raise ValidationError(
                    _(
                        "IPv6 pool %(pool)s takes a prefix, not an IPv4 range.",
                        pool=pool.display_name,
                    )
                )

    @api.constrains(
        "ip_version",
        "cidr",
        "range_start",
        "range_end",
        "prefix",
        "delegated_prefix_length",
        "company_id",
        "active",
    )
    def _check_no_overlap(self):
        """No two active pools of a company overlap, whatever their router or zone."""
        pools = self.filtered("active")
        if not pools:
            return
        others = self.sudo().search(
            [("company_id", "in", pools.company_id.ids), ("id", "not in", pools.ids)]
        )
        ranges = {}
        for pool in pools | others:
            rng = pool._get_range(raise_error=pool in pools)
            if rng:
                ranges[pool] = rng
        for first, second in ipam.find_overlaps(ranges):
            if first.company_id != second.company_id or not ({first, second} & set(pools)):
                continue
            pool, other = (first, second) if first in pools else (second, first)
            raise ValidationError(
                _(
                    "IP pool %(pool)s (%(range)s) overlaps pool %(other)s (%(other_range)s). "
                    "Pools of one company may not share addresses.",
                    pool=pool.display_name,
                    range=ranges[pool],
                    other=other.display_name,
                    other_range=ranges[other],
                )
            )

    @api.constrains("purpose", "ip_version", "cidr", "range_start", "range_end", "prefix")
    def _check_static_assignments(self):
        """A dynamic or suspended pool may not cover an address assigned to a subscription."""
        pools = self.filtered(lambda p: p.active and p.purpose != "static")
        if not pools:
            return
        used_by_company = pools._get_used_addresses()
        for pool in pools:
            rng = pool._get_range()
            used = used_by_company[pool.company_id.id][rng.version]
            index = bisect.bisect_left(used, rng.first)
            if index < len(used) and used[index] <= rng.last:
                address = ipaddress.ip_address(used[index])
                raise ValidationError(
                    _(
                        "Pool %(pool)s (%(range)s) covers %(address)s, a static address of a "
                        "subscription. Make it a static pool or leave that address out.",
                        pool=pool.display_name,
                        range=rng,
                        address=address,
                    )
                )

    @api.model
    def _normalize_vals(self, vals):
        vals = dict(vals)
        for field_name in ("cidr", "range_start", "range_end", "prefix", "router_pool_name"):
            if isinstance(vals.get(field_name), str):
                vals[field_name] = vals[field_name].strip() or False
        if vals.get("prefix"):
            # a bad prefix stays as typed: the constraint reports it in the user's language
            vals["prefix"] = ipam.normalize_v6_prefix_or_keep(vals["prefix"])
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._normalize_vals(vals) for vals in vals_list])

    def write(self, vals):
        return super().write(self._normalize_vals(vals))

    # ------------------------------------------------------------------
    # Allocation
    # ------------------------------------------------------------------
    def _allocate(self, count=1, exclude=()):
        """The ``count`` next free addresses (IPv4) or delegated prefixes (IPv6) of the pool.

        Free means not assigned to any subscription of the company (archived ones too)
        and not in ``exclude``. Nothing is written: the caller assigns the values, and the
        subscription's uniqueness constraint catches a concurrent allocation.
        """
        self.ensure_one()
        rng = self._get_range()
        rows = (
            self.env["isp.subscription"]
            .sudo()
            .with_context(active_test=False)
            .search_read(
                [
                    ("company_id", "=", self.company_id.id),
                    ("ipv4_address" if rng.version == 4 else "ipv6_prefix", "!=", False),
                ],
                ["ipv4_address", "ipv6_prefix"],
            )
        )
        try:
            if rng.version == 4:
                used = [row["ipv4_address"] for row in rows]
                return ipam.next_free(rng, used, count=count, reserved=exclude)
            used = [row["ipv6_prefix"] for row in rows] + list(exclude)
            return ipam.next_free_prefix(rng, self.delegated_prefix_length, used, count=count)
        except ipam.IpamError as exc:
            raise UserError(self._ipam_message(exc)) from exc

    @api.model
    def _find_pools_for(self, values, version, company):
        """The active pools of ``company`` containing each of ``values`` ({value: pools})."""
        pools = self.search([("company_id", "=", company.id), ("ip_version", "=", str(version))])
        ranges = [(pool, pool._get_range(raise_error=False)) for pool in pools]
        result = {}
        for value in values:
            result[value] = self.browse(
                [
                    pool.id
                    for pool, rng in ranges
                    if rng
                    and (rng.contains_network(value) if version == 6 else rng.contains(value))
                ]
            )
        return result

    def action_view_subscriptions(self):
        """The subscriptions holding a static address of this pool."""
        self.ensure_one()
        rng = self._get_range()
        field_name = "ipv4_address" if rng.version == 4 else "ipv6_prefix"
        rows = self.env["isp.subscription"].search_read(
            [("company_id", "=", self.company_id.id), (field_name, "!=", False)], [field_name]
        )
        ids = []
        for row in rows:
            try:
                inside = (
                    rng.contains(row[field_name])
                    if rng.version == 4
                    else rng.contains_network(row[field_name])
                )
            except ipam.IpamError:
                continue
            if inside:
                ids.append(row["id"])
        ids.extend(
            self.env["isp.subscription"]
            .search([("ip_pool_id" if rng.version == 4 else "ipv6_pool_id", "=", self.id)])
            .ids
        )
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_base.action_isp_subscription")
        action["domain"] = [("id", "in", sorted(set(ids)))]
        action["context"] = {"create": False}
        action["display_name"] = _("Subscriptions of %(pool)s", pool=self.display_name)
        return action
