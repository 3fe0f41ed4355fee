"""shurjoPay return URL.

shurjoPay sends the customer back to ``?order_id=<sp_order_id>``: only a hint of which
payment to look at. The transaction asks shurjoPay (verification) server to server.
"""

import logging

from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request

from ..models.payment_transaction import SHURJOPAY_RETURN_ROUTE

_logger = logging.getLogger(__name__)


class ShurjoPayController(http.Controller):
    @http.route(
        SHURJOPAY_RETURN_ROUTE,
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def shurjopay_return(self, **params):
        """Where shurjoPay sends the customer back (paid, failed or cancelled)."""
        order_id = params.get("order_id")
        data = {"order_id": order_id.strip()} if isinstance(order_id, str) else {}
        try:
            tx_sudo = (
                request.env["payment.transaction"]
                .sudo()
                ._get_tx_from_notification_data("shurjopay", data)
            )
            tx_sudo._handle_notification_data("shurjopay", data)
        except ValidationError as exc:
            _logger.warning("Refused shurjoPay return %s: %s", data, exc)
        return request.redirect("/payment/status")
