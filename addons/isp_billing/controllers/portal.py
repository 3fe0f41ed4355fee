import math

from odoo import _, http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from ..models.isp_payment_claim import CLAIM_METHODS
from ..models.isp_payment_mandate import LIVE_STATES

CLAIM_FIELDS = ("method", "transaction_ref", "amount", "sender_number", "subscription_id")


class IspBillingPortal(CustomerPortal):
    """The subscriber's own mobile money claims and bKash auto-debit in the portal.

    Portal users have no access rights on claims, mandates or subscriptions: every
    read goes through ``sudo()`` limited to the logged-in user's commercial partner,
    and every write through the models' own submission / Start / Cancel logic.
    """

    # ------------------------------------------------------------------ helpers

    def _isp_portal_partner(self):
        return request.env.user.partner_id.commercial_partner_id

    def _isp_get_subscriptions_domain(self, partner):
        return [("partner_id", "child_of", partner.id)]

    def _isp_get_subscriptions(self):
        partner = self._isp_portal_partner()
        return (
            request.env["isp.subscription"]
            .sudo()
            .search(self._isp_get_subscriptions_domain(partner), order="id")
        )

    def _isp_get_subscription(self, subscription_id):
        """The subscription ``subscription_id`` if it is the user's own, else empty."""
        try:
            subscription_id = int(subscription_id or 0)
        except (TypeError, ValueError):
            subscription_id = 0
        if not subscription_id:
            return request.env["isp.subscription"].sudo().browse()
        partner = self._isp_portal_partner()
        return (
            request.env["isp.subscription"]
            .sudo()
            .search(
                [("id", "=", subscription_id), *self._isp_get_subscriptions_domain(partner)],
                limit=1,
            )
        )

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "isp_subscription_count" in counters:
            # Both cards are shown to subscribers only.
            partner = self._isp_portal_partner()
            values["isp_subscription_count"] = (
                request.env["isp.subscription"]
                .sudo()
                .search_count(self._isp_get_subscriptions_domain(partner), limit=1)
            )
        return values

    # ------------------------------------------------------------------ claims

    def _isp_get_claims_domain(self, partner):
        return [("partner_id", "=", partner.id)]

    def _prepare_isp_claims_values(self, form=None, error=None, submitted=False):
        partner = self._isp_portal_partner()
        claims = (
            request.env["isp.payment.claim"]
            .sudo()
            .search(self._isp_get_claims_domain(partner), order="claimed_at desc, id desc")
        )
        Claim = request.env["isp.payment.claim"]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "isp_payment_claims",
                "claims": claims,
                "claim_states": dict(Claim._fields["state"]._description_selection(request.env)),
                "claim_methods": Claim._fields["method"]._description_selection(request.env),
                "subscriptions": self._isp_get_subscriptions(),
                "currency": request.env.company.currency_id,
                "form": form or {},
                "error": error,
                "submitted": submitted,
            }
        )
        return values

    def _isp_parse_amount(self, value):
        # float() reads Bangla digits too; thousands separators are dropped.
        try:
            amount = float((value or "").replace(",", "").strip())
        except ValueError:
            return None
        return amount if math.isfinite(amount) and amount > 0 else None

    def _isp_submit_portal_claim(self, form):
        """Submit the claim of ``form`` for the user's partner; raise UserError if bad."""
        methods = dict(CLAIM_METHODS)
        if form.get("method") not in methods:
            raise UserError(_("Choose the wallet you paid with: bKash, Nagad or Rocket."))
        if not (form.get("transaction_ref") or "").strip():
            raise UserError(_("Give the transaction ID of your payment."))
        amount = self._isp_parse_amount(form.get("amount"))
        if amount is None:
            raise UserError(
                _("The amount %(amount)s is not a positive number.", amount=form.get("amount"))
            )
        subscription = self._isp_get_subscription(form.get("subscription_id"))
        if form.get("subscription_id") and not subscription:
            raise UserError(_("Choose one of your own subscriptions."))
        return (
            request.env["isp.payment.claim"]
            .sudo()
            ._isp_portal_submit_claim(
                self._isp_portal_partner(),
                form["method"],
                form["transaction_ref"],
                amount,
                sender=(form.get("sender_number") or "").strip() or None,
                subscription=subscription or None,
            )
        )

    @http.route("/my/payment-claims", type="http", auth="user", website=True, methods=["GET"])
    def portal_my_payment_claims(self, submitted=None, **kw):
        form = {key: kw[key] for key in ("subscription_id", "amount") if kw.get(key)}
        values = self._prepare_isp_claims_values(form=form, submitted=bool(submitted))
        return request.render("isp_billing.portal_my_payment_claims", values)

    @http.route("/my/payment-claims", type="http", auth="user", website=True, methods=["POST"])
    def portal_submit_payment_claim(self, **post):
        form = {key: (post.get(key) or "").strip() for key in CLAIM_FIELDS}
        try:
            self._isp_submit_portal_claim(form)
        except (UserError, ValidationError) as exc:
            values = self._prepare_isp_claims_values(form=form, error=exc.args[0])
            return request.render("isp_billing.portal_my_payment_claims", values)
        return request.redirect("/my/payment-claims?submitted=1")

    # ------------------------------------------------------------------ auto-debit

    def _prepare_isp_auto_debit_values(self, error=None, message=None):
        subscriptions = self._isp_get_subscriptions()
        Mandate = request.env["isp.payment.mandate"].sudo()
        mandates = Mandate.search([("subscription_id", "in", subscriptions.ids)], order="id desc")
        by_subscription = {}
        for mandate in mandates:
            current = by_subscription.get(mandate.subscription_id.id)
            # The live mandate if any, else the latest one.
            if not current or (mandate.state in LIVE_STATES and current.state not in LIVE_STATES):
                by_subscription[mandate.subscription_id.id] = mandate
        companies = subscriptions.company_id or request.env.company
        available = {
            company.id: bool(Mandate._isp_get_portal_provider(company)) for company in companies
        }
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "isp_auto_debit",
                "subscriptions": subscriptions,
                "mandates": by_subscription,
                "mandate_states": dict(
                    Mandate._fields["state"]._description_selection(request.env)
                ),
                "available": available,
                "live_states": LIVE_STATES,
                "error": error,
                "message": message,
            }
        )
        return values

    def _isp_render_auto_debit(self, error=None, message=None):
        values = self._prepare_isp_auto_debit_values(error=error, message=message)
        return request.render("isp_billing.portal_my_auto_debit", values)

    @http.route("/my/auto-debit", type="http", auth="user", website=True, methods=["GET"])
    def portal_my_auto_debit(self, stopped=None, **kw):
        message = _("Auto-debit stopped.") if stopped else None
        return self._isp_render_auto_debit(message=message)

    @http.route("/my/auto-debit/start", type="http", auth="user", website=True, methods=["POST"])
    def portal_auto_debit_start(self, subscription_id=None, **kw):
        subscription = self._isp_get_subscription(subscription_id)
        if not subscription:
            return self._isp_render_auto_debit(error=_("Choose one of your own subscriptions."))
        try:
            mandate = request.env["isp.payment.mandate"].sudo()._isp_portal_start(subscription)
        except UserError as exc:
            return self._isp_render_auto_debit(error=exc.args[0])
        return request.redirect(mandate.approval_url, local=False)

    @http.route("/my/auto-debit/stop", type="http", auth="user", website=True, methods=["POST"])
    def portal_auto_debit_stop(self, subscription_id=None, **kw):
        subscription = self._isp_get_subscription(subscription_id)
        if not subscription:
            return self._isp_render_auto_debit(error=_("Choose one of your own subscriptions."))
        try:
            request.env["isp.payment.mandate"].sudo()._isp_portal_stop(subscription)
        except UserError as exc:
            return self._isp_render_auto_debit(error=exc.args[0])
        return request.redirect("/my/auto-debit?stopped=1")
