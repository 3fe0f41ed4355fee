from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        res = super()._post_load_data(template_code, company, template_data)
        # the reseller accounts come with the chart, never from a request later
        company._isp_setup_reseller_accounts()
        return res
