from odoo import _, models
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
        return bool(user.sudo().company_id.isp_portal_maintenance)

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
