"""The hotspot captive login page that MikroTik's hotspot redirects to.

The router's own ``login.html`` sends the browser here with its variables
(``link-login-only``, ``link-orig``, ``chap-id``, ``chap-challenge``, ``mac``, ``ip``,
``error``). We never log anyone into the network ourselves: a voucher PIN is redeemed
here (exactly once) into a hotspot subscription, and its username and password, or the
ones the user typed, are handed back to the router with a plain HTML form posting to
``link-login-only`` (the CHAP answer computed server-side, so no JavaScript is needed).

The status page is ours; it shows a subscription only to the browser that holds the
signed token issued at login (in a cookie and in the ``dst`` URL the router opens after
login). Parameters the router passes (username, ip, mac) are never trusted for it.
"""

import hmac
import logging
import time
from urllib.parse import urlencode

from odoo import _, fields, http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools.misc import hmac as odoo_hmac

from ..lib import hotspot

_logger = logging.getLogger(__name__)

ROUTER_PARAMS = ("link-login-only", "link-orig", "chap-id", "chap-challenge", "mac", "ip")
STATUS_COOKIE = "isp_hotspot_status"
TOKEN_MIN_SECONDS = 3600
TOKEN_MAX_SECONDS = 30 * 86400
MAX_FIELD_LENGTH = 128


