import logging

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessDenied, UserError
from odoo.http import request

from ..lib import hotspot, portal_login, portal_otp

_logger = logging.getLogger(__name__)

# Failed logins per client address, counted in isp.hotspot.attempt (shared by all
# workers, unlike Odoo's in-memory cooldown). System parameters override them.
LOGIN_THROTTLE_KEY_PREFIX = "weblogin:"
LOGIN_THROTTLE_LIMIT = 20


class ResUsers(models.Model):
    _inherit = "res.users"

    # ---- portal login
    @api.model
    def _get_login_domain(self, login):
        """A subscriber's PPPoE username finds the portal user of its partner.

        A real login always wins: only when no user has ``login`` does the PPPoE
        username get looked up, and it only ever leads to portal (share) users.
        """
        domain = super()._get_login_domain(login)
        if not login or self.sudo().search_count(domain, limit=1):
            return domain
        user_ids = self._isp_portal_get_pppoe_user_ids(login)
        # ---- OTP login: a mobile number with an open SMS code
        if not user_ids:
            user_ids = self.env["isp.portal.otp"]._isp_get_login_user_ids(login)
        if not user_ids:
            return domain
        website = self.env["website"].get_current_website()
        return [("id", "in", user_ids), *website.website_domain()]

    @api.model
    def _isp_portal_pppoe_login_domain(self, username):
        return [
            ("username", "=", username),
            ("state", "!=", "terminated"),
            ("company_id.isp_portal_pppoe_login", "=", True),
        ]

    @api.model
    def _isp_portal_get_pppoe_user_ids(self, username):
        subscriptions = (
            self.env["isp.subscription"]
            .sudo()
            .search(self._isp_portal_pppoe_login_domain(username), limit=10)
        )
        users = subscriptions.partner_id.user_ids.filtered(lambda user: user.share)
        return users.ids

    def _check_credentials(self, credential, env):
        try:
            return super()._check_credentials(credential, env)
        except AccessDenied:
            # ---- OTP login
            if self._isp_portal_check_otp_credential(credential, env):
                return {
                    "uid": self.env.user.id,
                    "auth_method": portal_otp.CREDENTIAL_OTP,
                    "mfa": "default",
                }
            if not self._isp_portal_check_pppoe_credential(credential, env):
                raise
            return {
                "uid": self.env.user.id,
                "auth_method": portal_login.CREDENTIAL_PPPOE,
                "mfa": "default",
            }

    # ---- OTP login
    def _isp_portal_check_otp_credential(self, credential, env):
        """Whether ``credential`` is an open SMS code of this portal user's number.

        ``{"type": "isp_otp", "login": <mobile>, "password": <code>}``; each try
        counts against the code, which logs in once.
        """
        user = self.env.user
        if (
            credential.get("type") != portal_otp.CREDENTIAL_OTP
            or not credential.get("login")
            or not credential.get("password")
            or not user.share
            or not (env or {}).get("interactive", True)
        ):
            return False
        return self.env["isp.portal.otp"]._isp_consume(
            credential["login"], credential["password"], user
        )

    def _isp_portal_check_pppoe_credential(self, credential, env):
        """Whether ``credential`` is the PPPoE username and password of a live
        subscription of this portal user's partner.

        Staff (non-share) users never log in this way; nor do scripts (non-interactive
        calls). The password is compared with the encrypted PPPoE secret, so a new PPPoE
        password is the portal password at once.
        """
        user = self.env.user
        if (
            credential.get("type") != "password"
            or not credential.get("login")
            or not credential.get("password")
            or not user.share
            or not (env or {}).get("interactive", True)
        ):
            return False
        subscriptions = self._isp_portal_get_login_subscriptions(credential["login"])
        for subscription in subscriptions:
            try:
                secret = subscription._isp_get_secret("password_encrypted")
            except UserError:
                _logger.warning("PPPoE secret of %s cannot be decrypted", subscription.id)
                continue
            if portal_login.secret_matches(secret, credential["password"]):
                return True
        return False

    def _isp_portal_get_login_subscriptions(self, login):
        """Live subscriptions of this user's subscriber whose password may log in.

        The PPPoE username names one subscription. The user's own login (such as
        ``subscriber-<id>`` when the username was taken) accepts the password of any
        live subscription of the subscriber.
        """
        user = self.env.user
        partners = user.partner_id | user.partner_id.commercial_partner_id
        Subscription = self.env["isp.subscription"].sudo()
        domain = self._isp_portal_pppoe_login_domain(login)
        subscriptions = Subscription.search([*domain, ("partner_id", "in", partners.ids)], limit=10)
        if not subscriptions and login == user.login:
            live = [leaf for leaf in domain if leaf[0] != "username"]
            subscriptions = Subscription.search(
                [*live, ("partner_id", "in", partners.ids), ("username", "!=", False)],
                limit=10,
            )
        return subscriptions

    # Throttle per client address, across workers
    @classmethod
    def _login(cls, db, credential, user_agent_env):
        key = cls._isp_portal_login_throttle_key()
        if key:
            with cls.pool.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                if env["res.users"]._isp_portal_login_blocked(key):
                    _logger.info("Login throttled for db:%s from %s", db, key)
                    raise AccessDenied(
                        env._("Too many login failures, please wait a bit before trying again.")
                    )
        try:
            return super()._login(db, credential, user_agent_env)
        except AccessDenied:
            if key:
                with cls.pool.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["isp.hotspot.attempt"]._register_failure([key])
            # ---- OTP login: a refused code counts against it
            if credential.get("type") == portal_otp.CREDENTIAL_OTP:
                with cls.pool.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["isp.portal.otp"]._isp_register_failure(credential.get("login"))
            raise

    @classmethod
    def _isp_portal_login_throttle_key(cls):
        if not request:
            return None
        return f"{LOGIN_THROTTLE_KEY_PREFIX}{(request.httprequest.remote_addr or 'unknown')[:64]}"

    @api.model
    def _isp_portal_get_login_throttle(self):
        """``(failures allowed, window in seconds)``; a limit of 0 disables it.

        The window is the hotspot counter's (15 minutes); the limit is the system
        parameter ``isp_portal.login_max_failures`` (20 by default).
        """
        params = self.env["ir.config_parameter"].sudo()
        limit = params.get_param("isp_portal.login_max_failures", LOGIN_THROTTLE_LIMIT)
        try:
            limit = int(limit)
        except ValueError:
            limit = LOGIN_THROTTLE_LIMIT
        return limit, self.env["isp.hotspot.attempt"]._get_throttle_window()

    @api.model
    def _isp_portal_login_blocked(self, key):
        limit, window = self._isp_portal_get_login_throttle()
        if limit <= 0:
            return False
        rows = (
            self.env["isp.hotspot.attempt"]
            .sudo()
            .search_read([("key", "=", key)], ["failures", "window_start"], limit=1)
        )
        now = fields.Datetime.now()
        return any(
            hotspot.throttle_blocked(row["failures"], row["window_start"], now, limit, window)
            for row in rows
        )
