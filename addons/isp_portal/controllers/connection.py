from datetime import timedelta

from odoo import _, fields, http
from odoo.addons.isp_billing.controllers.portal import IspBillingPortal
from odoo.http import request
from odoo.tools import file_open, lazy

from ..lib import usage as usage_lib

HISTORY_LIMIT = 5
USAGE_DAYS = 30
UNPAID_STATES = ("not_paid", "partial")
APP_LAYOUT = "isp_portal.portal_app_layout"
SERVICE_WORKER_PATH = "isp_portal/static/src/sw/isp_service_worker.js"
SERVICE_WORKER_SCOPE = "/my/"


class IspLayoutMainObject:
    """The page's view as website's layout ``main_object``, for users who do not edit.

    For any logged-in user, ``website.layout`` calls ``main_object.fields_get()`` four
    times per page only to test whether a field name is in it (about a fifth of the
    page's time); here the names are computed once. Everything else is the view's, so
    the page is the same.
    """

    __slots__ = ("_isp_field_names", "_isp_record")

    def __init__(self, record):
        self._isp_record = record
        self._isp_field_names = None

    def fields_get(self, *args, **kwargs):
        if args or kwargs:
            return self._isp_record.fields_get(*args, **kwargs)
        if self._isp_field_names is None:
            self._isp_field_names = self._isp_record.fields_get(attributes=["type"])
        return self._isp_field_names

    def __getattr__(self, name):
        return getattr(self._isp_record, name)

    def __contains__(self, name):
        return name in self._isp_record

    def __getitem__(self, key):
        return self._isp_record[key]

    def __bool__(self):
        return bool(self._isp_record)

    def __eq__(self, other):
        if isinstance(other, IspLayoutMainObject):
            other = other._isp_record
        return self._isp_record == other

    def __hash__(self):
        return hash(self._isp_record)

    def __repr__(self):
        return repr(self._isp_record)