class IspHotspot(http.Controller):
    # ------------------------------------------------------------------ helpers

    def _hotspot_company(self):
        company = request.env.company
        if not company.sudo().isp_hotspot_enabled:
            raise request.not_found()
        return company

    def _hotspot_token_key(self):
        return odoo_hmac(request.env(su=True), "isp_portal.hotspot_status", "key").encode()

    def _get_router_params(self, kwargs):
        """The router's variables, trimmed; ``link-login-only`` checked when present."""
        params = {
            name: str(kwargs.get(name) or "")[: hotspot.MAX_PARAM_LENGTH].strip()
            for name in ROUTER_PARAMS
        }
        params["mac"] = hotspot.normalize_mac(params["mac"])
        if params["link-login-only"]:
            hosts = (self._hotspot_company().sudo().isp_hotspot_allowed_hosts or "").split(",")
            params["link-login-only"] = hotspot.validate_router_url(
                params["link-login-only"], hosts
            )
        if not params["link-orig"].startswith(("http://", "https://")):
            params["link-orig"] = ""
        return params

    def _client_keys(self, params):
        return hotspot.client_keys(request.httprequest.remote_addr, params["mac"])

    def _prepare_layout_values(self, company, **values):
        lang_links = []
        languages = request.website.language_ids if request.website else []
        if len(languages) > 1 and request.httprequest.method == "GET":
            path = request.httprequest.full_path.rstrip("?")
            for lang in languages:
                lang_links.append(
                    {
                        "name": lang.name.split(" /")[0],
                        "url": request.env["ir.http"]._url_lang(path, lang.url_code),
                        "active": lang.code == request.env.lang,
                    }
                )
        return {
            "company": company,
            "color": self._get_color(company),
            "lang_links": lang_links,
            "html_lang": (request.env.lang or "en_US").replace("_", "-"),
            **values,
        }

    def _get_color(self, company):
        color = (company.sudo().isp_hotspot_color or "").strip()
        ok = len(color) in (4, 7) and color.startswith("#")
        return color if ok and all(c in "0123456789abcdefABCDEF" for c in color[1:]) else "#1f6feb"

    def _render_login(self, company, params, error=None, status=200):
        values = self._prepare_layout_values(
            company,
            params=params,
            error=error,
            router_error=request.params.get("error", "")[:200] if not error else "",
            welcome=company.sudo().isp_hotspot_welcome,
        )
        return request.render("isp_portal.hotspot_login", values, status=status)

    def _issue_status_token(self, subscription, params):
        now = int(time.time())
        expires = now + TOKEN_MIN_SECONDS
        if subscription.expiry_at:
            expires = max(expires, int(subscription.expiry_at.timestamp()))
        expires = min(expires, now + TOKEN_MAX_SECONDS)
        logout = ""
        if params["link-login-only"]:
            logout = hotspot.logout_url_from_login(params["link-login-only"])
        token = hotspot.make_status_token(
            self._hotspot_token_key(), subscription.id, expires, logout
        )
        return token, expires

    def _prepare_handoff_values(self, params, username, password):
        """The fields the router's ``/login`` expects (HTTP-CHAP or HTTP-PAP)."""
        if params["chap-id"] or params["chap-challenge"]:
            password = hotspot.chap_response(params["chap-id"], password, params["chap-challenge"])
        return {"username": username, "password": password}

    def _render_handoff(self, company, params, username, password, subscription=None):
        token = expires = None
        if subscription:
            token, expires = self._issue_status_token(subscription, params)
        dst = params["link-orig"]
        if token:
            dst = f"{request.httprequest.host_url}hotspot/status?{urlencode({'token': token})}"
        values = self._prepare_layout_values(
            company,
            action=params["link-login-only"],
            fields={**self._prepare_handoff_values(params, username, password), "dst": dst},
            title=_("Connecting..."),
        )
        response = request.render("isp_portal.hotspot_handoff", values)
        if token:
            self._set_status_cookie(response, token, expires)
        return response

    def _set_status_cookie(self, response, token, expires):
        response.set_cookie(
            STATUS_COOKIE,
            token,
            max_age=max(expires - int(time.time()), 60),
            httponly=True,
            samesite="Lax",
            secure=request.httprequest.scheme == "https",
        )

    def _find_hotspot_subscription(self, company, username, password):
        """``(subscription, password matches)`` of the company's hotspot ``username``.

        The subscription is empty when Odoo does not know the username (the router
        may: its own local users).
        """
        Subscription = request.env["isp.subscription"].sudo()
        subscription = Subscription.search(
            [
                ("company_id", "=", company.id),
                ("connection_type", "=", "hotspot"),
                ("username", "=", username),
            ],
            limit=1,
        )
        if not subscription:
            return subscription, False
        stored = subscription._isp_get_secret("password_encrypted") or ""
        return subscription, hmac.compare_digest(stored.encode(), password.encode())

    def _prepare_voucher_partner_vals(self, company, params):
        return {
            "name": _("Hotspot guest %(mac)s", mac=params["mac"] or params["ip"] or "").strip(),
            "company_id": company.id,
        }

    def _redeem_voucher(self, company, pin, params):
        """Redeem ``pin`` into a new hotspot subscription; raise UserError when it fails.

        Everything (the guest partner included) is rolled back when the card is refused.
        """
        env = request.env(su=True)
        with env.cr.savepoint():
            partner = env["res.partner"].create(self._prepare_voucher_partner_vals(company, params))
            return env["isp.voucher.card"].with_company(company)._redeem(pin, partner=partner)

    def _prepare_status_values(self, subscription):
        now = fields.Datetime.now()
        quota = (subscription.package_id.isp_quota_gb or 0) * 10**9
        used = 0
        if quota:
            today = subscription._isp_today()
            usage = (
                request.env["isp.usage.daily"]
                .sudo()
                ._get_usage_bytes(subscription, today.replace(day=1), today)
            )
            used = usage.get(subscription.id, 0)
        seconds, bytes_left = hotspot.remaining(
            subscription.expiry_at.timestamp() if subscription.expiry_at else None,
            now.timestamp(),
            quota,
            used,
        )
        return {
            "subscription": subscription,
            "time_left": None if seconds is None else hotspot.format_duration(seconds),
            "data_left": None if bytes_left is None else hotspot.format_bytes(bytes_left),
            "data_used": hotspot.format_bytes(used),
            "expired": seconds == 0 or subscription.state != "active",
        }

    # ------------------------------------------------------------------ routes

    @http.route(
        "/hotspot/login",
        type="http",
        auth="public",
        website=True,
        methods=["GET", "POST"],
        csrf=False,  # the router's login.html posts here; the page only renders
        sitemap=False,
    )
    def hotspot_login(self, **kwargs):
        company = self._hotspot_company()
        try:
            params = self._get_router_params(kwargs)
        except hotspot.InvalidRouterParam:
            return self._render_login(
                company,
                dict.fromkeys(ROUTER_PARAMS, ""),
                error=self._bad_router_error(),
                status=400,
            )
        return self._render_login(company, params)

    def _bad_router_error(self):
        return _(
            "This page must be opened from the hotspot's login page. Connect to the "
            "Wi-Fi again and open any web site."
        )

    def _check_post(self, kwargs):
        """Company, router params and throttle keys of a login POST, or an error page."""
        company = self._hotspot_company()
        try:
            params = self._get_router_params(kwargs)
        except hotspot.InvalidRouterParam:
            params = None
        if not params or not params["link-login-only"]:
            page = self._render_login(
                company,
                dict.fromkeys(ROUTER_PARAMS, ""),
                error=self._bad_router_error(),
                status=400,
            )
            return company, None, None, page
        keys = self._client_keys(params)
        if request.env["isp.hotspot.attempt"].sudo()._is_blocked(keys):
            page = self._render_login(
                company,
                params,
                error=_(
                    "Too many wrong attempts. Wait %(minutes)s minutes and try again.", minutes=15
                ),
                status=429,
            )
            return company, params, keys, page
        return company, params, keys, None

    @http.route(
        "/hotspot/voucher",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
        sitemap=False,
    )
    def hotspot_voucher(self, pin="", **kwargs):
        company, params, keys, error_page = self._check_post(kwargs)
        if error_page:
            return error_page
        Attempt = request.env["isp.hotspot.attempt"].sudo()
        try:
            subscription = self._redeem_voucher(company, str(pin)[:MAX_FIELD_LENGTH], params)
        except UserError as exc:
            Attempt._register_failure(keys)
            return self._render_login(company, params, error=str(exc), status=400)
        Attempt._reset(keys[:1] if params["mac"] else [])
        password = subscription._isp_get_secret("password_encrypted") or ""
        return self._render_handoff(company, params, subscription.username, password, subscription)

    @http.route(
        "/hotspot/credentials",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
        sitemap=False,
    )
    def hotspot_credentials(self, username="", password="", **kwargs):
        company, params, keys, error_page = self._check_post(kwargs)
        if error_page:
            return error_page
        username = str(username).strip()[:MAX_FIELD_LENGTH]
        password = str(password)[:MAX_FIELD_LENGTH]
        if not username or not password:
            error = _("Type your username and password.")
            return self._render_login(company, params, error=error, status=400)
        # The router decides (it may know users we do not); we only check ours to
        # issue the status token, and count their failures so the check is no oracle.
        subscription, matches = self._find_hotspot_subscription(company, username, password)
        if subscription and not matches:
            request.env["isp.hotspot.attempt"].sudo()._register_failure(keys)
        return self._render_handoff(
            company, params, username, password, subscription if matches else None
        )

    def _status_subscription(self, token):
        try:
            data = hotspot.read_status_token(self._hotspot_token_key(), token, int(time.time()))
        except hotspot.InvalidStatusToken:
            return None, None
        subscription = request.env["isp.subscription"].sudo().browse(data["s"]).exists()
        if not subscription or subscription.connection_type != "hotspot":
            return None, None
        return subscription, data

    @http.route("/hotspot/status", type="http", auth="public", website=True, sitemap=False)
    def hotspot_status(self, token=None, **kwargs):
        company = self._hotspot_company()
        from_url = bool(token)
        token = str(token or request.httprequest.cookies.get(STATUS_COOKIE) or "")
        subscription, data = self._status_subscription(token)
        values = self._prepare_layout_values(company, title=_("Hotspot status"))
        if subscription:
            values.update(self._prepare_status_values(subscription), logout_url=data["l"])
        response = request.render("isp_portal.hotspot_status", values)
        if subscription and from_url:
            self._set_status_cookie(response, token, data["e"])
        return response

    @http.route(
        "/hotspot/logout", type="http", auth="public", website=True, methods=["POST"], sitemap=False
    )
    def hotspot_logout(self, **kwargs):
        """Forget the status cookie, then post the browser to the router's logout."""
        company = self._hotspot_company()
        token = str(request.httprequest.cookies.get(STATUS_COOKIE) or "")
        subscription, data = self._status_subscription(token)
        if not subscription or not data["l"]:
            response = request.redirect("/hotspot/status")
        else:
            values = self._prepare_layout_values(
                company, action=data["l"], fields={}, title=_("Logging out...")
            )
            response = request.render("isp_portal.hotspot_handoff", values)
        response.delete_cookie(STATUS_COOKIE)
        return response
