# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.addons.isp_base.lib.secret_box import SecretDecryptError
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..lib import ipam, radius_policy, radius_store
from ..lib.errors import RouterCommandError, RouterUnreachable

_logger = logging.getLogger(__name__)

# Connection types authenticated by username and password (PPPoE, hotspot) get RADIUS rows.
RADIUS_CONNECTION_TYPES = ("pppoe", "hotspot")
# A change of one of these fields changes the subscription's RADIUS rows.
RADIUS_FIELDS = frozenset(
    {
        "username",
        "password_encrypted",
        "mac_address",
        "ipv4_address",
        "ipv6_prefix",
        "expiry_at",
        "package_id",
        "router_id",
        "ip_pool_id",
        "ipv6_pool_id",
        "active",
        "radius_simultaneous_use",
        "quota_exceeded",
        "connection_type",
        "company_id",
    }
)
# ... and of these, the subscription's live session must be told (CoA) right away.
COA_FIELDS = frozenset({"expiry_at", "package_id", "quota_exceeded"})


class IspSubscription(models.Model):
    _inherit = "isp.subscription"

    # ------------------------------------------------------------------
    # RADIUS desired state
    # ------------------------------------------------------------------
    router_id = fields.Many2one(
        "isp.router",
        index=True,
        tracking=True,
        ondelete="restrict",
        check_company=True,
        help="The router (NAS) serving this subscription. Empty: the router of its live "
        "RADIUS session.",
    )
    radius_simultaneous_use = fields.Integer(
        string="Simultaneous Sessions",
        default=1,
        tracking=True,
        help="How many sessions may be online at once with this username.",
    )
    quota_exceeded = fields.Boolean(
        string="Data Quota Exceeded",
        readonly=True,
        copy=False,
        tracking=True,
        help="Set when this month's usage passed the package's quota; reset at month start.",
    )
    is_online = fields.Boolean(
        string="Online", compute="_compute_online", search="_search_is_online"
    )
    online_session_count = fields.Integer(string="Open Sessions", compute="_compute_online")

    ip_pool_id = fields.Many2one(
        "isp.ip.pool",
        string="IPv4 Pool",
        index="btree_not_null",
        tracking=True,
        ondelete="restrict",
        check_company=True,
        domain="[('ip_version', '=', '4'), ('company_id', '=', company_id)]",
        help="Pool the router leases this subscription's address from (sent as Framed-Pool "
        "when there is no static IPv4), or the static pool its address was taken from.",
    )
    ipv6_pool_id = fields.Many2one(
        "isp.ip.pool",
        string="IPv6 Pool",
        index="btree_not_null",
        tracking=True,
        ondelete="restrict",
        check_company=True,
        domain="[('ip_version', '=', '6'), ('company_id', '=', company_id)]",
        help="IPv6 pool the delegated prefix comes from (dual stack).",
    )

    _sql_constraints = [
        (
            "radius_simultaneous_use_positive",
            "CHECK(radius_simultaneous_use IS NULL OR radius_simultaneous_use >= 1)",
            "A subscription allows at least one simultaneous session.",
        ),
        (
            "ipv6_prefix_company_uniq",
            "unique(ipv6_prefix, company_id)",
            "This IPv6 prefix is already delegated to another subscription.",
        ),
    ]

    def _compute_online(self):
        counts = {}
        # self.ids holds only saved records (a form's new record counts its origin).
        if self.ids:
            for session in self.env["isp.radius"]._online_sessions(self.browse(self.ids)):
                sub_id = session.get("subscription_id")
                counts[sub_id] = counts.get(sub_id, 0) + 1
        for subscription in self:
            subscription.online_session_count = counts.get(subscription._origin.id, 0)
            subscription.is_online = bool(subscription.online_session_count)

    def _search_is_online(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(_("Search on Online with = or != only."))
        sessions = self.env["isp.radius"]._online_sessions()
        online_ids = list({s["subscription_id"] for s in sessions if s.get("subscription_id")})
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", online_ids)]

    @api.model_create_multi
    def create(self, vals_list):
        subscriptions = super().create(vals_list)
        subscriptions._isp_radius_sync()
        return subscriptions

    def write(self, vals):
        result = super().write(vals)
        changed = RADIUS_FIELDS.intersection(vals)
        if changed:
            self._isp_radius_sync()
            if not self.env.context.get("isp_network_skip_enqueue"):
                coa = bool(COA_FIELDS.intersection(vals))
                self._isp_network_enqueue(session_action="coa" if coa else None)
        return result

    def unlink(self):
        sub_ids = self.ids
        result = super().unlink()
        radius_store.delete_rows(self.env.cr, sub_ids)
        return result

    def _on_state_changed(self, action, old_states):
        result = super()._on_state_changed(action, old_states)
        self._isp_radius_sync()
        walled_garden = {
            company.id
            for company in self.company_id
            if company.isp_radius_suspend_mode == "walled_garden"
        }
        disconnect = self.browse()
        for subscription in self:
            was_active = old_states.get(subscription.id) == "active"
            is_active = subscription.state == "active"
            if was_active and not is_active:
                disconnect |= subscription
            elif is_active and not was_active and subscription.company_id.id in walled_garden:
                # Out of the walled garden: reconnect into the normal pool.
                disconnect |= subscription
        disconnect._isp_network_enqueue(session_action="disconnect")
        (self - disconnect)._isp_network_enqueue()
        return result

    def _on_package_changed(self, old_package):
        result = super()._on_package_changed(old_package)
        self._isp_radius_sync()
        self._isp_network_enqueue(session_action="coa")
        return result

    def _isp_network_enqueue(self, session_action=None):
        """Queue the enforcement of ``self`` on its routers (outbox, same transaction)."""
        if not self:
            return
        self.env["isp.network.sync"]._enqueue(self, session_action=session_action)

    def _isp_get_passwords(self):
        """``{id: plaintext}`` of the subscription passwords, for system use only.

        The secret mixin's decrypt path in one read and one key for the whole batch.
        """
        rows = self.sudo().read(["password_encrypted"])
        box = None
        passwords = {}
        for row in rows:
            token = row["password_encrypted"]
            if not token:
                continue
            box = box or self._isp_secret_box()
            try:
                passwords[row["id"]] = box.decrypt(token)
            except SecretDecryptError as exc:
                raise UserError(
                    _(
                        "The secret of %(record)s cannot be decrypted: the server's "
                        "isp_secret_key is not the key it was encrypted with.",
                        record=self.browse(row["id"]).display_name,
                    )
                ) from exc
        return passwords

    def _prepare_radius_sub(self, password):
        """The plain description of ``self`` that :func:`radius_policy.build_rows` reads."""
        self.ensure_one()
        package = self.package_id.product_tmpl_id
        uses_radius = (
            self.connection_type in RADIUS_CONNECTION_TYPES
            and self.router_id.management_mode != "api"
        )
        pool = self["ip_pool_id"] if "ip_pool_id" in self._fields else None
        ipv6_pool = self["ipv6_pool_id"] if "ipv6_pool_id" in self._fields else None
        delegated = (
            self["delegated_ipv6_prefix"] if "delegated_ipv6_prefix" in self._fields else None
        )
        return {
            "id": self.id,
            "username": self.username if uses_radius else False,
            "password": password,
            "state": self.state,
            "active": self.active,
            "mac": self.mac_address,
            "ipv4": self.ipv4_address,
            "ipv6_prefix": self.ipv6_prefix,
            "delegated_ipv6_prefix": delegated or None,
            "pool_name": pool.router_pool_name if pool else None,
            "ipv6_pool_name": ipv6_pool.router_pool_name if ipv6_pool else None,
            "rate_limit": package.isp_rate_limit or None,
            "expiry_at": self.expiry_at or None,
            "simultaneous_use": self.radius_simultaneous_use or 1,
            "quota_exceeded": self.quota_exceeded,
            "quota_action": package.isp_quota_action or "throttle",
            "throttle_rate_limit": package.isp_quota_throttle_rate or None,
        }

    def _isp_radius_desired(self):
        """``{subscription id: (username, check_rows, reply_rows)}`` for ``self``.

        Subscriptions that must not authenticate (draft, terminated, archived, no
        credentials) map to empty row lists, which deletes their rows.
        """
        subscriptions = self.with_context(active_test=False).sudo()
        passwords = subscriptions._isp_get_passwords()
        settings = {company: company._isp_radius_settings() for company in subscriptions.company_id}
        desired = {}
        for subscription in subscriptions:
            sub = subscription._prepare_radius_sub(passwords.get(subscription.id))
            check, reply = radius_policy.build_rows(sub, settings[subscription.company_id])
            desired[subscription.id] = (subscription.username or "", check, reply)
        return desired

    def _isp_radius_sync(self):
        """Write the RADIUS rows of ``self`` in the current transaction.

        Returns the ids whose rows changed; running it again changes nothing.
        """
        if not self:
            return set()
        self.env.flush_all()
        changed = radius_store.sync_rows(self.env.cr, self._isp_radius_desired())
        return changed

    # ------------------------------------------------------------------
    # IPAM and live traffic: pools, static addresses, allocation, live traffic chart
    # ------------------------------------------------------------------
    @api.model
    def _normalize_vals(self, vals):
        vals = super()._normalize_vals(vals)
        if vals.get("ipv6_prefix"):
            # a bad prefix stays as typed: the constraint reports it in the user's language
            vals["ipv6_prefix"] = ipam.normalize_v6_prefix_or_keep(vals["ipv6_prefix"])
        return vals

    @api.constrains("ip_pool_id", "ipv6_pool_id")
    def _check_pool_versions(self):
        for subscription in self:
            if subscription.ip_pool_id and subscription.ip_pool_id.ip_version != "4":
                raise ValidationError(
                    _(
                        "%(pool)s is an IPv6 pool; choose an IPv4 pool for %(subscription)s.",
                        pool=subscription.ip_pool_id.display_name,
                        subscription=subscription.display_name,
                    )
                )
            if subscription.ipv6_pool_id and subscription.ipv6_pool_id.ip_version != "6":
                raise ValidationError(
                    _(
                        "%(pool)s is an IPv4 pool; choose an IPv6 pool for %(subscription)s.",
                        pool=subscription.ipv6_pool_id.display_name,
                        subscription=subscription.display_name,
                    )
                )

    @api.constrains("ipv4_address", "ipv6_prefix", "company_id")
    def _check_static_addresses(self):
        """Static addresses: unique in the company, inside a static pool when there are any.

        IPv6 prefixes may not overlap another subscription's prefix either.
        """
        with_address = self.filtered(lambda s: s.ipv4_address or s.ipv6_prefix)
        Pool = self.env["isp.ip.pool"].sudo()
        for company in with_address.company_id:
            subscriptions = with_address.filtered(lambda s, c=company: s.company_id == c)
            for version, field_name in ((4, "ipv4_address"), (6, "ipv6_prefix")):
                values = {sub: sub[field_name] for sub in subscriptions if sub[field_name]}
                if not values:
                    continue
                subscriptions._check_address_unique(company, version, field_name, values)
                pools_of = Pool._find_pools_for(set(values.values()), version, company)
                static_exist = bool(
                    Pool.search_count(
                        [
                            ("company_id", "=", company.id),
                            ("ip_version", "=", str(version)),
                            ("purpose", "=", "static"),
                        ],
                        limit=1,
                    )
                )
                for subscription, value in values.items():
                    pools = pools_of[value]
                    others = pools.filtered(lambda p: p.purpose != "static")
                    if others:
                        raise ValidationError(
                            _(
                                "%(address)s of %(subscription)s lies in the %(purpose)s pool "
                                "%(pool)s (%(range)s), which the router leases itself; use an "
                                "address of a static pool.",
                                address=value,
                                subscription=subscription.display_name,
                                purpose=dict(
                                    others._fields["purpose"]._description_selection(self.env)
                                )[others[0].purpose].lower(),
                                pool=others[0].display_name,
                                range=others[0].range_display,
                            )
                        )
                    if static_exist and not pools:
                        raise ValidationError(
                            _(
                                "%(address)s of %(subscription)s is outside every static "
                                "IPv%(version)s pool of %(company)s. Use an address of a static "
                                "pool (Network > IP Pools), or Allocate IP.",
                                address=value,
                                subscription=subscription.display_name,
                                version=version,
                                company=company.name,
                            )
                        )

    def _check_address_unique(self, company, version, field_name, values):
        """Raise when one of ``values`` ({subscription: value}) is taken in ``company``.

        Read with SQL, without flushing: a flush would hit the unique index first and
        give the user a bare database error instead of the names below.
        """
        query = SQL(
            "SELECT id, %s FROM isp_subscription WHERE company_id = %s AND %s IS NOT NULL "
            "AND id != ALL(%s)",
            SQL.identifier(field_name),
            company.id,
            SQL.identifier(field_name),
            self.ids,
        )
        if version == 4:
            query = SQL(
                "%s AND %s = ANY(%s)", query, SQL.identifier(field_name), list(values.values())
            )
        self.env.cr.execute(query)
        taken = dict(self.env.cr.fetchall())
        if version == 4:
            by_value = {value: sub_id for sub_id, value in taken.items()}
            seen = {}
            for subscription, value in values.items():
                other = self.browse(by_value[value]) if value in by_value else seen.get(value)
                if other:
                    raise ValidationError(
                        _(
                            "The static IPv4 address %(address)s of %(subscription)s is "
                            "already assigned to %(other)s.",
                            address=value,
                            subscription=subscription.display_name,
                            other=other.sudo().display_name,
                        )
                    )
                seen[value] = subscription
            return
        # IPv6: prefixes of different lengths clash when one contains the other.
        parsed = {}
        for sub_id, value in taken.items():
            try:
                parsed[self.browse(sub_id)] = (ipam.parse_v6_prefix(value), value)
            except ipam.IpamError:
                continue
        for subscription, value in values.items():
            try:
                mine = ipam.parse_v6_prefix(value)
            except ipam.IpamError:
                continue  # _check_ip_addresses reports it
            for other, (other_range, other_value) in parsed.items():
                if mine.overlaps(other_range):
                    raise ValidationError(
                        _(
                            "The IPv6 prefix %(prefix)s of %(subscription)s overlaps "
                            "%(other_prefix)s of %(other)s.",
                            prefix=value,
                            subscription=subscription.display_name,
                            other_prefix=other_value,
                            other=other.sudo().display_name,
                        )
                    )
            parsed[subscription] = (mine, value)

    def _get_static_pool(self, version):
        """The static pool to allocate from: the subscription's own pool when static, else
        the first static pool of the company on the subscription's router or zone."""
        self.ensure_one()
        own = self.ip_pool_id if version == 4 else self.ipv6_pool_id
        if own.purpose == "static":
            return own
        pools = self.env["isp.ip.pool"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("ip_version", "=", str(version)),
                ("purpose", "=", "static"),
            ]
        )
        router = self["router_id"] if "router_id" in self._fields else False

        def rank(pool):
            return (
                0 if router and pool.router_id == router else 1 if not pool.router_id else 2,
                0 if pool.zone_id == self.zone_id else 1 if not pool.zone_id else 2,
                pool.sequence,
                pool.id,
            )

        candidates = pools.filtered(
            lambda p: (
                (not p.router_id or p.router_id == router)
                and (not p.zone_id or p.zone_id == self.zone_id)
            )
        )
        return candidates.sorted(rank)[:1]

    def action_allocate_ip(self):
        """Give each subscription the next free static IPv4 and/or IPv6 prefix (dual stack).

        IPv4 comes from its static pool (or the company's static pool for its router and
        zone); an IPv6 prefix is delegated when it has an IPv6 pool or a static IPv6 pool
        exists. What a subscription already has is kept, so running it twice changes nothing.
        """
        allocated = {}
        for version, field_name in ((4, "ipv4_address"), (6, "ipv6_prefix")):
            by_pool = defaultdict(lambda: self.browse())
            for subscription in self.filtered(lambda s, f=field_name: not s[f]):
                pool = subscription._get_static_pool(version)
                if pool:
                    by_pool[pool] |= subscription
            for pool, subscriptions in by_pool.items():
                values = pool._allocate(count=len(subscriptions))
                for subscription, value in zip(subscriptions, values, strict=True):
                    vals = {field_name: value}
                    pool_field = "ip_pool_id" if version == 4 else "ipv6_pool_id"
                    if not subscription[pool_field]:
                        vals[pool_field] = pool.id
                    subscription.write(vals)
                    allocated.setdefault(subscription, []).append(value)
        missing = self.filtered(lambda s: not s.ipv4_address and not s.ipv6_prefix)
        if missing:
            raise UserError(
                _(
                    "No static pool to allocate from for %(subscriptions)s. Create a static "
                    "IPv4 or IPv6 pool under Network > IP Pools for its router or zone.",
                    subscriptions=", ".join(missing.mapped("display_name")),
                )
            )
        if len(self) == 1:
            if self in allocated:
                message = _("Allocated %(values)s.", values=", ".join(allocated[self]))
            else:
                message = _(
                    "%(subscription)s already has its addresses.", subscription=self.display_name
                )
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": _("IP Allocation"),
                    "message": message,
                    "type": "success" if self in allocated else "info",
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        return True

    # -- live traffic -----------------------------------------------------------------------
    def action_live_traffic(self):
        """Open the live download/upload chart of this subscription."""
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "isp_network.live_traffic",
            "name": _("Live Traffic: %(subscription)s", subscription=self.display_name),
            "params": {"subscription_id": self.id, "title": self.display_name},
            "context": {"active_id": self.id, "active_model": self._name},
        }

    def isp_live_traffic_poll(self):
        """One sample for the live traffic chart (the chart's RPC entry point)."""
        self.ensure_one()
        self.check_access("read")
        return self._isp_live_traffic_sample()

    def _get_live_traffic_interface(self):
        """The subscriber's dynamic PPPoE interface on the router."""
        self.ensure_one()
        return f"<pppoe-{self.username}>"

    def _isp_live_traffic_sample(self):
        """``{"rx_bps", "tx_bps", "at"}`` measured now on the subscription's router.

        rx is what the router receives from the subscriber (upload), tx what it sends
        (download). When no sample can be taken the dict carries an ``error`` message
        instead (router down, subscriber offline, no router) with zero rates.
        """
        self.ensure_one()
        subscription = self.sudo()
        now = fields.Datetime.now()
        sample = {
            "rx_bps": 0,
            "tx_bps": 0,
            "at": now.isoformat() + "Z",
            "title": self.display_name,
        }
        router = subscription.router_id
        if not router:
            sample["error"] = _(
                "%(subscription)s has no router; set one on its Network page.",
                subscription=self.display_name,
            )
            return sample
        if not subscription.username:
            sample["error"] = _(
                "%(subscription)s has no username, so it has no PPPoE interface to watch.",
                subscription=self.display_name,
            )
            return sample
        interface = subscription._get_live_traffic_interface()
        try:
            with router._get_client() as client:
                rows = client.call("/interface/monitor-traffic", interface=interface, once=True)
        except RouterUnreachable as exc:
            sample["error"] = _(
                "Router %(router)s does not answer (%(reason)s).",
                router=router.display_name,
                reason=str(exc),
            )
            return sample
        except RouterCommandError as exc:
            _logger.info("monitor-traffic of %s on %s: %s", interface, router.name, exc)
            sample["error"] = _(
                "%(username)s is not online on %(router)s.",
                username=subscription.username,
                router=router.display_name,
            )
            return sample
        row = rows[0] if rows else {}
        try:
            sample["rx_bps"] = int(row.get("rx-bits-per-second") or 0)
            sample["tx_bps"] = int(row.get("tx-bits-per-second") or 0)
        except (TypeError, ValueError):
            _logger.warning("Unexpected monitor-traffic reply from %s: %r", router.name, row)
            sample["error"] = _(
                "Router %(router)s sent an unreadable traffic sample.", router=router.display_name
            )
        return sample

    # ------------------------------------------------------------------
    # Live sessions: Disconnect now (same RFC 5176 client as the outbox drain)
    # ------------------------------------------------------------------

    def action_kick_sessions(self):
        """Send a Disconnect-Request for every open session of ``self`` now."""
        self.check_access("write")
        counts = self._isp_kick_sessions()
        if not counts["sessions"]:
            message = _("No open session to disconnect.")
            kind = "info"
        elif counts["failed"]:
            message = _(
                "%(done)s of %(total)s sessions disconnected; %(failed)s failed: %(errors)s",
                done=counts["done"],
                total=counts["sessions"],
                failed=counts["failed"],
                errors="; ".join(counts["errors"][:3]),
            )
            kind = "warning"
        else:
            message = _("%(done)s sessions disconnected.", done=counts["done"])
            kind = "success"
        self.env["isp.audit.log"]._log(
            self, "other", _("Sessions disconnected: %(result)s", result=message)
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": _("Disconnect"), "message": message, "type": kind, "sticky": False},
        }

    def _isp_kick_sessions(self):
        """Disconnect the open sessions of ``self``; returns counts and error texts."""
        Sync = self.env["isp.network.sync"]
        by_username = {sub.username: sub for sub in self.sudo() if sub.username}
        sessions = radius_store.open_sessions(self.env.cr, usernames=list(by_username))
        counts = {"sessions": len(sessions), "done": 0, "failed": 0, "errors": []}
        if not sessions:
            return counts
        nas_map = Sync._get_nas_router_map()
        by_router = defaultdict(list)
        for session in sessions:
            router_id = nas_map.get(session["nasipaddress"])
            if not router_id:
                counts["failed"] += 1
                counts["errors"].append(
                    _("NAS %(nas)s is not a known router.", nas=session["nasipaddress"])
                )
                continue
            by_router[router_id].append(session)
        for router in self.env["isp.router"].sudo().browse(list(by_router)):
            requests = [
                Sync._prepare_dynauth_request(
                    "disconnect",
                    by_username[session["username"]],
                    {
                        "session_id": session["acctsessionid"],
                        "framed_ip": session["framedipaddress"],
                    },
                )
                for session in by_router[router.id]
            ]
            for result in Sync._send_dynauth(router, requests):
                if result.ack or result.session_gone:
                    counts["done"] += 1
                else:
                    counts["failed"] += 1
                    counts["errors"].append(
                        _("%(router)s: %(error)s", router=router.display_name, error=result.message)
                    )
        return counts
