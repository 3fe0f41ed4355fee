from odoo import api, models


class IspNotifyDispatcher(models.AbstractModel):
    """The staff's daily summary counts the customer payments collected."""

    _inherit = "isp.notify.dispatcher"

    @api.model
    def _get_daily_payments_domain(self, company, day):
        return [
            ("company_id", "=", company.id),
            ("payment_type", "=", "inbound"),
            ("partner_type", "=", "customer"),
            ("state", "in", ("in_process", "paid")),
            ("date", "=", day),
        ]

    @api.model
    def _isp_daily_summary_values(self, company, day):
        values = super()._isp_daily_summary_values(company, day)
        [(count, amount)] = (
            self.env["account.payment"]
            .sudo()
            ._read_group(
                self._get_daily_payments_domain(company, day), [], ["__count", "amount:sum"]
            )
        )
        values.update(payments_count=count, payments_amount=amount or 0.0)
        return values
