from odoo import api, models


class IspNotifyDispatcher(models.AbstractModel):
    """The staff's daily summary names the routers that are down."""

    _inherit = "isp.notify.dispatcher"

    @api.model
    def _isp_daily_summary_values(self, company, day):
        values = super()._isp_daily_summary_values(company, day)
        down = (
            self.env["isp.router"]
            .sudo()
            .search([("company_id", "=", company.id), ("state", "=", "down")])
        )
        values["routers_down"] = ", ".join(down.mapped("name")) or "0"
        return values
