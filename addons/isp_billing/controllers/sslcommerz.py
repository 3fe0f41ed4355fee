"""SSLCommerz return URLs and IPN listener.

SSLCommerz posts the same signed form to the IPN URL (server to server) and, through the
customer's browser, to the success, fail or cancel URL. Both go to the transaction's
``_handle_notification_data``; nothing is trusted before ``_process_notification_data``
checked the signature and asked the validation API.
"""

import logging
import pprint

from werkzeug.exceptions import BadRequest

from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request

_logger = logging.getLogger(__name__)


class SSLCommerzController(http.Controller):
    _return_url = "/payment/sslcommerz/return"
    _ipn_url = "/payment/sslcommerz/ipn"

    @http.route(
        f"{_return_url}/<any(success,fail,cancel):outcome>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def sslcommerz_return(self, outcome, **data):
        """Process the form the customer's browser brings back and show the payment status.

        ``save_session=False``: the POST comes from the gateway's domain, the browser sends no
        session cookie, and a new session must not replace the customer's.
        """
        _logger.info(
            "SSLCommerz: customer returned (%s) with data:\n%s", outcome, pprint.pformat(data)
        )
        if data.get("tran_id"):
            self._sslcommerz_handle(data)
        return request.redirect("/payment/status")

    @http.route(_ipn_url, type="http", auth="public", methods=["POST"], csrf=False)
    def sslcommerz_ipn(self, **data):
        """Process an IPN; a refused one (unknown, forged) is answered with HTTP 400."""
        _logger.info("SSLCommerz: IPN received with data:\n%s", pprint.pformat(data))
        if not self._sslcommerz_handle(data):
            raise BadRequest()
        return "OK"

    @staticmethod
    def _sslcommerz_handle(data):
        """Hand *data* to its transaction; return False when it was refused (and logged)."""
        try:
            tx_sudo = (
                request.env["payment.transaction"]
                .sudo()
                ._get_tx_from_notification_data("sslcommerz", data)
            )
            tx_sudo._handle_notification_data("sslcommerz", data)
        except ValidationError as error:
            _logger.warning(
                "SSLCommerz: refused notification for tran_id %s: %s", data.get("tran_id"), error
            )
            return False
        return True
