from odoo import _, http
from odoo.addons.isp_base.lib.phone import InvalidPhone, normalize_bd_mobile
from odoo.http import request

from ..lib import referral
from .actions import IspActionsPortal

REQUEST_THROTTLE_PREFIX = "conn_request:"
NAME_MAX_LENGTH = 128
AREA_MAX_LENGTH = 256


class IspReferralPortal(IspActionsPortal):
    """The subscriber's referral code and link, and the rewards earned with them.

    Reads are ``sudo()`` limited to the logged-in user's commercial partner.
    """

    def _prepare_isp_connection_values(self, subscription_id=None):
        values = super()._prepare_isp_connection_values(subscription_id)
        company = values["company"]
        values["show_referral"] = values["isp_settings"]["isp_portal_referral"]
        if values["show_referral"]:
            values.update(self._prepare_isp_referral_values(company))
        return values

    def _get_isp_referral_link(self, code):
        base = ""
        if getattr(request, "website", None):
            # cached per website (cleared on website and system parameter writes)
            base = request.env["website"]._isp_portal_get_layout_values(request.website.id)[
                "base_url"
            ]
        return f"{base or request.httprequest.host_url.rstrip('/')}/r/{code}"

    def _prepare_isp_referral_values(self, company):
        partner = self._isp_portal_partner().sudo()
        code = partner.isp_referral_code
        if not code:
            return {"referral_code": False}
        referred = (
            request.env["res.partner"]
            .sudo()
            .search([("isp_referred_by_id", "=", partner.id)], order="id")
        )
        rewards = (
            request.env["isp.referral.reward"]
            .sudo()
            .search([("referrer_id", "=", partner.id), ("referred_id", "in", referred.ids)])
        )
        reward_of = {reward.referred_id.id: reward for reward in rewards}
        rows = [
            {
                "name": referral.first_name(person.name),
                "earned": person.id in reward_of,
                "amount": reward_of[person.id].amount if person.id in reward_of else 0.0,
            }
            for person in referred
        ]
        return {
            "referral_code": code,
            "referral_link": self._get_isp_referral_link(code),
            "referral_rows": rows,
            "referral_total": sum(rewards.mapped("amount")),
            "referral_reward": company._isp_portal_settings()["isp_portal_referral_reward"],
            "referral_currency": request.env["res.currency"].browse(
                company._isp_portal_settings()["currency_id"]
            ),
        }


class IspConnectionRequest(http.Controller):
    """Public: a referral link lands on a new connection request form."""

    def _isp_request_company(self):
        return request.website.sudo().company_id

    def _isp_check_referral_enabled(self):
        if not self._isp_request_company().isp_portal_referral:
            raise request.not_found()

    def _isp_get_referrer(self, code):
        code = referral.normalize_code(code)
        if not code:
            return request.env["res.partner"]
        return (
            request.env["res.partner"]
            .sudo()
            .search(
                [
                    ("isp_referral_code", "=", code),
                    ("is_isp_subscriber", "=", True),
                    ("company_id", "in", (False, self._isp_request_company().id)),
                ],
                limit=1,
            )
        )

    def _isp_render_request(self, **values):
        values.setdefault("errors", [])
        values.setdefault("form", {})
        values.setdefault("done", False)
        return request.render("isp_portal.connection_request", values)

    @http.route("/r/<string:code>", type="http", auth="public", website=True, sitemap=False)
    def isp_referral_link(self, code, **kw):
        self._isp_check_referral_enabled()
        referrer = self._isp_get_referrer(code)
        form = {"referral_code": referrer.isp_referral_code or ""}
        return self._isp_render_request(form=form, referrer_known=bool(referrer))

    @http.route(
        "/connection/request",
        type="http",
        auth="public",
        website=True,
        sitemap=False,
        methods=["GET", "POST"],
    )
    def isp_connection_request(self, **kw):
        self._isp_check_referral_enabled()
        if request.httprequest.method != "POST":
            return self._isp_render_request(form={"referral_code": kw.get("code") or ""})
        form = {
            key: (kw.get(key) or "").strip() for key in ("name", "mobile", "area", "referral_code")
        }
        Attempt = request.env["isp.hotspot.attempt"].sudo()
        keys = [f"{REQUEST_THROTTLE_PREFIX}{(request.httprequest.remote_addr or '')[:64]}"]
        if Attempt._is_blocked(keys):
            errors = [_("Too many requests from your network. Please try again later.")]
            return self._isp_render_request(form=form, errors=errors)
        errors, vals = self._isp_check_request(form)
        if errors:
            return self._isp_render_request(form=form, errors=errors)
        Attempt._register_failure(keys)
        self._isp_create_request(vals)
        return self._isp_render_request(done=True)

    def _isp_check_request(self, form):
        """``(errors, partner values)`` of the request form."""
        errors = []
        name = form["name"]
        if not name or len(name) > NAME_MAX_LENGTH:
            errors.append(_("Type your name."))
        try:
            mobile = normalize_bd_mobile(form["mobile"])
        except InvalidPhone:
            mobile = None
            errors.append(_("Type a Bangladeshi mobile number, such as 01712345678."))
        referrer = request.env["res.partner"]
        if form["referral_code"]:
            referrer = self._isp_get_referrer(form["referral_code"])
            if not referrer:
                errors.append(_("This referral code is unknown; check it or leave it empty."))
        vals = {
            "name": name,
            "mobile": mobile,
            "isp_area": form["area"][:AREA_MAX_LENGTH] or False,
            "isp_referred_by_id": referrer.id or False,
        }
        return errors, vals

    def _isp_create_request(self, vals):
        """A contact for the sales team, with its referrer; none twice for one number."""
        Partner = request.env["res.partner"].sudo()
        if Partner.with_context(active_test=False).search_count(
            [("mobile", "=", vals["mobile"])], limit=1
        ):
            return Partner
        company = self._isp_request_company()
        partner = Partner.create(
            {
                **vals,
                "company_id": company.id,
                "comment": _("New connection request from the website."),
                "category_id": [
                    (4, request.env.ref("isp_portal.partner_category_connection_request").id)
                ],
            }
        )
        partner.message_post(body=_("New connection request from the website."))
        return partner
