"""Nagad callback URL.

Nagad sends the customer back with ``payment_ref_id``, ``status`` ...: only a hint of which
payment to look at. The transaction asks Nagad (verify) server to server.
"""

import logging

from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request

from ..models.payment_transaction import NAGAD_CALLBACK_ROUTE

_logger = logging.getLogger(__name__)


class NagadController(http.Controller):
    @http.route(
        NAGAD_CALLBACK_ROUTE,
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def nagad_callback(self, **params):
        """Where Nagad sends the customer back (paid, failed or aborted)."""
        payment_ref_id = params.get("payment_ref_id")
        data = {"payment_ref_id": payment_ref_id} if isinstance(payment_ref_id, str) else {}
        try:
            tx_sudo = (
                request.env["payment.transaction"]
                .sudo()
                ._get_tx_from_notification_data("nagad", data)
            )
            tx_sudo._handle_notification_data("nagad", data)
        except ValidationError as exc:
            _logger.warning("Refused Nagad callback %s: %s", data, exc)
        return request.redirect("/payment/status")
