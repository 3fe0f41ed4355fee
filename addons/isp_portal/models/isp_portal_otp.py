from odoo import api, fields, models
from odoo.addons.isp_base.lib.phone import InvalidPhone, normalize_bd_mobile
from odoo.tools import SQL

from ..lib import hotspot, portal_otp

# Codes asked for within the throttle window (15 minutes), per number and per client
# address; system parameters override them.
OTP_PHONE_LIMIT = 5
OTP_ADDR_LIMIT = 30
OTP_PHONE_KEY = "otp_phone:"
OTP_ADDR_KEY = "otp_addr:"


class IspPortalOtp(models.Model):
    """One SMS code sent to log in by mobile number (a *challenge*).

    Only a keyed hash of the code is stored. An unknown number gets a challenge too
    (without user and without SMS), so that every number gets the same answer, the
    same cooldown and the same throttle: nobody learns which numbers are subscribers.
    """

    _name = "isp.portal.otp"
    _description = "ISP Portal SMS Login Code"
    _order = "id desc"
    _rec_name = "phone"

    phone = fields.Char(required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", readonly=True, ondelete="cascade", index=True)
    partner_id = fields.Many2one("res.partner", readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, ondelete="cascade")
    code_hash = fields.Char(readonly=True, groups="base.group_system")
    nonce = fields.Char(readonly=True, groups="base.group_system")
    expires_at = fields.Datetime(required=True, readonly=True)
    attempts = fields.Integer(readonly=True, default=0)
    consumed_at = fields.Datetime(readonly=True)
    request_addr = fields.Char(readonly=True)

    # ------------------------------------------------------------------ settings

    @api.model
    def _isp_get_int_param(self, name, default):
        value = self.env["ir.config_parameter"].sudo().get_param(name, default)
        try:
            return int(value)
        except (TypeError, ValueError):
            return default

    @api.model
    def _isp_get_limits(self):
        """``{key prefix: codes allowed per throttle window}``; 0 disables one."""
        return {
            OTP_PHONE_KEY: self._isp_get_int_param("isp_portal.otp_max_per_phone", OTP_PHONE_LIMIT),
            OTP_ADDR_KEY: self._isp_get_int_param("isp_portal.otp_max_per_addr", OTP_ADDR_LIMIT),
        }

    @api.model
    def _isp_get_secret(self):
        return self.env["ir.config_parameter"].sudo().get_param("database.secret") or ""

    # ------------------------------------------------------------------ request

    @api.model
    def _isp_normalize_phone(self, raw):
        try:
            return normalize_bd_mobile(raw)
        except InvalidPhone:
            return None

    @api.model
    def _isp_find_user(self, phone):
        """The portal user a code for ``phone`` logs in (created when missing), or none.

        The subscriber whose mobile is ``phone`` and has a live subscription of a
        company that allows the SMS login; the oldest one when a number is shared.
        """
        Users = self.env["res.users"]
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("mobile", "=", phone), ("is_isp_subscriber", "=", True)], order="id")
        )
        if not partners:
            return Users
        subscriptions = (
            self.env["isp.subscription"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("state", "!=", "terminated"),
                    ("company_id.isp_portal_otp_login", "=", True),
                ],
                order="partner_id, id",
            )
        )
        for partner in subscriptions.partner_id:
            users = partner.sudo().user_ids.filtered(lambda user: user.share and user.active)
            if not users and not partner.user_ids:
                users = subscriptions.filtered(lambda sub, p=partner: sub.partner_id == p)[
                    :1
                ]._isp_portal_create_users()
            if users:
                return users[:1]
        return Users

    @api.model
    def _isp_throttle_keys(self, phone, addr):
        return [f"{OTP_PHONE_KEY}{phone}", f"{OTP_ADDR_KEY}{(addr or 'unknown')[:64]}"]

    @api.model
    def _isp_is_throttled(self, keys):
        limits = self._isp_get_limits()
        window = self.env["isp.hotspot.attempt"]._get_throttle_window()
        now = fields.Datetime.now()
        rows = (
            self.env["isp.hotspot.attempt"]
            .sudo()
            .search_read([("key", "in", keys)], ["key", "failures", "window_start"])
        )
        for row in rows:
            limit = next(
                (lim for prefix, lim in limits.items() if row["key"].startswith(prefix)), 0
            )
            if limit > 0 and hotspot.throttle_blocked(
                row["failures"], row["window_start"], now, limit, window
            ):
                return True
        return False

    @api.model
    def _isp_cooldown_left(self, phone):
        last = self.sudo().search([("phone", "=", phone)], order="id desc", limit=1)
        cooldown = self._isp_get_int_param(
            "isp_portal.otp_resend_seconds", portal_otp.RESEND_COOLDOWN_SECONDS
        )
        if cooldown <= 0 or not last:
            return 0
        return portal_otp.cooldown_left(
            self.env.cr.now(), last.create_date, cooldown_seconds=cooldown
        )

    @api.model
    def _isp_request_code(self, raw_phone, addr=None):
        """Send a login code to ``raw_phone``; the same answer for every valid number.

        Returns ``{"status": ..., "phone": e164, "wait": seconds}`` where status is
        ``invalid`` (not a BD mobile), ``throttled``, ``cooldown`` or ``sent`` (said
        of unknown numbers too, which get nothing).
        """
        phone = self._isp_normalize_phone(raw_phone)
        if not phone:
            return {"status": "invalid", "phone": None, "wait": 0}
        keys = self._isp_throttle_keys(phone, addr)
        if self._isp_is_throttled(keys):
            return {"status": "throttled", "phone": phone, "wait": 0}
        wait = self._isp_cooldown_left(phone)
        if wait:
            return {"status": "cooldown", "phone": phone, "wait": wait}
        self.env["isp.hotspot.attempt"].sudo()._register_failure(keys)
        code = portal_otp.new_code()
        self._isp_create_challenge(phone, code, addr=addr)
        return {"status": "sent", "phone": phone, "wait": 0}

    @api.model
    def _prepare_isp_challenge_vals(self, phone, code, user, addr=None):
        nonce = portal_otp.new_nonce()
        return {
            "phone": phone,
            "user_id": user.id or False,
            "partner_id": user.partner_id.id or False,
            "company_id": user.company_id.id or False,
            "nonce": nonce,
            "code_hash": portal_otp.hash_code(self._isp_get_secret(), phone, nonce, code),
            "expires_at": portal_otp.expiry(self.env.cr.now()),
            "request_addr": (addr or "")[:64] or False,
        }

    @api.model
    def _isp_create_challenge(self, phone, code, addr=None):
        """Store the hashed ``code`` for ``phone`` and text it when a user is behind it.

        Earlier open codes of the number stop working. Also the hook the tests use to
        create a challenge with a known code.
        """
        user = self._isp_find_user(phone)
        self.sudo().search(
            [("phone", "=", phone), ("consumed_at", "=", False)]
        ).consumed_at = fields.Datetime.now()
        challenge = self.sudo().create(self._prepare_isp_challenge_vals(phone, code, user, addr))
        if user:
            self._isp_send_code(challenge, code)
        return challenge

    def _isp_send_code(self, challenge, code):
        partner = challenge.partner_id
        return (
            self.env["isp.notify.dispatcher"]
            .sudo()
            ._isp_send_otp(challenge.phone, code, partner=partner, lang=partner.lang)
        )

    # ------------------------------------------------------------------ verify

    @api.model
    def _isp_get_login_user_ids(self, phone):
        """The user an open code of ``phone`` logs in, for ``res.users`` login lookup."""
        phone = self._isp_normalize_phone(phone)
        if not phone:
            return []
        challenge = self.sudo().search(
            [
                ("phone", "=", phone),
                ("consumed_at", "=", False),
                ("user_id", "!=", False),
                ("expires_at", ">", fields.Datetime.now()),
                ("company_id.isp_portal_otp_login", "=", True),
            ],
            limit=1,
        )
        return challenge.user_id.ids

    @api.model
    def _isp_consume(self, phone, typed, user):
        """Whether ``typed`` is the open code of ``phone`` for ``user``; uses it once.

        The row is locked while checked and marked used by a conditional update, so two
        concurrent logins with the same code cannot both succeed. A refused try is
        counted by :meth:`_isp_register_failure` after the login's transaction rolled
        back (``res.users._login``).
        """
        phone = self._isp_normalize_phone(phone)
        if not phone or not user:
            return False
        self.env.cr.execute(
            SQL(
                """SELECT id, code_hash, nonce FROM isp_portal_otp
                    WHERE phone = %s AND user_id = %s AND consumed_at IS NULL
                      AND expires_at > (now() AT TIME ZONE 'UTC') AND attempts < %s
                 ORDER BY id DESC LIMIT 1
                      FOR UPDATE""",
                phone,
                user.id,
                self._isp_get_max_attempts(),
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return False
        challenge_id, code_hash, nonce = row
        if not portal_otp.code_matches(code_hash, self._isp_get_secret(), phone, nonce, typed):
            return False
        self.env.cr.execute(
            SQL(
                """UPDATE isp_portal_otp
                      SET attempts = attempts + 1,
                          consumed_at = now() AT TIME ZONE 'UTC',
                          write_date = now() AT TIME ZONE 'UTC'
                    WHERE id = %s AND consumed_at IS NULL
                RETURNING id""",
                challenge_id,
            )
        )
        used = self.env.cr.fetchone()
        self.invalidate_model(["attempts", "consumed_at"])
        return bool(used)

    @api.model
    def _isp_get_max_attempts(self):
        return self._isp_get_int_param("isp_portal.otp_max_attempts", portal_otp.MAX_ATTEMPTS)

    @api.model
    def _isp_register_failure(self, phone):
        """Count a refused code against the open codes of ``phone``."""
        phone = self._isp_normalize_phone(phone)
        if not phone:
            return
        self.env.cr.execute(
            SQL(
                """UPDATE isp_portal_otp
                      SET attempts = attempts + 1, write_date = now() AT TIME ZONE 'UTC'
                    WHERE phone = %s AND consumed_at IS NULL AND user_id IS NOT NULL
                      AND expires_at > (now() AT TIME ZONE 'UTC')""",
                phone,
            )
        )
        self.invalidate_model(["attempts"])

    @api.autovacuum
    def _gc_old_challenges(self):
        limit = fields.Datetime.subtract(fields.Datetime.now(), days=1)
        self.sudo().search([("expires_at", "<", limit)]).unlink()
