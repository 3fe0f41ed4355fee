from odoo import _, http
from odoo.addons.helpdesk_mgmt.controllers.main import HelpdeskTicketController
from odoo.http import request

from ..lib import portal_actions
from .connection import IspConnectionPortal

PASSWORD_THROTTLE_PREFIX = "portal_pw"


class IspActionsPortal(IspConnectionPortal):
    """The subscriber's own actions: package change request and PPPoE password.

    Every page takes the subscription through ``_isp_get_subscription`` (sudo limited
    to the user's commercial partner): another subscriber's id answers 404.
    """

    # ------------------------------------------------------------------ helpers

    def _prepare_isp_connection_values(self, subscription_id=None):
        values = super()._prepare_isp_connection_values(subscription_id)
        settings = values["isp_settings"]
        values.update(
            show_package_change=settings["isp_portal_package_change"],
            show_password_change=settings["isp_portal_password_change"],
            show_tickets=settings["isp_portal_tickets"],
        )
        subscription = values.get("subscription")
        if subscription and settings["isp_portal_package_change"]:
            values["package_request"] = self._isp_get_last_package_request(subscription)
        return values

    def _isp_get_action_subscription(self, subscription_id, toggle):
        """The user's own subscription for an action page, or raise 404."""
        if not self._isp_portal_company()[toggle]:
            raise request.not_found()
        if subscription_id:
            subscription = self._isp_get_subscription(subscription_id)
        else:
            subscriptions = self._isp_get_subscriptions()
            # the connection in service first, as on the home page
            subscription = subscriptions.sorted(lambda sub: sub.state != "active")[:1]
        if not subscription:
            raise request.not_found()
        return subscription

    def _isp_get_last_package_request(self, subscription):
        return (
            request.env["isp.package.change"]
            .sudo()
            .search(
                [("subscription_id", "=", subscription.id), ("portal_requested", "=", True)],
                order="id desc",
                limit=1,
            )
        )

    def _isp_get_package_change_states(self):
        Change = request.env["isp.package.change"]
        return dict(Change._fields["state"]._description_selection(request.env))

    def _prepare_isp_package_values(self, subscription, package=None, error=None):
        company = self._isp_portal_company()
        last = self._isp_get_last_package_request(subscription)
        values = self._prepare_portal_layout_values()
        values.update(
            page_name="isp_package_change",
            subscription=subscription,
            packages=subscription._isp_portal_get_packages(),
            package=package,
            preview=package and subscription._isp_portal_package_preview(package),
            auto_apply=company.isp_portal_package_change_auto,
            last_request=last,
            pending_request=last if last.state in ("requested", "scheduled") else False,
            change_states=self._isp_get_package_change_states(),
            currency=subscription.company_id.currency_id,
            error=error,
        )
        return values

    def _isp_get_package(self, subscription, package_id):
        try:
            package_id = int(package_id or 0)
        except (TypeError, ValueError):
            package_id = 0
        return subscription._isp_portal_get_packages().filtered(lambda p: p.id == package_id)

    # ------------------------------------------------------------------ package change

    @http.route(
        "/my/connection/package", type="http", auth="user", website=True, methods=["GET", "POST"]
    )
    def portal_my_package_change(self, subscription_id=None, package_id=None, confirm=None, **kw):
        subscription = self._isp_get_action_subscription(
            subscription_id, "isp_portal_package_change"
        )
        package = None
        error = None
        if package_id:
            package = self._isp_get_package(subscription, package_id)
            if not package:
                error = _("This package cannot be chosen; pick one of the list.")
        if package and confirm and request.httprequest.method == "POST":
            last = self._isp_get_last_package_request(subscription)
            if last.state in ("requested", "scheduled"):
                error = _("Your previous request is still waiting; you can send a new one later.")
            elif subscription.state not in ("active", "suspended"):
                error = _("Only a connection in service can change its package.")
            else:
                auto = self._isp_portal_company().isp_portal_package_change_auto
                subscription._isp_portal_request_package_change(package, auto_apply=auto)
                return request.redirect(
                    f"/my/connection/package?subscription_id={subscription.id}&done=1"
                )
        values = self._prepare_isp_package_values(
            subscription, package=package or None, error=error
        )
        values["done"] = bool(kw.get("done"))
        return request.render("isp_portal.portal_my_package_change", values)

    # ------------------------------------------------------------------ password

    def _isp_password_throttle_keys(self, subscription):
        return [f"{PASSWORD_THROTTLE_PREFIX}:{subscription.id}"]

    def _get_isp_password_errors(self, codes):
        messages = {
            "short": _(
                "Use at least %(length)s characters.", length=portal_actions.PASSWORD_MIN_LENGTH
            ),
            "username": _("The password must not contain your username."),
            "space": _("No spaces at the start or the end, and no control characters."),
            "same": _("The new password is your current password."),
            "mismatch": _("The two new passwords differ."),
        }
        return [messages[code] for code in codes]

    @http.route(
        "/my/connection/password", type="http", auth="user", website=True, methods=["GET", "POST"]
    )
    def portal_my_password(self, subscription_id=None, **kw):
        subscription = self._isp_get_action_subscription(
            subscription_id, "isp_portal_password_change"
        )
        values = self._prepare_portal_layout_values()
        values.update(page_name="isp_password", subscription=subscription, errors=[])
        if not subscription.username:
            values["errors"] = [_("This connection has no PPPoE username.")]
            return request.render("isp_portal.portal_my_password", values)
        if request.httprequest.method == "POST":
            errors = self._isp_change_password(subscription, kw)
            if not errors:
                return request.redirect(
                    f"/my/connection/password?subscription_id={subscription.id}&done=1"
                )
            values["errors"] = errors
        values["done"] = bool(kw.get("done"))
        return request.render("isp_portal.portal_my_password", values)

    def _isp_change_password(self, subscription, form):
        """Check the form and change the password; the list of errors (empty: done)."""
        Attempt = request.env["isp.hotspot.attempt"].sudo()
        keys = self._isp_password_throttle_keys(subscription)
        if Attempt._is_blocked(keys):
            return [_("Too many wrong passwords. Try again in 15 minutes.")]
        current = form.get("current_password") or ""
        if not subscription._isp_portal_check_password(current):
            Attempt._register_failure(keys)
            return [_("The current password is wrong.")]
        codes = portal_actions.password_problems(
            form.get("new_password"),
            form.get("confirm_password"),
            subscription.username,
            current=current,
        )
        if codes:
            return self._get_isp_password_errors(codes)
        subscription._isp_portal_set_password(form["new_password"])
        Attempt._reset(keys)
        return []


class IspHelpdeskTicketController(HelpdeskTicketController):
    """Tickets opened in the portal are linked to the subscriber's connection."""

    def _get_create_new_ticket_values(self, **kw):
        values = super()._get_create_new_ticket_values(**kw)
        values["isp_subscriptions"] = self._isp_get_ticket_subscriptions()
        return values

    def _isp_get_ticket_subscriptions(self):
        partner = request.env.user.partner_id.commercial_partner_id
        return (
            request.env["isp.subscription"]
            .sudo()
            .search([("partner_id", "child_of", partner.id)], order="id")
        )

    def _prepare_submit_ticket_vals(self, **kw):
        vals = super()._prepare_submit_ticket_vals(**kw)
        subscriptions = self._isp_get_ticket_subscriptions()
        try:
            wanted = int(kw.get("isp_subscription_id") or 0)
        except (TypeError, ValueError):
            wanted = 0
        subscription = subscriptions.filtered(lambda sub: sub.id == wanted)
        if not subscription:
            # one's own connection only; otherwise the one in service
            subscription = subscriptions.sorted(lambda sub: sub.state != "active")[:1]
        if subscription:
            vals["isp_subscription_id"] = subscription.id
        return vals
