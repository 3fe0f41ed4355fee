import logging

from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request

from ..models.payment_transaction import BKASH_CALLBACK_ROUTE

_logger = logging.getLogger(__name__)

# Only these query parameters of the callback reach the transaction.
CALLBACK_PARAMS = ("reference", "paymentID", "status")


class BkashController(http.Controller):
    @http.route(
        BKASH_CALLBACK_ROUTE,
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def bkash_callback(self, **params):
        """Where bKash sends the customer back: ``?reference=..&paymentID=..&status=..``.

        The query string is only a hint; the transaction executes the payment with
        bKash server-side and checks it before anything is recorded.
        """
        data = {key: params[key] for key in CALLBACK_PARAMS if params.get(key)}
        try:
            tx_sudo = (
                request.env["payment.transaction"]
                .sudo()
                ._get_tx_from_notification_data("bkash", data)
            )
            tx_sudo._handle_notification_data("bkash", data)
        except ValidationError as exc:
            _logger.warning("Refused bKash callback %s: %s", data, exc)
        return request.redirect("/payment/status")
