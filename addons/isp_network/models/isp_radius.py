# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import datetime
import logging

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import accounting, radius_schema, radius_store

_logger = logging.getLogger(__name__)

GIGABYTE = 10**9


class IspRadius(models.AbstractModel):
    """The FreeRADIUS tables in schema ``radius``: schema, live sessions, accounting.

    The rows themselves are written by :meth:`isp.subscription._isp_radius_sync`.
    """

    _name = "isp.radius"
    _description = "RADIUS Tables"

    def init(self):
        radius_schema.ensure_schema(self.env.cr)
        accounting.ensure_tables(self.env.cr)
        # FreeRADIUS's read-only role, when the launcher has created it already.
        radius_schema.ensure_role_grants(self.env.cr)

    # ------------------------------------------------------------------
    # Live sessions
    # ------------------------------------------------------------------
    @api.model
    def _map_usernames(self, usernames):
        """``{username: subscription id}``; a live subscription wins over a closed one."""
        if not usernames:
            return {}
        rows = (
            self.env["isp.subscription"]
            .sudo()
            .with_context(active_test=False)
            .search_read([("username", "in", list(usernames))], ["username", "state"])
        )
        rank = {"active": 0, "suspended": 1, "expired": 2, "inactive": 3}
        rows.sort(key=lambda row: (rank.get(row["state"], 9), row["id"]), reverse=True)
        return {row["username"]: row["id"] for row in rows}

    @api.model
    def _online_sessions(self, subscriptions=None):
        """Open RADIUS sessions as dicts (see :func:`radius_store.open_sessions`) with
        ``subscription_id``; only those of ``subscriptions`` when given."""
        if subscriptions is not None:
            by_username = {
                row["username"]: row["id"]
                for row in subscriptions.sudo().read(["username"])
                if row["username"]
            }
            sessions = radius_store.open_sessions(self.env.cr, usernames=list(by_username))
        else:
            sessions = radius_store.open_sessions(self.env.cr)
            by_username = self._map_usernames({s["username"] for s in sessions if s["username"]})
        for session in sessions:
            session["subscription_id"] = by_username.get(session["username"])
        return sessions

    # ------------------------------------------------------------------
    # Accounting rollup
    # ------------------------------------------------------------------
    @api.model
    def _rollup_usage(self):
        """Add the bytes counted since the last run to ``isp.usage.daily``.

        Returns how many (subscription, day) rows were touched; a rerun touches none.
        """
        timezone = self.env["isp.subscription"]._get_isp_timezone().zone
        usage = accounting.rollup(self.env.cr, timezone)
        if not usage:
            return 0
        sub_ids = self._map_usernames({username for username, _day in usage})
        totals = {}
        for (username, day), (download, upload) in usage.items():
            sub_id = sub_ids.get(username)
            if not sub_id:
                _logger.info("Accounting of unknown username %s is not counted", username)
                continue
            entry = totals.setdefault((sub_id, day), [0, 0])
            entry[0] += download
            entry[1] += upload
        if not totals:
            return 0
        keys = list(totals)
        self.env["isp.usage.daily"].flush_model()
        self.env.cr.execute(
            SQL(
                """INSERT INTO isp_usage_daily
                       (subscription_id, partner_id, company_id, date, download_bytes,
                        upload_bytes, total_bytes, total_gb,
                        create_uid, create_date, write_uid, write_date)
                   SELECT v.sub_id, s.partner_id, s.company_id, v.day, v.dl, v.ul, v.dl + v.ul,
                          round((v.dl + v.ul) / %(gb)s, 3),
                          %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                     FROM unnest(%(ids)s::int[], %(days)s::date[], %(dls)s::numeric[],
                                 %(uls)s::numeric[]) AS v(sub_id, day, dl, ul)
                     JOIN isp_subscription s ON s.id = v.sub_id
                   ON CONFLICT (subscription_id, date) DO UPDATE
                      SET download_bytes = isp_usage_daily.download_bytes
                                           + EXCLUDED.download_bytes,
                          upload_bytes = isp_usage_daily.upload_bytes + EXCLUDED.upload_bytes,
                          total_bytes = isp_usage_daily.total_bytes + EXCLUDED.total_bytes,
                          total_gb = round((isp_usage_daily.total_bytes
                                            + EXCLUDED.total_bytes) / %(gb)s, 3),
                          write_uid = EXCLUDED.write_uid,
                          write_date = EXCLUDED.write_date""",
                gb=GIGABYTE,
                uid=self.env.uid,
                ids=[key[0] for key in keys],
                days=[key[1] for key in keys],
                dls=[totals[key][0] for key in keys],
                uls=[totals[key][1] for key in keys],
            )
        )
        self.env["isp.usage.daily"].invalidate_model()
        return len(keys)

    @api.model
    def _cron_rollup_usage(self):
        self._rollup_usage()

    # ------------------------------------------------------------------
    # Archive
    # ------------------------------------------------------------------
    @api.model
    def _archive_accounting(self, batch_size=5000, commit=False):
        """Move closed sessions older than the retention into ``radacct_archive``.

        Bytes are rolled up first, so an archived session has been counted. Returns how
        many sessions moved.
        """
        self._rollup_usage()
        days = max(self.env.company.isp_radacct_retention_days or 180, 1)
        before = fields.Datetime.now() - datetime.timedelta(days=days)
        moved = 0
        while True:
            count = accounting.archive_sessions(self.env.cr, before, batch_size)
            moved += count
            if commit:
                self.env["ir.cron"]._notify_progress(done=moved, remaining=0 if not count else 1)
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if count < batch_size:
                break
        return moved

    @api.model
    def _cron_archive_accounting(self, batch_size=5000):
        self._archive_accounting(batch_size=batch_size, commit=True)

    # ------------------------------------------------------------------
    # Monthly quota
    # ------------------------------------------------------------------
    @api.model
    def _check_quota(self, subscriptions=None):
        """Flag the subscriptions over this month's quota, unflag the others.

        Flagged ones get their RADIUS rows rebuilt (throttle rate, or reject) and their
        live session changed (CoA) or cut (Disconnect); at month start the usage
        restarts from zero, so the flags go and throttled sessions get their speed
        back. Returns ``(newly_exceeded, reset)``.
        """
        Subscription = self.env["isp.subscription"].sudo()
        domain = [
            ("state", "not in", ("draft", "terminated")),
            "|",
            ("package_id.product_tmpl_id.isp_quota_gb", ">", 0),
            ("quota_exceeded", "=", True),
        ]
        if subscriptions is not None:
            domain.append(("id", "in", subscriptions.ids))
        candidates = Subscription.search(domain)
        today = Subscription._isp_today()
        usage = (
            self.env["isp.usage.daily"]
            .sudo()
            ._get_usage_bytes(candidates, today.replace(day=1), today)
        )
        over = candidates.filtered(
            lambda s: (
                s.package_id.isp_quota_gb > 0
                and usage.get(s.id, 0) >= s.package_id.isp_quota_gb * GIGABYTE
            )
        )
        newly = over.filtered(lambda s: not s.quota_exceeded)
        reset = candidates.filtered("quota_exceeded") - over
        quiet = {"isp_network_skip_enqueue": True}
        if newly:
            newly.with_context(**quiet).write({"quota_exceeded": True})
            live = newly.filtered(lambda s: s.state == "active")
            cut = live.filtered(lambda s: s.package_id.isp_quota_action == "disconnect")
            cut._isp_network_enqueue(session_action="disconnect")
            (live - cut)._isp_network_enqueue(session_action="coa")
        if reset:
            reset.with_context(**quiet).write({"quota_exceeded": False})
            reset.filtered(
                lambda s: s.state == "active" and s.package_id.isp_quota_action != "disconnect"
            )._isp_network_enqueue(session_action="coa")
        return newly, reset

    @api.model
    def _cron_check_quota(self):
        self._rollup_usage()
        self._check_quota()
