# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import logging
from collections import Counter

from odoo import _, api, models

from ..lib import radius_store, session_policy
from ..lib.errors import NetworkError

_logger = logging.getLogger(__name__)

DETAIL_MAX_ROWS = 10


def _row_counter(entry):
    if not entry:
        return Counter()
    username, check_rows, reply_rows = entry
    if not check_rows and not reply_rows:
        return Counter()
    return Counter(
        [("check", username, *map(str, row)) for row in check_rows]
        + [("reply", username, *map(str, row)) for row in reply_rows]
    )


def _describe_row_diff(desired, actual):
    missing = desired - actual
    extra = actual - desired
    lines = [f"missing {' '.join(key)}" for key in sorted(missing.elements())]
    lines += [f"unexpected {' '.join(key)}" for key in sorted(extra.elements())]
    if len(lines) > DETAIL_MAX_ROWS:
        lines = lines[:DETAIL_MAX_ROWS] + [f"... {len(lines) - DETAIL_MAX_ROWS} more"]
    return "\n".join(lines)


class IspNetworkReconciler(models.AbstractModel):
    """Compare desired with actual network state, record drift, heal it.

    Three checks: RADIUS rows against the subscriptions, open sessions of
    subscribers who must be offline, and entries on routers managed over
    their API. Healing goes through the same paths as normal enforcement
    (``_isp_radius_sync``, the outbox, the provisioner), so it is idempotent.
    """

    _name = "isp.network.reconciler"
    _description = "Network Reconciler"

    @api.model
    def _cron_reconcile(self):
        self.env["isp.network.sync"]._requeue_pending()
        return self._reconcile()

    @api.model
    def _action_reconcile_routers(self, routers):
        """Button of the router form: reconcile now and say what was found."""
        routers.check_access("write")
        result = self._reconcile(routers=routers)
        if result["drift_count"]:
            message = _(
                "%(count)s differences found and healed where possible: %(radius)s RADIUS, "
                "%(session)s sessions, %(router)s router entries.",
                count=result["drift_count"],
                radius=result["radius_rows"],
                session=result["session"],
                router=result["router_entry"],
            )
        else:
            message = _("The network matches the subscriptions.")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Reconciliation"),
                "message": message,
                "type": "warning" if result["drift_count"] else "success",
                "sticky": False,
            },
        }

    @api.model
    def _reconcile(self, routers=None, subscriptions=None, heal=True):
        """Find (and by default heal) drift.

        :param routers: limit to these routers (their subscriptions and sessions)
        :param subscriptions: limit to these subscriptions
        :return: dict with the count per kind, ``drift_count`` and ``drifts``
        """
        Subscription = self.env["isp.subscription"].sudo().with_context(active_test=False)
        scoped = subscriptions is not None
        if scoped:
            subscriptions = subscriptions.sudo().with_context(active_test=False)
        else:
            domain = [("username", "!=", False)]
            if routers is not None:
                nas = [address for address in routers.mapped("nas_address") if address]
                on_nas = self._usernames_with_sessions_on(nas)
                domain += ["|", ("router_id", "in", routers.ids), ("username", "in", on_nas)]
            subscriptions = Subscription.search(domain)
        drift_vals = {"radius_rows": [], "session": [], "router_entry": []}
        healed = {"radius_rows": False, "session": False, "router_entry": False}
        desired = self._check_radius_rows(subscriptions, drift_vals["radius_rows"])
        self._check_offline_sessions(subscriptions, desired, drift_vals["session"])
        api_routers = self._get_api_routers(routers, subscriptions, scoped)
        self._check_router_entries(
            api_routers, subscriptions if scoped else None, drift_vals["router_entry"]
        )
        if heal:
            healed["radius_rows"] = self._heal_radius_rows(drift_vals["radius_rows"])
            healed["session"] = self._heal_sessions(drift_vals["session"])
            healed["router_entry"] = self._heal_router_entries(
                drift_vals["router_entry"], api_routers
            )
            if routers is not None:
                self.env["isp.network.sync"]._requeue_pending_for(routers)
        Drift = self.env["isp.network.drift"]
        drifts = Drift.browse()
        for kind, vals_list in drift_vals.items():
            drifts |= Drift._record(vals_list, healed=healed[kind])
        result = {kind: len(vals_list) for kind, vals_list in drift_vals.items()}
        result["drift_count"] = len(drifts)
        result["drifts"] = drifts
        if drifts:
            _logger.info(
                "Reconciler: %s RADIUS, %s session, %s router drifts (heal=%s)",
                result["radius_rows"],
                result["session"],
                result["router_entry"],
                heal,
            )
        return result

    # -- (a) RADIUS rows -------------------------------------------------
    @api.model
    def _check_radius_rows(self, subscriptions, drift_vals):
        """Compare the stored rows with the desired ones; returns the desired rows."""
        if not subscriptions:
            return {}
        self.env.flush_all()
        desired = subscriptions._isp_radius_desired()
        actual = radius_store.read_rows(self.env.cr, subscriptions.ids)
        by_id = {sub.id: sub for sub in subscriptions}
        for sub_id in set(desired) | set(actual):
            wanted = _row_counter(desired.get(sub_id))
            stored = _row_counter(actual.get(sub_id))
            if wanted == stored:
                continue
            sub = by_id.get(sub_id)
            drift_vals.append(
                {
                    "subscription_id": sub_id,
                    "router_id": sub.router_id.id if sub else False,
                    "company_id": sub.company_id.id if sub else False,
                    "kind": "radius_rows",
                    "detail": _describe_row_diff(wanted, stored),
                }
            )
        return desired

    @api.model
    def _heal_radius_rows(self, drift_vals):
        if not drift_vals:
            return False
        subscriptions = self.env["isp.subscription"].sudo().with_context(active_test=False)
        subscriptions.browse([vals["subscription_id"] for vals in drift_vals])._isp_radius_sync()
        return True

    # -- (b) sessions that must be offline -------------------------------
    @api.model
    def _check_offline_sessions(self, subscriptions, desired, drift_vals):
        """Open sessions of subscriptions whose RADIUS rows would refuse them.

        Judged from the desired rows rather than the state alone, so a subscriber the
        rows let into the walled garden is not disconnected again and again.
        """
        offline = subscriptions.filtered(
            lambda sub: sub.username and session_policy.rows_refuse(desired.get(sub.id))
        )
        if not offline:
            return
        by_username = {sub.username: sub for sub in offline}
        nas_map = self.env["isp.network.sync"]._get_nas_router_map()
        sessions = radius_store.open_sessions(self.env.cr, usernames=list(by_username))
        for session in sessions:
            sub = by_username[session["username"]]
            drift_vals.append(
                {
                    "subscription_id": sub.id,
                    "router_id": nas_map.get(session["nasipaddress"], sub.router_id.id) or False,
                    "company_id": sub.company_id.id,
                    "kind": "session",
                    "detail": _(
                        "Session %(session)s on NAS %(nas)s is open while the "
                        "subscription is %(state)s.",
                        session=session["acctsessionid"],
                        nas=session["nasipaddress"],
                        state=sub.state,
                    ),
                }
            )

    @api.model
    def _heal_sessions(self, drift_vals):
        if not drift_vals:
            return False
        subscriptions = (
            self.env["isp.subscription"]
            .sudo()
            .browse({vals["subscription_id"] for vals in drift_vals})
        )
        queued = self.env["isp.network.sync"]._enqueue(
            subscriptions, kinds=("session",), session_action=session_policy.DISCONNECT
        )
        return bool(queued)

    # -- (c) routers managed over their API --------------------------------
    @api.model
    def _get_api_routers(self, routers, subscriptions, scoped):
        if routers is None:
            if scoped:
                routers = subscriptions.router_id
            else:
                routers = self.env["isp.router"].sudo().search([("management_mode", "=", "api")])
        return routers.sudo().filtered(
            lambda router: router.management_mode == "api" and router.active
        )

    @api.model
    def _check_router_entries(self, routers, subscriptions, drift_vals):
        if not routers or "isp.network.provisioner" not in self.env:
            return
        provisioner = self.env["isp.network.provisioner"]
        for router in routers:
            router_subs = None  # the whole router, stale entries included
            if subscriptions is not None:
                router_subs = subscriptions.filtered(
                    lambda sub, router=router: sub.router_id == router
                )
            try:
                diff = provisioner._diff(router, router_subs)
            except NetworkError as error:
                _logger.info("Reconciler: router %s not checked: %s", router.display_name, error)
                continue
            for sub_id, detail in self._normalize_diff(diff):
                drift_vals.append(
                    {
                        "subscription_id": sub_id or False,
                        "router_id": router.id,
                        "company_id": router.company_id.id,
                        "kind": "router_entry",
                        "detail": detail,
                    }
                )

    @api.model
    def _normalize_diff(self, diff):
        """``[(subscription id or None, text)]`` from the provisioner's diff."""
        if not diff:
            return []
        if isinstance(diff, dict):
            items = []
            for key, value in diff.items():
                if not value:
                    continue
                sub_id = key if isinstance(key, int) else None
                items.append((sub_id, value if isinstance(value, str) else repr(value)))
            return items
        if isinstance(diff, list | tuple | set):
            return [(None, item if isinstance(item, str) else repr(item)) for item in diff]
        return [(None, str(diff))]

    @api.model
    def _heal_router_entries(self, drift_vals, routers):
        if not drift_vals:
            return False
        healed = True
        provisioner = self.env["isp.network.provisioner"]
        for router in routers.filtered(
            lambda r: r.id in {vals["router_id"] for vals in drift_vals}
        ):
            try:
                provisioner._heal(router)
            except NetworkError as error:
                _logger.info("Reconciler: router %s not healed: %s", router.display_name, error)
                healed = False
        return healed

    # -- helpers ---------------------------------------------------------
    @api.model
    def _usernames_with_sessions_on(self, nas_addresses):
        if not nas_addresses:
            return []
        sessions = radius_store.open_sessions(self.env.cr, nas=nas_addresses)
        return list({session["username"] for session in sessions})
