from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError
from odoo.http import request

IMPERSONATOR_KEY = "isp_impersonator_uid"


class IspResellerLoginAs(http.Controller):
    """An ISP manager works in a reseller's panel as one of the reseller's users.

    The session is switched to that user (no password is asked nor shown) and keeps
    the manager in ``isp_impersonator_uid``: every audit row written meanwhile names
    both; ``/isp_reseller/login_as/exit`` switches back. Both are POSTs with CSRF.
    """

    @http.route("/isp_reseller/login_as/exit", type="http", auth="user", methods=["POST"])
    def login_as_exit(self, **kwargs):
        session = request.session
        manager_id = session.get(IMPERSONATOR_KEY)
        if not manager_id:
            raise AccessError(request.env._("You are not working as another user."))
        manager = request.env["res.users"].sudo().browse(manager_id).exists()
        user = request.env.user
        request.env["isp.audit.log"]._log(
            user,
            "other",
            description=request.env._(
                "%(manager)s stops working as %(user)s.", manager=manager.name, user=user.name
            ),
        )
        if not manager or not manager.active:
            session.logout(keep_db=True)
            return request.redirect("/web/login")
        self._switch_session(manager, impersonator=None)
        return request.redirect("/odoo/action-isp_reseller.action_isp_reseller")

    @http.route(
        "/isp_reseller/login_as/<int:reseller_id>",
        type="http",
        auth="user",
        methods=["GET", "POST"],
    )
    def login_as(self, reseller_id, **kwargs):
        reseller = request.env["isp.reseller"].browse(reseller_id).exists()
        if not reseller:
            raise NotFound()
        reseller._isp_check_login_as(impersonating=bool(request.session.get(IMPERSONATOR_KEY)))
        user = reseller._isp_get_login_as_user()
        if request.httprequest.method != "POST":
            return request.render(
                "isp_reseller.login_as_confirm", {"reseller": reseller, "target": user}
            )
        manager = request.env.user
        request.env["isp.audit.log"]._log(
            reseller,
            "other",
            description=request.env._(
                "%(manager)s starts working as %(user)s.", manager=manager.name, user=user.name
            ),
            new_value=user.login,
        )
        self._switch_session(user, impersonator=manager)
        return request.redirect("/odoo")

    def _switch_session(self, user, impersonator):
        """Make the current session ``user``'s; remember (or forget) the impersonator."""
        session = request.session
        env = request.env(user=user.id)
        session.update(
            {
                "login": user.login,
                "uid": user.id,
                "context": dict(env["res.users"].context_get()),
                "session_token": env.user._compute_session_token(session.sid),
            }
        )
        if impersonator:
            session[IMPERSONATOR_KEY] = impersonator.id
        else:
            session.pop(IMPERSONATOR_KEY, None)
        session.should_rotate = True
