"""aamarPay return URLs (success, fail, cancel).

aamarPay posts the outcome through the customer's browser; nothing of it is trusted. Only
our reference reaches the transaction, which asks aamarPay (trxcheck) server to server.
"""

import logging

from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request

from ..models.payment_transaction import AAMARPAY_RETURN_ROUTE

_logger = logging.getLogger(__name__)


class AamarPayController(http.Controller):
    @http.route(
        f"{AAMARPAY_RETURN_ROUTE}/<any(success,fail,cancel):outcome>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def aamarpay_return(self, outcome, **params):
        """Where aamarPay sends the customer back; ``save_session=False`` as the POST comes
        from aamarPay's domain without the customer's session cookie."""
        reference = params.get("mer_txnid") or params.get("reference")
        data = {"reference": reference.strip()} if isinstance(reference, str) else {}
        try:
            tx_sudo = (
                request.env["payment.transaction"]
                .sudo()
                ._get_tx_from_notification_data("aamarpay", data)
            )
            tx_sudo._handle_notification_data("aamarpay", data)
        except ValidationError as exc:
            _logger.warning("Refused aamarPay return (%s) %s: %s", outcome, data, exc)
        return request.redirect("/payment/status")