class IspConnectionPortal(IspBillingPortal):
    """The subscriber's home: status, bills, usage, live traffic and notices.

    Every read is ``sudo()`` limited to the logged-in user's commercial partner
    (``_isp_get_subscriptions`` / ``_isp_get_subscription`` of isp_billing).
    """

    # ------------------------------------------------------------------ helpers

    def _isp_portal_company(self):
        return request.env.user.sudo().company_id

    def _isp_portal_settings(self, company=None):
        """The company's portal settings (cached; see ``res.company._isp_portal_settings``)."""
        return (company or self._isp_portal_company())._isp_portal_settings()

    def _get_isp_state_labels(self):
        Subscription = request.env["isp.subscription"]
        return dict(Subscription._fields["state"]._description_selection(request.env))

    def _get_isp_state_badge(self, state):
        return {
            "active": "text-bg-success",
            "suspended": "text-bg-warning",
            "expired": "text-bg-danger",
            "terminated": "text-bg-secondary",
        }.get(state, "text-bg-light")

    # What the home reads of its records, fetched with the search (one query each).
    HOME_SUBSCRIPTION_FIELDS = (
        "name",
        "partner_id",
        "company_id",
        "package_id",
        "zone_id",
        "state",
        "username",
        "expiry_at",
        "router_id",
    )
    HOME_INVOICE_FIELDS = (
        "name",
        "move_type",
        "state",
        "invoice_date",
        "invoice_date_due",
        "amount_total",
        "amount_residual",
        "payment_state",
        "currency_id",
        "access_token",
        "partner_id",
        "commercial_partner_id",
        "isp_subscription_id",
        "company_id",
    )
    HOME_PAYMENT_FIELDS = ("date", "memo", "name", "amount", "currency_id")

    def _get_isp_home_subscriptions_domain(self, partner):
        """The user's subscriptions through the stored commercial partner: the same
        as ``child_of`` the commercial partner (less the contacts of a company of its
        own below it), without a query to expand the partner's children."""
        return [("partner_id.commercial_partner_id", "=", partner.id)]

    def _isp_get_home_subscriptions(self, partner):
        return (
            request.env["isp.subscription"]
            .sudo()
            .search_fetch(
                self._get_isp_home_subscriptions_domain(partner),
                self.HOME_SUBSCRIPTION_FIELDS,
                order="id",
            )
        )

    # The user's invoices and payments through the stored commercial partner: the same
    # records as ``child_of`` the commercial partner, without a query per domain to
    # expand the partner's children.

    def _get_isp_pending_invoices_domain(self, subscription, partner):
        return [
            ("isp_subscription_id", "=", subscription.id),
            ("commercial_partner_id", "=", partner.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", UNPAID_STATES),
        ]

    def _get_isp_recent_invoices_domain(self, subscription, partner):
        return [
            ("isp_subscription_id", "=", subscription.id),
            ("commercial_partner_id", "=", partner.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
        ]

    def _get_isp_recent_payments_domain(self, partner):
        return [
            ("partner_id.commercial_partner_id", "=", partner.id),
            ("partner_type", "=", "customer"),
            ("payment_type", "=", "inbound"),
            ("state", "in", ("in_process", "paid")),
        ]

    def _isp_get_usage_rows(self, subscription, start, end):
        """``(date, download_bytes, upload_bytes)`` of the subscription's days from
        ``start`` to ``end``: 30 rows of three columns, read without the ORM's record
        overhead (the subscription is the user's own, found through its partner)."""
        Usage = request.env["isp.usage.daily"]
        Usage.flush_model(["subscription_id", "date", "download_bytes", "upload_bytes"])
        request.env.cr.execute(
            """SELECT date, download_bytes::float8, upload_bytes::float8
                 FROM isp_usage_daily
                WHERE subscription_id = %s AND date >= %s AND date <= %s""",
            (subscription.id, start, end),
        )
        return request.env.cr.fetchall()

    def _prepare_isp_usage_values(self, subscription):
        end = fields.Date.context_today(subscription)
        start = end - timedelta(days=USAGE_DAYS - 1)
        series = usage_lib.daily_series(
            self._isp_get_usage_rows(subscription, start, end), end, USAGE_DAYS
        )
        bars = usage_lib.chart_bars(series)
        # translated once for the 30 bars: each placeholder stands for itself here
        usage_lib.label_bars(
            bars,
            _(
                "%(date)s: %(total)s (download %(download)s, upload %(upload)s)",
                date="%(date)s",
                total="%(total)s",
                download="%(download)s",
                upload="%(upload)s",
            ),
        )
        return {
            "usage_bars": bars,
            "usage_svg_bars": usage_lib.chart_svg_bars(bars),
            "usage_total": usage_lib.format_bytes(sum(bar["total"] for bar in bars)),
            "usage_download": usage_lib.format_bytes(sum(bar["download"] for bar in bars)),
            "usage_upload": usage_lib.format_bytes(sum(bar["upload"] for bar in bars)),
            "usage_days": USAGE_DAYS,
        }

    def _prepare_isp_connection_values(self, subscription_id=None):
        partner = self._isp_portal_partner()
        company = self._isp_portal_company()
        settings = self._isp_portal_settings(company)
        subscriptions = self._isp_get_home_subscriptions(partner)
        # the connection in service first
        subscription = subscriptions.sorted(lambda sub: sub.state != "active")[:1]
        if subscription_id:
            subscription = self._isp_get_subscription(subscription_id)
        values = {
            "page_name": "isp_connection",
            "subscriptions": subscriptions,
            "subscription": subscription,
            "company": company,
            "isp_settings": settings,
            "show_usage": settings["isp_portal_show_usage"],
            "show_live_traffic": settings["isp_portal_show_live_traffic"],
            "show_history": settings["isp_portal_show_history"],
            "show_notices": settings["isp_portal_show_notices"],
            "speed_test_url": settings["isp_portal_speed_test_url"],
            # the monetary widget's currency by id, without a read of the currency
            "isp_currency": request.env["res.currency"]._isp_portal_currency_format,
        }
        if not subscription:
            return values
        Move = request.env["account.move"].sudo()
        pending = Move.search_fetch(
            self._get_isp_pending_invoices_domain(subscription, partner),
            self.HOME_INVOICE_FIELDS,
            order="invoice_date_due, id",
        )
        values.update(
            package_info=request.env["product.template"]._isp_portal_get_package_info(
                subscription.package_id.id, request.env.lang or "en_US"
            ),
            state_label=self._get_isp_state_labels().get(subscription.state, subscription.state),
            state_badge=self._get_isp_state_badge(subscription.state),
            pending_invoices=pending,
            amount_due=sum(pending.mapped("amount_residual")),
            currency=request.env["res.currency"].browse(
                self._isp_portal_settings(subscription.company_id)["currency_id"]
            ),
        )
        if settings["isp_portal_show_history"]:
            values.update(
                recent_invoices=Move.search_fetch(
                    self._get_isp_recent_invoices_domain(subscription, partner),
                    self.HOME_INVOICE_FIELDS,
                    order="invoice_date desc, id desc",
                    limit=HISTORY_LIMIT,
                ),
                recent_payments=request.env["account.payment"]
                .sudo()
                .search_fetch(
                    self._get_isp_recent_payments_domain(partner),
                    self.HOME_PAYMENT_FIELDS,
                    order="date desc, id desc",
                    limit=HISTORY_LIMIT,
                ),
            )
        if settings["isp_portal_show_usage"]:
            values.update(self._prepare_isp_usage_values(subscription))
        if settings["isp_portal_show_notices"]:
            values["notices"] = request.env["isp.portal.notice"]._get_notices_for_subscriptions(
                subscription
            )
        return values

    # What the subscriber pages read of the user's partner: fetched alone rather than
    # with every column of ``res.partner`` on the first access.
    ISP_PARTNER_FIELDS = ("name", "tz", "user_id", "commercial_partner_id", "isp_referral_code")

    def _prepare_portal_layout_values(self):
        if request.env.user._is_portal():
            request.env.user.partner_id.fetch(self.ISP_PARTNER_FIELDS)
        values = super()._prepare_portal_layout_values()
        # subscribers may install the portal as a web app; counted only when a page
        # asks (the connection page knows it already)
        partner = self._isp_portal_partner()
        values["isp_webmanifest"] = lazy(
            lambda: bool(
                request.env["isp.subscription"]
                .sudo()
                .search_count(self._isp_get_subscriptions_domain(partner), limit=1)
            )
        )
        return values

    def _isp_website_values(self):
        """What the subscriber pages read of the current website (cached, the same for
        every subscriber; see ``website._isp_portal_get_layout_values``)."""
        return request.env["website"]._isp_portal_get_layout_values(request.website.id)

    def _isp_prefill_website_user(self):
        """The website's public user, which the frontend session info compares with the
        user, from website's own cache of it (``_get_cached``) instead of a read of the
        website row on every page."""
        website = request.website
        field = website._fields["user_id"]
        if not request.env.cache.contains(website, field):
            request.env.cache.set(website, field, website._get_cached("user_id"))

    def _isp_plain_attributes(self):
        """Whether website's processing of a page's dynamic attributes would change
        nothing but images' lazy loading here: one frontend language (no language in
        the URLs), no URL rewrite, no CDN and no blocking of third-party content."""
        website = self._isp_website_values()
        return (
            len(request.env["res.lang"]._get_frontend()) <= 1
            and not website["cdn_activated"]
            and not website["blocks_third_party"]
            and not request.env["ir.http"]._rewrite_len(request.website.id)
        )

    def _isp_use_app_layout(self):
        """Subscribers (portal users) get the lean app layout; staff and website
        editors keep the website layout and its editor."""
        return bool(getattr(request, "website", None)) and request.env.user._is_portal()

    def _get_isp_layout_values(self, template):
        """The layout of a subscriber page: the app layout for subscribers; for staff
        who cannot edit the site, a light ``main_object`` for the website layout;
        editors keep the view itself for the website editor."""
        if not getattr(request, "website", None):
            return {}
        if self._isp_use_app_layout():
            if self._isp_plain_attributes():
                request.update_context(isp_plain_attributes=True)
            self._isp_prefill_website_user()
            view = request.env["ir.ui.view"]._get(template).sudo()
            return {
                "main_object": view,
                "isp_layout": APP_LAYOUT,
                "isp_website": self._isp_website_values(),
            }
        if request.env.user.has_group("website.group_website_restricted_editor"):
            return {}
        view = request.env["ir.ui.view"]._get(template).sudo()
        return {"main_object": IspLayoutMainObject(view)}

    # ------------------------------------------------------------------ routes

    @http.route("/my/connection", type="http", auth="user", website=True, methods=["GET"])
    def portal_my_connection(self, subscription_id=None, **kw):
        values = self._prepare_portal_layout_values()
        values.update(self._prepare_isp_connection_values(subscription_id))
        if subscription_id and not values["subscription"]:
            raise request.not_found()
        template = "isp_portal.portal_my_connection"
        values.update(self._get_isp_layout_values(template))
        return request.render(template, values)

    @http.route("/my/connection/live", type="json", auth="user", website=True)
    def portal_my_connection_live(self, subscription_id=None, **kw):
        """One live traffic sample of the user's own subscription."""
        if not self._isp_portal_settings()["isp_portal_show_live_traffic"]:
            return {"error": "disabled", "message": _("Live traffic is not available.")}
        subscription = self._isp_get_subscription(subscription_id)
        if not subscription:
            return {"error": "not_found", "message": _("This connection is not yours.")}
        sample = subscription.isp_live_traffic_poll()
        result = {"rx_bps": sample.get("rx_bps", 0), "tx_bps": sample.get("tx_bps", 0)}
        if sample.get("error"):
            # The staff message names routers; subscribers get a plain one.
            result.update(self._get_isp_live_traffic_error(subscription))
        return result

    def _get_isp_live_traffic_error(self, subscription):
        if not subscription.router_id or not subscription.username:
            return {
                "error": "unavailable",
                "message": _("Live traffic is not available for this connection."),
            }
        return {
            "error": "offline",
            "message": _(
                "Your connection looks offline, or our equipment does not answer "
                "right now. Try again in a minute."
            ),
        }

    @http.route(
        "/isp_portal/sw.js",
        type="http",
        auth="public",
        methods=["GET"],
        readonly=True,
        sitemap=False,
    )
    def isp_portal_service_worker(self, **kw):
        """The web app's service worker (caches the shell's static files only), at a
        URL of its own so that it may control the subscriber pages under /my/."""
        with file_open(SERVICE_WORKER_PATH, "rb") as script:
            body = script.read()
        return request.make_response(
            body,
            headers=[
                ("Content-Type", "text/javascript; charset=utf-8"),
                ("Service-Worker-Allowed", SERVICE_WORKER_SCOPE),
                ("Cache-Control", "no-cache"),
            ],
        )

    @http.route(
        "/isp_portal/manifest.webmanifest",
        type="http",
        auth="public",
        methods=["GET"],
        readonly=True,
    )
    def isp_portal_webmanifest(self, **kw):
        return request.make_json_response(
            self._get_isp_webmanifest(),
            headers={"Content-Type": "application/manifest+json"},
        )

    def _get_isp_webmanifest(self):
        company = request.env.user.sudo().company_id
        if request.env.user._is_public() and getattr(request, "website", None):
            company = request.website.sudo().company_id
        icons = []
        if company.logo:
            icons.append(
                {
                    "src": f"/web/binary/company_logo?company={company.id}",
                    "sizes": "any",
                    "type": "image/png",
                }
            )
        icons.append(
            {
                "src": "/isp_base/static/description/icon.png",
                "sizes": "256x256",
                "type": "image/png",
            }
        )
        return {
            "name": company.name,
            "short_name": (company.name or "")[:12],
            "start_url": "/my/connection",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": company.primary_color or "#017e84",
            "icons": icons,
        }
