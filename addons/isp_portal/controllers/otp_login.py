from odoo import _, http
from odoo.addons.web.controllers.utils import _get_login_redirect_url
from odoo.exceptions import AccessDenied
from odoo.http import request

from ..lib import portal_otp


class IspOtpLogin(http.Controller):
    """Log in with the registered mobile number and a one-time SMS code.

    The code form authenticates through Odoo's session machinery
    (``request.session.authenticate`` with the ``isp_otp`` credential type), so
    two-factor policies, the login log and the session stay Odoo's. Every number,
    known or not, gets the same answers.
    """

    def _isp_otp_company(self):
        website = getattr(request, "website", None)
        return (website.company_id if website else request.env.company).sudo()

    def _isp_otp_check_enabled(self):
        if not self._isp_otp_company().isp_portal_otp_login:
            raise request.not_found()

    def _prepare_isp_otp_values(self, **values):
        values.setdefault("step", "phone")
        values.setdefault("phone", "")
        values.setdefault("error", None)
        values.setdefault("info", None)
        values.setdefault("redirect", request.params.get("redirect") or "")
        values["code_length"] = portal_otp.CODE_LENGTH
        return values

    def _isp_otp_render(self, **values):
        response = request.render("isp_portal.login_otp", self._prepare_isp_otp_values(**values))
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response

    def _get_isp_otp_request_message(self, result):
        if result["status"] == "invalid":
            return _("Type a Bangladeshi mobile number, such as 01712345678.")
        if result["status"] == "throttled":
            return _("Too many codes were asked for. Please try again in 15 minutes.")
        if result["status"] == "cooldown":
            return _(
                "A code was sent a moment ago. You can ask for another one in %(seconds)s seconds.",
                seconds=result["wait"],
            )
        return None

    @http.route(
        "/web/login/otp",
        type="http",
        auth="public",
        website=True,
        sitemap=False,
        methods=["GET", "POST"],
    )
    def isp_login_otp(self, phone=None, **kw):
        self._isp_otp_check_enabled()
        if request.httprequest.method != "POST":
            return self._isp_otp_render()
        result = (
            request.env["isp.portal.otp"]
            .sudo()
            ._isp_request_code(phone, addr=request.httprequest.remote_addr)
        )
        error = self._get_isp_otp_request_message(result)
        if result["status"] == "invalid":
            return self._isp_otp_render(phone=phone or "", error=error)
        info = None
        if result["status"] == "sent":
            info = _(
                "If %(phone)s is registered with us, a %(length)s-digit code is on its "
                "way by SMS. It works for 5 minutes.",
                phone=result["phone"],
                length=portal_otp.CODE_LENGTH,
            )
        return self._isp_otp_render(step="code", phone=result["phone"], error=error, info=info)

    @http.route(
        "/web/login/otp/verify",
        type="http",
        auth="public",
        website=True,
        sitemap=False,
        methods=["POST"],
    )
    def isp_login_otp_verify(self, phone=None, code=None, redirect=None, **kw):
        self._isp_otp_check_enabled()
        phone = request.env["isp.portal.otp"]._isp_normalize_phone(phone)
        if not phone:
            return self._isp_otp_render(
                error=_("Type a Bangladeshi mobile number, such as 01712345678.")
            )
        credential = {
            "type": portal_otp.CREDENTIAL_OTP,
            "login": phone,
            "password": (code or "").strip()[:32],
        }
        try:
            auth_info = request.session.authenticate(request.db, credential)
        except AccessDenied as exc:
            error = _("This code is wrong or no longer valid. Check it or ask for a new one.")
            if exc.args != AccessDenied().args and exc.args:
                error = exc.args[0]
            return self._isp_otp_render(step="code", phone=phone, error=error)
        request.params["login_success"] = True
        return request.redirect(_get_login_redirect_url(auth_info["uid"], redirect or "/my"))
