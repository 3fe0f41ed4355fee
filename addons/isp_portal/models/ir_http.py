from odoo import _, api, models, tools
from odoo.http import request
from odoo.tools import html2plaintext

from ..lib import maintenance


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_isp_portal_maintenance_paths(cls):
        return maintenance.MAINTENANCE_PATHS

    @classmethod
    def _isp_portal_in_maintenance(cls, endpoint):
        """Whether ``endpoint`` is a subscriber portal page closed for maintenance now."""
        routes = getattr(endpoint, "routing", {}).get("routes")
        if not maintenance.routes_in_maintenance(routes, cls._get_isp_portal_maintenance_paths()):
            return False
        user = request.env.user
        if not user or user._is_public() or user._is_internal():
            # Staff keep the pages; visitors get the login page of ``auth="user"``.
            return False
        return bool(user.sudo().company_id._isp_portal_settings()["isp_portal_maintenance"])

    @classmethod
    def _isp_portal_maintenance_response(cls, endpoint):
        company = request.env.user.sudo().company_id
        if endpoint.routing.get("type") == "json":
            message = html2plaintext(company.isp_portal_maintenance_message or "").strip()
            return {
                "error": "maintenance",
                "message": message or _("The portal is under maintenance; please come back later."),
            }
        response = request.render(
            "isp_portal.portal_maintenance",
            {"company": company, "message": company.isp_portal_maintenance_message},
            status=503,
        )
        response.flatten()
        return response

    @classmethod
    def _dispatch(cls, endpoint):
        if cls._isp_portal_in_maintenance(endpoint):
            return cls._isp_portal_maintenance_response(endpoint)
        return super()._dispatch(endpoint)

    # ---- subscriber app layout: page view tracking

    @api.model
    @tools.ormcache("template", "website_id", cache="templates")
    def _isp_portal_template_tracked(self, template, website_id):
        """Whether website visitors' views of ``template`` are tracked (the view's
        ``track``); cached with the templates, cleared when a view is written."""
        website = self.env["website"].sudo().browse(website_id)
        return bool(website.with_context(website_id=website_id).get_template(template).track)

    @classmethod
    def _register_website_track(cls, response):
        # A subscriber app page whose view is not tracked (the case of every one of
        # them unless staff set it) has nothing to record: no read of the view.
        qcontext = getattr(response, "qcontext", None) or {}
        template = qcontext.get("response_template")
        website = getattr(request, "website", None)
        if (
            qcontext.get("isp_layout")
            and isinstance(template, str)
            and website
            and not request.env["ir.http"]._isp_portal_template_tracked(template, website.id)
        ):
            return False
        return super()._register_website_track(response)

    @classmethod
    def _is_allowed_cookie(cls, cookie_type):
        # website's answer for a website without a cookies bar, from the website's
        # cached values instead of a read of the website on every page
        website = getattr(request, "website", None)
        if (
            cookie_type == "optional"
            and website
            and request.env.user
            and not request.env["website"]._isp_portal_get_layout_values(website.id)["cookies_bar"]
        ):
            return True
        return super()._is_allowed_cookie(cookie_type)
