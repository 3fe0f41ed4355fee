from odoo import http
from odoo.addons.helpdesk_mgmt.controllers.main import HelpdeskTicketController
from odoo.addons.helpdesk_mgmt.controllers.myaccount import CustomerPortalHelpdesk
from odoo.http import request


def isp_portal_tickets_enabled():
    """Whether the Portal Settings let the logged-in user's company offer tickets."""
    return bool(request.env.user.sudo().company_id.isp_portal_tickets)


class IspTicketsPortal(CustomerPortalHelpdesk):
    """helpdesk_mgmt's own ``/my/tickets`` pages close with the tickets toggle."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "ticket_count" in counters and not isp_portal_tickets_enabled():
            values["ticket_count"] = 0
        return values

    @http.route()
    def portal_my_tickets(self, *args, **kw):
        if not isp_portal_tickets_enabled():
            raise request.not_found()
        return super().portal_my_tickets(*args, **kw)

    @http.route()
    def portal_my_ticket(self, ticket_id, access_token=None, **kw):
        if not isp_portal_tickets_enabled():
            raise request.not_found()
        return super().portal_my_ticket(ticket_id, access_token=access_token, **kw)


class IspTicketsFormPortal(HelpdeskTicketController):
    """The new-ticket form and closing from the portal close with the toggle too."""

    @http.route()
    def create_new_ticket(self, **kw):
        if not isp_portal_tickets_enabled():
            raise request.not_found()
        return super().create_new_ticket(**kw)

    @http.route()
    def submit_ticket(self, **kw):
        if not isp_portal_tickets_enabled():
            raise request.not_found()
        return super().submit_ticket(**kw)

    @http.route()
    def support_ticket_close(self, **kw):
        if not isp_portal_tickets_enabled():
            raise request.not_found()
        return super().support_ticket_close(**kw)
