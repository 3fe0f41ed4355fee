# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import ipaddress
import logging

from odoo import _, api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.tools import SQL

from ..lib import session_policy
from ..lib.dynauth import DynAuthClient, DynAuthRequest
from ..lib.errors import NetworkError, RouterUnreachable

_logger = logging.getLogger(__name__)

# Seconds to wait before the n-th retry of a router that did not answer.
BACKOFF_STEPS = (10, 30, 60, 300, 900)
DRAIN_CHANNEL = "root.isp_network"
# First key of the advisory lock that serialises the drains of one router.
DRAIN_LOCK_KEY = 4_517_001


def backoff_seconds(attempts):
    """Seconds until the next try after ``attempts`` failed tries."""
    index = min(max(attempts, 1), len(BACKOFF_STEPS)) - 1
    return BACKOFF_STEPS[index]


class IspNetworkSync(models.Model):
    """Outbox of network changes: one row per (subscription, router, kind).

    A change of a subscription bumps ``version`` of its rows and queues one
    drain job per router. The drain applies the *current* desired state and
    marks a row done only if its version did not move meanwhile, so a change
    that lands during a drain is drained again, never lost.
    """

    _name = "isp.network.sync"
    _description = "Network Enforcement Outbox"
    _order = "id desc"
    _rec_name = "subscription_id"

    subscription_id = fields.Many2one(
        "isp.subscription", required=True, ondelete="cascade", index=True, readonly=True
    )
    router_id = fields.Many2one(
        "isp.router", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    kind = fields.Selection(
        [("session", "Live Session"), ("provision", "Router Push")],
        required=True,
        readonly=True,
        help="Live Session: CoA or Disconnect of open RADIUS sessions on the router. "
        "Router Push: write the subscription's entries on a router managed over its API.",
    )
    session_action = fields.Selection(
        [("disconnect", "Disconnect"), ("coa", "Change of Authorization")],
        readonly=True,
    )
    version = fields.Integer(default=1, readonly=True)
    done_version = fields.Integer(default=0, readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Done"), ("failed", "Failed")],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)

    _sql_constraints = [
        (
            "subscription_router_kind_uniq",
            "unique(subscription_id, router_id, kind)",
            "There is one outbox row per subscription, router and kind.",
        ),
    ]

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_retry(self):
        """Queue the drain of the routers of the selected rows again."""
        self.check_access("write")
        rows = self.filtered(lambda row: row.state != "done")
        if rows:
            self.env.cr.execute(
                SQL(
                    "UPDATE isp_network_sync SET state = 'pending', "
                    "version = version + 1, next_attempt_at = NULL "
                    "WHERE id = ANY(%s)",
                    rows.ids,
                )
            )
            self.invalidate_model()
        self._queue_drain(rows.router_id.ids)
        return True

    # ------------------------------------------------------------------
    # Enqueue
    # ------------------------------------------------------------------
    @api.model
    def _enqueue(self, subscriptions, kinds=("session", "provision"), session_action=None):
        """Record that ``subscriptions`` must be enforced again and queue the drains.

        Bulk upsert in the caller's transaction, so the outbox row commits
        (or rolls back) with the state change that caused it. ``session``
        rows are only written with a ``session_action``, and only for routers
        that authenticate through RADIUS; ``provision`` rows only for routers
        managed over their API. Returns the ids of the routers queued.
        """
        subscriptions = subscriptions.exists()
        if not subscriptions:
            return []
        targets = self._get_sync_targets(subscriptions)
        if not targets:
            return []
        routers = self.env["isp.router"].browse({router_id for __, router_id in targets})
        router_info = {
            router["id"]: router
            for router in routers.sudo().read(["management_mode", "company_id"], load=False)
        }
        values = []
        for subscription_id, router_id in sorted(targets):
            info = router_info[router_id]
            for kind in kinds:
                if kind == "session" and (
                    not session_action or info["management_mode"] != "radius"
                ):
                    continue
                if kind == "provision" and info["management_mode"] != "api":
                    continue
                values.append(
                    (
                        subscription_id,
                        router_id,
                        info["company_id"],
                        kind,
                        session_action if kind == "session" else None,
                    )
                )
        if not values:
            return []
        router_ids = self._upsert_rows(values)
        self._queue_drain(router_ids)
        return router_ids

    @api.model
    def _get_sync_targets(self, subscriptions):
        """(subscription id, router id) pairs to enforce.

        The subscription's own router when set, else the router of each NAS
        where the subscription has an open session.
        """
        targets = set()
        without_router = {}
        for sub in subscriptions.sudo():
            if sub.router_id:
                targets.add((sub.id, sub.router_id.id))
            elif sub.username:
                without_router[sub.username] = sub.id
        if without_router:
            nas_map = self._get_nas_router_map()
            for username, nas in self._open_session_nas(list(without_router)):
                router_id = nas_map.get(nas)
                if router_id:
                    targets.add((without_router[username], router_id))
        return targets

    @api.model
    def _get_nas_router_map(self):
        routers = (
            self.env["isp.router"]
            .sudo()
            .search_read([("nas_address", "!=", False)], ["nas_address"])
        )
        return {router["nas_address"].strip(): router["id"] for router in routers}

    @api.model
    def _open_session_nas(self, usernames):
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT username, host(nasipaddress) FROM radius.radacct "
                "WHERE acctstoptime IS NULL AND username = ANY(%s)",
                usernames,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _upsert_rows(self, values):
        """Insert or bump outbox rows; returns the router ids touched.

        A pending Disconnect is never weakened into a CoA: the session must
        go anyway, and the new session picks up the new attributes.
        """
        uid = self.env.uid
        sub_ids, router_ids, company_ids, kinds, actions = zip(*values, strict=True)
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO isp_network_sync AS s (
                    subscription_id, router_id, company_id, kind, session_action,
                    version, done_version, state, attempts,
                    create_uid, write_uid, create_date, write_date)
                SELECT v.sub_id, v.router_id, v.company_id, v.kind, v.action,
                       1, 0, 'pending', 0,
                       %(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'
                  FROM unnest(%(subs)s::int[], %(routers)s::int[], %(companies)s::int[],
                              %(kinds)s::varchar[], %(actions)s::varchar[])
                       AS v(sub_id, router_id, company_id, kind, action)
                ON CONFLICT (subscription_id, router_id, kind) DO UPDATE SET
                    version = s.version + 1,
                    session_action = CASE
                        WHEN s.state = 'pending' AND s.session_action = 'disconnect'
                            THEN 'disconnect'
                        ELSE EXCLUDED.session_action END,
                    state = 'pending',
                    next_attempt_at = NULL,
                    write_uid = EXCLUDED.write_uid,
                    write_date = EXCLUDED.write_date
                RETURNING router_id
                """,
                uid=uid,
                subs=list(sub_ids),
                routers=list(router_ids),
                companies=[company or None for company in company_ids],
                kinds=list(kinds),
                actions=list(actions),
            )
        )
        touched = sorted({row[0] for row in self.env.cr.fetchall()})
        self.invalidate_model()
        return touched

    @api.model
    def _queue_drain(self, router_ids, eta=None):
        for router_id in router_ids:
            self.with_delay(
                channel=DRAIN_CHANNEL,
                identity_key=f"isp.network.sync:drain:{router_id}",
                description=_("Network enforcement on router %(router)s", router=router_id),
                max_retries=0,
                eta=eta,
            )._drain(router_id)

    # ------------------------------------------------------------------
    # Drain (queue_job job, one per router)
    # ------------------------------------------------------------------
    @api.model
    def _drain(self, router_id):
        """Apply the pending outbox rows of one router."""
        router = self.env["isp.router"].sudo().browse(router_id).exists()
        if not router:
            return _("Router %(router)s no longer exists.", router=router_id)
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (DRAIN_LOCK_KEY, router.id))
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(
                _("Another drain of router %(router)s is running.", router=router.display_name),
                seconds=5,
                ignore_retry=True,
            )
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT id, subscription_id, kind, session_action, version, attempts "
                "FROM isp_network_sync WHERE router_id = %s AND state = 'pending' ORDER BY id",
                router.id,
            )
        )
        rows = [
            dict(zip(("id", "sub_id", "kind", "action", "version", "attempts"), r, strict=True))
            for r in self.env.cr.fetchall()
        ]
        if not rows:
            return _("Nothing to do.")
        outcome = DrainOutcome()
        session_rows = [row for row in rows if row["kind"] == "session"]
        provision_rows = [row for row in rows if row["kind"] == "provision"]
        if session_rows:
            self._drain_sessions(router, session_rows, outcome)
        if provision_rows:
            self._drain_provision(router, provision_rows, outcome)
        if outcome.retry:
            # The runner rolls the job's transaction back on RetryableJobError:
            # keep the bookkeeping in a transaction of its own.
            with self.env.registry.cursor() as cr:
                self._record_outcome(cr, outcome)
            self.invalidate_model()
            attempts = max(row["attempts"] for row in outcome.retry) + 1
            seconds = backoff_seconds(attempts)
            raise RetryableJobError(
                _(
                    "Router %(router)s did not answer (%(error)s); %(count)s changes wait, "
                    "next try in %(seconds)s s.",
                    router=router.display_name,
                    error=outcome.retry_error,
                    count=len(outcome.retry),
                    seconds=seconds,
                ),
                seconds=seconds,
            )
        self._record_outcome(self.env.cr, outcome)
        self.invalidate_model()
        return _(
            "%(done)s done, %(failed)s failed, %(sent)s requests sent.",
            done=len(outcome.done),
            failed=len(outcome.failed),
            sent=outcome.sent,
        )

    @api.model
    def _record_outcome(self, cr, outcome):
        if outcome.done:
            cr.execute(
                SQL(
                    "UPDATE isp_network_sync AS s SET state = 'done', done_version = v.version, "
                    "attempts = 0, next_attempt_at = NULL, last_error = NULL, "
                    "write_date = now() at time zone 'UTC' "
                    "FROM unnest(%s::int[], %s::int[]) AS v(id, version) "
                    "WHERE s.id = v.id AND s.version = v.version",
                    [row["id"] for row in outcome.done],
                    [row["version"] for row in outcome.done],
                )
            )
        if outcome.failed:
            cr.execute(
                SQL(
                    "UPDATE isp_network_sync AS s SET state = 'failed', attempts = s.attempts + 1, "
                    "last_error = v.error, write_date = now() at time zone 'UTC' "
                    "FROM unnest(%s::int[], %s::int[], %s::text[]) AS v(id, version, error) "
                    "WHERE s.id = v.id AND s.version = v.version",
                    [row["id"] for row, __ in outcome.failed],
                    [row["version"] for row, __ in outcome.failed],
                    [error for __, error in outcome.failed],
                )
            )
        if outcome.retry:
            cr.execute(
                SQL(
                    "UPDATE isp_network_sync AS s SET attempts = s.attempts + 1, "
                    "next_attempt_at = now() at time zone 'UTC' + make_interval(secs => v.delay), "
                    "last_error = %s, write_date = now() at time zone 'UTC' "
                    "FROM unnest(%s::int[], %s::int[]) AS v(id, delay) WHERE s.id = v.id",
                    outcome.retry_error,
                    [row["id"] for row in outcome.retry],
                    [backoff_seconds(row["attempts"] + 1) for row in outcome.retry],
                )
            )

    # -- sessions ------------------------------------------------------
    @api.model
    def _drain_sessions(self, router, rows, outcome):
        subscriptions = (
            self.env["isp.subscription"].sudo().browse({row["sub_id"] for row in rows}).exists()
        )
        by_sub = {sub.id: sub for sub in subscriptions}
        for row in rows:
            if row["sub_id"] not in by_sub:
                outcome.done.append(row)
        rows = [row for row in rows if row["sub_id"] in by_sub]
        if not rows:
            return
        sessions = self._get_open_sessions(router, subscriptions)
        desired = (
            subscriptions._isp_radius_desired() if any(r["action"] == "coa" for r in rows) else {}
        )
        requests = []
        request_rows = []
        for row in rows:
            sub = by_sub[row["sub_id"]]
            sub_sessions = sessions.get(sub.username, [])
            if not sub_sessions or not row["action"]:
                outcome.done.append(row)
                continue
            action = row["action"]
            rate = None
            if action == "coa":
                rate = session_policy.desired_rate_limit(desired.get(sub.id))
                if not rate:
                    action = "disconnect"
            for session in sub_sessions:
                requests.append(self._prepare_dynauth_request(action, sub, session, rate))
            request_rows.append((row, len(sub_sessions)))
        if not requests:
            return
        results = self._send_dynauth(router, requests)
        outcome.sent += len(requests)
        # CoA refused by the NAS: the session goes, the new one gets the new rate.
        fallback = [
            index
            for index, (request, result) in enumerate(zip(requests, results, strict=True))
            if request.kind == "coa" and result.nak
        ]
        if fallback:
            retry_requests = [requests[index].as_disconnect() for index in fallback]
            retry_results = self._send_dynauth(router, retry_requests)
            outcome.sent += len(retry_requests)
            for position, index in enumerate(fallback):
                requests[index] = retry_requests[position]
                results[index] = retry_results[position]
        position = 0
        for row, count in request_rows:
            row_results = results[position : position + count]
            position += count
            timeouts = [result for result in row_results if result.timeout]
            errors = [
                result
                for result in row_results
                if not result.timeout and not result.ack and not result.session_gone
            ]
            if timeouts:
                outcome.add_retry(row, timeouts[0].message)
            elif errors:
                outcome.failed.append((row, "; ".join(result.message for result in errors)))
            else:
                outcome.done.append(row)

    @api.model
    def _get_open_sessions(self, router, subscriptions):
        """Open radacct sessions of ``subscriptions`` on the router's NAS, by username."""
        usernames = [sub.username for sub in subscriptions if sub.username]
        nas = (router.nas_address or router.host or "").strip()
        if not usernames or not nas:
            return {}
        try:
            nas = str(ipaddress.ip_address(nas))
        except ValueError:
            # radacct knows the NAS by the source address of its packets only.
            _logger.warning("Router %s: NAS address %r is not an IP address", router.name, nas)
            return {}
        self.env.cr.execute(
            SQL(
                "SELECT username, acctsessionid, host(framedipaddress) FROM radius.radacct "
                "WHERE acctstoptime IS NULL AND username = ANY(%s) AND nasipaddress = %s::inet",
                usernames,
                nas,
            )
        )
        sessions = {}
        for username, session_id, framed_ip in self.env.cr.fetchall():
            sessions.setdefault(username, []).append(
                {"session_id": session_id, "framed_ip": framed_ip}
            )
        return sessions

    @api.model
    def _prepare_dynauth_request(self, action, subscription, session, rate=None):
        attributes = {"User-Name": subscription.username, "Acct-Session-Id": session["session_id"]}
        if action == "disconnect" and session.get("framed_ip"):
            attributes["Framed-IP-Address"] = session["framed_ip"]
        if action == "coa":
            attributes["Mikrotik-Rate-Limit"] = rate
        return DynAuthRequest(action, attributes)

    @api.model
    def _get_dynauth_client(self, router):
        secret = router._isp_get_secret("radius_secret_encrypted") if router else None
        if not secret:
            raise RouterUnreachable(
                _("Router %(router)s has no RADIUS secret.", router=router.display_name)
            )
        return DynAuthClient(
            (router.nas_address or router.host).strip(),
            port=router.coa_port or 3799,
            secret=secret,
            timeout=self._get_dynauth_timeout(),
        )

    @api.model
    def _get_dynauth_timeout(self):
        return float(
            self.env["ir.config_parameter"].sudo().get_param("isp_network.dynauth_timeout", "2.0")
        )

    @api.model
    def _send_dynauth(self, router, requests):
        """Send requests to the router's NAS in bulk; one result per request."""
        try:
            client = self._get_dynauth_client(router)
        except NetworkError as error:
            return [DynAuthResultError(str(error)) for __ in requests]
        with client:
            return client.send_many(requests)

    # -- provisioning --------------------------------------------------
    @api.model
    def _drain_provision(self, router, rows, outcome):
        subscriptions = (
            self.env["isp.subscription"].sudo().browse({row["sub_id"] for row in rows}).exists()
        )
        try:
            errors = self.env["isp.network.provisioner"]._provision(router, subscriptions) or {}
        except RouterUnreachable as error:
            for row in rows:
                outcome.add_retry(row, str(error))
            return
        except NetworkError as error:
            for row in rows:
                outcome.failed.append((row, str(error)))
            return
        for row in rows:
            error = errors.get(row["sub_id"])
            if error:
                outcome.failed.append((row, error))
            else:
                outcome.done.append(row)

    # ------------------------------------------------------------------
    # Cron helper
    # ------------------------------------------------------------------
    @api.model
    def _requeue_pending(self):
        """Queue a drain for every router with due pending rows (a lost job, a restart)."""
        self.flush_model()
        self.env.cr.execute(
            "SELECT DISTINCT router_id FROM isp_network_sync WHERE state = 'pending' "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= now() at time zone 'UTC')"
        )
        router_ids = [row[0] for row in self.env.cr.fetchall()]
        self._queue_drain(router_ids)
        return router_ids

    @api.model
    def _requeue_pending_for(self, routers):
        """Drain ``routers`` now, whatever their backoff (e.g. the router is back up)."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT router_id FROM isp_network_sync "
                "WHERE state = 'pending' AND router_id = ANY(%s)",
                routers.ids,
            )
        )
        router_ids = [row[0] for row in self.env.cr.fetchall()]
        # A drain waiting out its backoff keeps its identity key: run it now instead.
        self.env["queue.job"].sudo().search(
            [
                ("identity_key", "in", [f"isp.network.sync:drain:{rid}" for rid in router_ids]),
                ("state", "=", "pending"),
                ("eta", "!=", False),
            ]
        ).write({"eta": False})
        self._queue_drain(router_ids)
        return router_ids


class DynAuthResultError:
    """Result of a request that could not even be sent (no secret, bad address)."""

    ack = False
    nak = False
    session_gone = False
    timeout = True

    def __init__(self, message):
        self.message = message


class DrainOutcome:
    """What a drain did with each row."""

    def __init__(self):
        self.done = []
        self.failed = []
        self.retry = []
        self.retry_error = ""
        self.sent = 0

    def add_retry(self, row, error):
        self.retry.append(row)
        self.retry_error = self.retry_error or error
