import logging

from odoo import http
from odoo.http import request

from ..models.isp_payment_mandate import AGREEMENT_CALLBACK_ROUTE

_logger = logging.getLogger(__name__)

# Only these query parameters of the callback reach the mandate.
CALLBACK_PARAMS = ("paymentID", "status")


class BkashAgreementController(http.Controller):
    @http.route(
        AGREEMENT_CALLBACK_ROUTE,
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
        website=True,  # the page is rendered in the frontend layout (website if installed)
    )
    def bkash_agreement_callback(self, **params):
        """Where bKash sends the subscriber back after the agreement's approval page.

        ``?paymentID=..&status=success|failure|cancel`` is only a hint: the mandate
        executes the agreement with bKash server-side before it stores anything.
        """
        data = {key: params[key] for key in CALLBACK_PARAMS if params.get(key)}
        mandate = request.env["isp.payment.mandate"].sudo()._bkash_process_agreement_callback(data)
        approved = bool(mandate) and mandate.state == "active"
        return request.render("isp_billing.bkash_agreement_status", {"approved": approved})
