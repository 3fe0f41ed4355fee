import datetime

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import hotspot

THROTTLE_WINDOW_SECONDS = 15 * 60
# Many phones share the router's public address; a MAC is one device.
THROTTLE_LIMITS = {"mac": 5, "addr": 100}


class IspHotspotAttempt(models.Model):
    """Failed captive-portal logins (wrong PIN or password) per client key.

    Counted with one ``INSERT ... ON CONFLICT DO UPDATE`` so concurrent workers
    never lose a failure; a window older than the throttle window restarts at one.
    """

    _name = "isp.hotspot.attempt"
    _description = "ISP Hotspot Failed Login"
    _rec_name = "key"

    key = fields.Char(required=True, readonly=True)
    failures = fields.Integer(readonly=True, default=0)
    window_start = fields.Datetime(readonly=True)

    _sql_constraints = [("key_uniq", "unique(key)", "One counter per client.")]

    @api.model
    def _get_throttle_limit(self, key):
        return THROTTLE_LIMITS.get(key.split(":", 1)[0], THROTTLE_LIMITS["mac"])

    @api.model
    def _get_throttle_window(self):
        return THROTTLE_WINDOW_SECONDS

    @api.model
    def _is_blocked(self, keys):
        now = fields.Datetime.now()
        rows = self.sudo().search_read([("key", "in", keys)], ["key", "failures", "window_start"])
        return any(
            hotspot.throttle_blocked(
                row["failures"],
                row["window_start"],
                now,
                self._get_throttle_limit(row["key"]),
                self._get_throttle_window(),
            )
            for row in rows
        )

    @api.model
    def _register_failure(self, keys):
        window = datetime.timedelta(seconds=self._get_throttle_window())
        for key in keys:
            self.env.cr.execute(
                SQL(
                    """INSERT INTO isp_hotspot_attempt
                              (key, failures, window_start, create_uid, create_date,
                               write_uid, write_date)
                       VALUES (%(key)s, 1, now() AT TIME ZONE 'UTC', %(uid)s,
                               now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC')
                  ON CONFLICT (key) DO UPDATE SET
                       failures = CASE
                           WHEN isp_hotspot_attempt.window_start
                                < (now() AT TIME ZONE 'UTC') - %(window)s
                           THEN 1 ELSE isp_hotspot_attempt.failures + 1 END,
                       window_start = CASE
                           WHEN isp_hotspot_attempt.window_start
                                < (now() AT TIME ZONE 'UTC') - %(window)s
                           THEN now() AT TIME ZONE 'UTC'
                           ELSE isp_hotspot_attempt.window_start END,
                       write_date = now() AT TIME ZONE 'UTC'""",
                    key=key,
                    uid=self.env.uid,
                    window=window,
                )
            )
        self.invalidate_model(["failures", "window_start"])

    @api.model
    def _reset(self, keys):
        self.sudo().search([("key", "in", keys)]).unlink()

    @api.autovacuum
    def _gc_old_attempts(self):
        limit = fields.Datetime.now() - datetime.timedelta(days=1)
        self.sudo().search([("write_date", "<", limit)]).unlink()
