import logging
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from odoo import _, api, fields, models, modules
from odoo.addons.payment import utils as payment_utils
from odoo.exceptions import ValidationError
from odoo.tools import float_repr

from ..lib.gateway_bkash import check_result
from ..lib.gateway_errors import (
    GatewayError,
    GatewayMismatch,
    GatewayRejected,
    GatewayTimeout,
)

_logger = logging.getLogger(__name__)

BKASH_CALLBACK_ROUTE = "/payment/bkash/callback"
AAMARPAY_RETURN_ROUTE = "/payment/aamarpay/return"
SHURJOPAY_RETURN_ROUTE = "/payment/shurjopay/return"
NAGAD_CALLBACK_ROUTE = "/payment/nagad/callback"
# Gateway answers for a payment the customer did not complete (yet): a forged or early
# callback. The transaction stays as it is, the customer may still pay.
AAMARPAY_NOT_COMPLETED_REASONS = ("not_completed",)
SHURJOPAY_NOT_COMPLETED_REASONS = ("not_completed", "not_initiated", "invalid_order")
NAGAD_NOT_COMPLETED_REASONS = ("not_completed",)
# bKash answers for a payment the customer did not complete (yet): a forged or early
# callback. The transaction stays as it is, the customer may still pay.
BKASH_NOT_AUTHORIZED_REASONS = ("invalid_state", "invalid_payment_id")
# ---- re-check of pending transactions
RECHECK_PROVIDER_CODES = ("bkash", "nagad", "sslcommerz", "aamarpay", "shurjopay")
RECHECK_BY_REFERENCE_CODES = ("sslcommerz", "aamarpay")
RECHECK_MIN_AGE_MINUTES = 5
RECHECK_MAX_AGE_HOURS = 48
RECHECK_BATCH_SIZE = 200
# bKash payment statuses that will never complete, and the reason they are closed with.
BKASH_CLOSED_STATUSES = {"Cancelled": "cancelled", "Failed": "failed", "Expired": "expired"}
# Refusals that say nothing about the payment (our credentials, the gateway's health):
# a re-check leaves the transaction as it is.
RECHECK_TRANSIENT_REASONS = frozenset(
    {
        "system_error",
        "invalid_app_key",
        "invalid_credentials",
        "unauthorized",
        "auth_failed",
        "config",
        "server_error",
        "unreachable",
    }
)


class GatewayUnanswered(Exception):
    """The gateway gave no usable answer to a re-check (timeout, transport, protocol)."""


# ---- Stripe and PayPal: Odoo's providers, locked and post-processed at once
ISP_ODOO_PROVIDER_CODES = ("stripe", "paypal")
ISP_ODOO_PAYMENT_OPERATIONS = ("online_redirect", "online_direct", "online_token", "offline")


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    # ------------------------------------------------------------------ bKash fields
    bkash_trx_id = fields.Char(
        string="bKash Transaction ID",
        readonly=True,
        copy=False,
        help="The trxID bKash gives the completed payment (the customer's receipt).",
    )

    # ------------------------------------------------------------------ SSLCommerz fields
    sslcommerz_val_id = fields.Char(
        string="SSLCommerz Validation ID",
        readonly=True,
        copy=False,
        help="The val_id SSLCommerz gave the payment and the validation API confirmed.",
    )

    # ------------------------------------------------------------------ Nagad fields
    nagad_order_id = fields.Char(
        string="Nagad Order ID",
        readonly=True,
        copy=False,
        help="Our order id at Nagad (letters and digits only, derived from the reference).",
    )
    nagad_trx_id = fields.Char(
        string="Nagad Transaction ID",
        readonly=True,
        copy=False,
        help="The issuer payment reference Nagad gives the completed payment.",
    )

    def init(self):
        result = super().init()
        # One transaction (hence one payment) per gateway transaction.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS payment_transaction_provider_reference_uniq
               ON payment_transaction (provider_id, provider_reference)
               WHERE provider_reference IS NOT NULL"""
        )
        return result

    # ------------------------------------------------------------------ common

    def _isp_lock(self):
        """Lock the transaction row and reload it; True when it is already done.

        Duplicate or concurrent callbacks of one gateway payment wait here for the
        first one; the others then see ``done`` and return without a second payment.
        """
        self.ensure_one()
        self.env.cr.execute(
            "SELECT state FROM payment_transaction WHERE id = %s FOR UPDATE", (self.id,)
        )
        self.invalidate_recordset()
        return self.state == "done"

    def _isp_refuse(self, message):
        """Log a notification we do not act upon (forged, replayed, early)."""
        _logger.warning("Refused notification for transaction %s: %s", self.reference, message)

    def _isp_ignore_duplicate(self, message):
        """Log a repeated notification of a payment already recorded.

        Not a warning: gateways notify twice on their normal path (SSLCommerz's IPN and
        the customer's return, Stripe's return and webhook).
        """
        _logger.info("Ignored notification for transaction %s: %s", self.reference, message)

    def _isp_may_process(self):
        """Lock the row; False (logged) for a duplicate or a transaction already closed."""
        if self._isp_lock():
            self._isp_ignore_duplicate("already done (duplicate callback)")
            return False
        if self.state not in ("draft", "pending"):
            self._isp_refuse(f"transaction is {self.state}")
            return False
        return True

    def _isp_amount(self):
        """The transaction amount as the gateways compare it (Decimal, currency digits)."""
        return Decimal(float_repr(self.amount, self.currency_id.decimal_places or 2))

    def _isp_confirm(self, gateway, confirm, refused_reasons, refused_text, errors=GatewayError):
        """Run the server-to-server ``confirm()``; on a gateway failure set the state.

        ``confirm`` asks the gateway and checks amount, currency and reference. Returns
        its result, or None when nothing may be booked: a timeout leaves the transaction
        pending (the gateway may still complete it), a cancel cancels it, the
        ``refused_reasons`` are logged and change nothing (forged or early callbacks),
        any other refusal or error is recorded on the transaction.
        """
        if self.env.context.get("isp_recheck"):  # ---- re-check: definite answers only
            confirm = self._isp_recheck_confirm(gateway, confirm)
        try:
            return confirm()
        except GatewayTimeout as exc:
            _logger.warning("%s timeout for %s: %s", gateway, self.reference, exc)
            self._set_pending(
                state_message=_(
                    "%(gateway)s did not answer in time: %(error)s",
                    gateway=gateway,
                    error=exc.message,
                )
            )
        except GatewayRejected as exc:
            if exc.reason == "cancelled":
                self._set_canceled(
                    state_message=_(
                        "The customer cancelled the %(gateway)s payment.", gateway=gateway
                    )
                )
            elif exc.reason in refused_reasons:
                self._isp_refuse(f"{gateway} {refused_text}: {exc}")
            else:
                _logger.warning("%s refused %s: %s", gateway, self.reference, exc)
                self._set_error(
                    _(
                        "%(gateway)s refused the payment: %(error)s",
                        gateway=gateway,
                        error=exc.message,
                    )
                )
        except errors as exc:
            _logger.warning("%s payment %s not accepted: %s", gateway, self.reference, exc)
            self._set_error(
                _(
                    "%(gateway)s payment not accepted: %(error)s",
                    gateway=gateway,
                    error=getattr(exc, "message", None) or str(exc),
                )
            )
        return None

    def _isp_pay_now(self):
        """Mark done, then post the payment and reconcile the invoice at once: the
        subscription is restored in this same transaction."""
        self._set_done()
        self._post_process()

    def _isp_payment_method(self):
        """The isp_payment_method of the account.payment of this transaction."""
        if self.provider_code == "bkash":
            return "bkash"
        if self.provider_code == "nagad":
            return "nagad"
        # SSLCommerz is no counter method (ISP_PAYMENT_METHODS): its payments are known
        # by their transaction (one per provider_reference).
        return False

    def _create_payment(self, **extra_create_values):
        """Override of `account_payment`: mark the payment with its method and gateway id."""
        method = self._isp_payment_method()
        if method and self.provider_reference:
            extra_create_values.setdefault("isp_payment_method", method)
            extra_create_values.setdefault("isp_transaction_ref", self._isp_gateway_trx_id())
        return super()._create_payment(**extra_create_values)

    def _isp_gateway_trx_id(self):
        """The gateway's transaction id written on the account.payment."""
        self.ensure_one()
        if self.provider_code == "bkash":
            return self.bkash_trx_id or self.provider_reference
        if self.provider_code == "nagad":
            return self.nagad_trx_id or self.provider_reference
        return self.provider_reference

    def _get_specific_rendering_values(self, processing_values):
        """Override of `payment`: start the payment at the gateway, then redirect."""
        res = super()._get_specific_rendering_values(processing_values)
        if self.provider_code == "bkash":
            return self._bkash_get_rendering_values(processing_values)
        if self.provider_code == "sslcommerz":
            return self._sslcommerz_get_rendering_values()
        if self.provider_code == "aamarpay":
            return self._aamarpay_get_rendering_values()
        if self.provider_code == "shurjopay":
            return self._shurjopay_get_rendering_values()
        if self.provider_code == "nagad":
            return self._nagad_get_rendering_values()
        return res

    def _get_tx_from_notification_data(self, provider_code, notification_data):
        """Override of `payment`: find the transaction of a gateway notification."""
        tx = super()._get_tx_from_notification_data(provider_code, notification_data)
        if len(tx) == 1:
            return tx
        if provider_code == "bkash":
            return self._bkash_get_tx_from_notification_data(notification_data)
        if provider_code == "sslcommerz":
            return self._sslcommerz_get_tx_from_notification_data(notification_data)
        if provider_code == "aamarpay":
            return self._aamarpay_get_tx_from_notification_data(notification_data)
        if provider_code == "shurjopay":
            return self._shurjopay_get_tx_from_notification_data(notification_data)
        if provider_code == "nagad":
            return self._nagad_get_tx_from_notification_data(notification_data)
        return tx

    def _process_notification_data(self, notification_data):
        """Override of `payment`: confirm the payment server-side and record it."""
        res = super()._process_notification_data(notification_data)
        if self.provider_code == "bkash":
            self._bkash_process_notification_data(notification_data)
        elif self.provider_code == "sslcommerz":
            self._sslcommerz_process_notification_data(notification_data)
        elif self.provider_code == "aamarpay":
            self._aamarpay_process_notification_data()
        elif self.provider_code == "shurjopay":
            self._shurjopay_process_notification_data()
        elif self.provider_code == "nagad":
            self._nagad_process_notification_data()
        return res

    def _send_refund_request(self, amount_to_refund=None):
        """Override of `payment`: refund at the gateway where it supports refunds."""
        refund_tx = super()._send_refund_request(amount_to_refund=amount_to_refund)
        if self.provider_code == "bkash":
            self._bkash_send_refund_request(refund_tx)
        elif self.provider_code == "sslcommerz":
            self._sslcommerz_send_refund_request(refund_tx)
        return refund_tx

    # ------------------------------------------------------------------ bKash

    def _bkash_get_rendering_values(self, processing_values):
        """Create the bKash payment and redirect the customer to its bkashURL."""
        base_url = self.provider_id.get_base_url()
        callback_url = f"{base_url.rstrip('/')}{BKASH_CALLBACK_ROUTE}?" + urlencode(
            {"reference": self.reference}
        )
        client = self.provider_id._bkash_get_client()
        try:
            created = client.create_payment(
                float_repr(self.amount, self.currency_id.decimal_places or 2),
                self.reference,
                self.partner_id.ref or str(self.partner_id.id),
                callback_url,
                currency=self.currency_id.name,
            )
        except GatewayError as exc:
            _logger.warning("bKash create failed for %s: %s", self.reference, exc)
            raise ValidationError(
                _("bKash could not start the payment: %(error)s", error=exc.message)
            ) from exc
        self.provider_reference = created.payment_id
        return self._isp_redirect_values(created.bkash_url)

    @api.model
    def _isp_redirect_values(self, url):
        """Values of the generic redirect form: a GET to ``url`` keeping its query."""
        parts = urlsplit(url)
        return {
            "api_url": urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
            "url_params": dict(parse_qsl(parts.query)),
        }

    @api.model
    def _bkash_get_tx_from_notification_data(self, notification_data):
        """The transaction of a bKash callback.

        The bKash paymentID must be the one we created for our reference: a callback
        naming another payment is refused.
        """
        reference = notification_data.get("reference")
        payment_id = notification_data.get("paymentID")
        if not reference or not payment_id:
            raise ValidationError(_("bKash: the callback has no reference or paymentID."))
        tx = self.search(
            [
                ("reference", "=", reference),
                ("provider_code", "=", "bkash"),
                ("provider_reference", "=", payment_id),
            ]
        )
        if not tx:
            raise ValidationError(
                _(
                    "bKash: no transaction %(reference)s for payment %(payment)s.",
                    reference=reference,
                    payment=payment_id,
                )
            )
        return tx

    def _bkash_process_notification_data(self, notification_data):
        """Execute the bKash payment server-side, check it and record it."""
        if not self._isp_may_process():
            return
        client = self.provider_id._bkash_get_client()

        def confirm():
            result = client.confirm_callback(notification_data)
            check_result(result, self._isp_amount(), self.currency_id.name, self.reference)
            return result

        result = self._isp_confirm(
            "bKash", confirm, BKASH_NOT_AUTHORIZED_REASONS, "did not authorize the payment"
        )
        if result:
            self.bkash_trx_id = result.transaction_id
            self._isp_pay_now()

    def _bkash_send_refund_request(self, refund_tx):
        """Refund ``refund_tx`` (a child of this transaction) at bKash."""
        client = self.provider_id._bkash_get_client()
        amount = -refund_tx.amount
        try:
            refund = client.refund(
                self.provider_reference,
                self.bkash_trx_id,
                float_repr(amount, self.currency_id.decimal_places or 2),
                _("Refund of %(reference)s", reference=self.reference),
            )
        except GatewayError as exc:
            _logger.warning("bKash refund of %s failed: %s", self.reference, exc)
            refund_tx._set_error(_("bKash refused the refund: %(error)s", error=exc.message))
            return
        refund_tx.write(
            {
                "provider_reference": refund.refund_transaction_id,
                "bkash_trx_id": refund.refund_transaction_id,
            }
        )
        refund_tx._set_done()
        refund_tx._post_process()

    # ------------------------------------------------------------------ SSLCommerz

    def _sslcommerz_get_rendering_values(self):
        """Open a hosted checkout session; the redirect form sends the customer to it."""
        from ..controllers.sslcommerz import SSLCommerzController

        base_url = self.provider_id.get_base_url().rstrip("/")
        return_url = f"{base_url}{SSLCommerzController._return_url}"
        try:
            session = self.provider_id._sslcommerz_get_client().create_session(
                self.reference,
                float_repr(self.amount, self.currency_id.decimal_places or 2),
                self.currency_id.name,
                success_url=f"{return_url}/success",
                fail_url=f"{return_url}/fail",
                cancel_url=f"{return_url}/cancel",
                ipn_url=f"{base_url}{SSLCommerzController._ipn_url}",
                customer=self._sslcommerz_customer_values(),
                product_name=self.reference,
            )
        except GatewayError as exc:
            _logger.warning("SSLCommerz session failed for %s: %s", self.reference, exc)
            raise ValidationError(
                _("SSLCommerz could not open the payment page: %(error)s", error=exc.message)
            ) from exc
        return self._isp_redirect_values(session.gateway_url)

    def _sslcommerz_customer_values(self):
        """The customer fields of the session; SSLCommerz requires an email and a phone.

        Many subscribers have neither on file: the company's contacts stand in, so the
        customer can still pay (SSLCommerz asks the payer on its own page).
        """
        partner = self.partner_id
        company = self.company_id
        return {
            "name": self.partner_name or partner.name,
            "email": self.partner_email or partner.email or company.email or "noreply@localhost",
            "phone": self.partner_phone
            or partner.phone
            or partner.mobile
            or company.phone
            or "01000000000",
            "address": self.partner_address or "",
            "city": self.partner_city or "",
            "country": self.partner_country_id.name or "",
        }

    @api.model
    def _sslcommerz_get_tx_from_notification_data(self, notification_data):
        """The transaction of an SSLCommerz IPN or return form (our reference = tran_id)."""
        reference = notification_data.get("tran_id")
        tx = reference and self.search(
            [("reference", "=", reference), ("provider_code", "=", "sslcommerz")]
        )
        if not tx:
            raise ValidationError(
                _("SSLCommerz: no transaction %(reference)s.", reference=reference or "")
            )
        return tx

    def _sslcommerz_process_notification_data(self, notification_data):
        """Check the signature, validate server to server, compare, then pay.

        A forged, unsigned or foreign post is refused (``ValidationError``) and leaves the
        transaction untouched, so nobody can cancel someone else's payment. A signed
        failure or cancellation, a mismatch or a payment the validation API does not
        confirm is recorded on the transaction with its reason. Only a validated payment
        for our reference, amount and currency is marked done, then posted and
        reconciled at once (the subscription is restored in this transaction).
        """
        from ..lib.gateway_sslcommerz import check_result as sslcommerz_check_result

        if self._isp_lock():
            self._isp_ignore_duplicate("already done (duplicate notification)")
            return
        client = self.provider_id._sslcommerz_get_client()
        try:
            ipn = client.parse_ipn(notification_data)
        except GatewayError as exc:
            self._isp_refuse(str(exc))
            raise ValidationError(
                _("SSLCommerz: refused notification: %(error)s", error=exc.message)
            ) from exc
        if self.state == "cancel":
            self._isp_refuse(f"transaction is cancelled, SSLCommerz says {ipn.status}")
            return
        if not ipn.is_valid:
            message = _(
                "SSLCommerz payment %(status)s: %(error)s",
                status=ipn.status,
                error=ipn.raw.get("error") or ipn.status,
            )
            _logger.info("SSLCommerz %s: %s", self.reference, message)
            if ipn.status == "FAILED":
                self._set_error(message)
            else:
                self._set_canceled(state_message=message)
            return
        try:
            result = client.validate(ipn.val_id)
            sslcommerz_check_result(
                result,
                Decimal(float_repr(self.amount, self.currency_id.decimal_places or 2)),
                self.currency_id.name,
                self.reference,
            )
        except GatewayTimeout as exc:
            # SSLCommerz may have the money: keep the transaction open for the next IPN.
            _logger.warning("SSLCommerz validation timeout for %s: %s", self.reference, exc)
            self._set_pending(
                state_message=_(
                    "SSLCommerz did not confirm the payment in time: %(error)s",
                    error=exc.message,
                )
            )
            return
        except GatewayError as exc:
            _logger.warning("SSLCommerz payment %s not accepted: %s", self.reference, exc)
            self._set_error(
                _(
                    "SSLCommerz payment not accepted (%(reason)s): %(error)s",
                    reason=exc.reason,
                    error=exc.message,
                )
            )
            return
        self.write(
            {
                "provider_reference": result.transaction_id or result.val_id,
                "sslcommerz_val_id": result.val_id,
            }
        )
        self._set_done()
        self._post_process()

    def _sslcommerz_send_refund_request(self, refund_tx):
        """Refund ``refund_tx`` (a child of this transaction) at SSLCommerz."""
        try:
            refund = self.provider_id._sslcommerz_get_client().refund(
                self.provider_reference,
                float_repr(-refund_tx.amount, self.currency_id.decimal_places or 2),
                _("Refund of %(reference)s", reference=self.reference),
                refe_id=refund_tx.reference,
            )
        except GatewayError as exc:
            _logger.warning("SSLCommerz refund of %s failed: %s", self.reference, exc)
            refund_tx._set_error(_("SSLCommerz refused the refund: %(error)s", error=exc.message))
            return
        refund_tx.provider_reference = refund.refund_ref_id
        refund_tx._set_done()
        refund_tx._post_process()

    # ------------------------------------------------------------------ aamarPay

    def _aamarpay_get_rendering_values(self):
        """Initiate the payment at aamarPay; the redirect form sends the customer there."""
        base_url = self.provider_id.get_base_url().rstrip("/")
        query = urlencode({"reference": self.reference})
        return_url = f"{base_url}{AAMARPAY_RETURN_ROUTE}"
        customer = self._sslcommerz_customer_values()
        try:
            session = self.provider_id._aamarpay_get_client().create_payment(
                self.reference,
                float_repr(self.amount, self.currency_id.decimal_places or 2),
                success_url=f"{return_url}/success?{query}",
                fail_url=f"{return_url}/fail?{query}",
                cancel_url=f"{return_url}/cancel?{query}",
                customer_name=customer["name"],
                customer_email=customer["email"],
                customer_phone=customer["phone"],
                description=self.reference,
                currency=self.currency_id.name,
                customer_address=customer["address"] or None,
                customer_city=customer["city"] or None,
            )
        except GatewayError as exc:
            _logger.warning("aamarPay initiation failed for %s: %s", self.reference, exc)
            raise ValidationError(
                _("aamarPay could not start the payment: %(error)s", error=exc.message)
            ) from exc
        return self._isp_redirect_values(session.payment_url)

    @api.model
    def _aamarpay_get_tx_from_notification_data(self, notification_data):
        """The transaction of an aamarPay return (our reference, nothing else)."""
        reference = notification_data.get("reference")
        tx = reference and self.search(
            [("reference", "=", reference), ("provider_code", "=", "aamarpay")]
        )
        if not tx:
            raise ValidationError(
                _("aamarPay: no transaction %(reference)s.", reference=reference or "")
            )
        return tx

    def _aamarpay_process_notification_data(self):
        """Ask aamarPay (trxcheck) what became of our reference, check it, then pay."""
        from ..lib.gateway_aamarpay import check_result as aamarpay_check_result

        if not self._isp_may_process():
            return

        def confirm():
            result = self.provider_id._aamarpay_get_client().verify_payment(self.reference)
            aamarpay_check_result(result, self._isp_amount(), self.currency_id.name, self.reference)
            return result

        result = self._isp_confirm(
            "aamarPay", confirm, AAMARPAY_NOT_COMPLETED_REASONS, "has no completed payment"
        )
        if result:
            self.provider_reference = result.gateway_txn_id
            self._isp_pay_now()

    # ------------------------------------------------------------------ shurjoPay

    def _shurjopay_get_rendering_values(self):
        """Initiate the payment at shurjoPay; the redirect form sends the customer there."""
        from odoo.http import request

        base_url = self.provider_id.get_base_url().rstrip("/")
        customer = self._sslcommerz_customer_values()
        client_ip = (request and request.httprequest.remote_addr) or "127.0.0.1"
        try:
            session = self.provider_id._shurjopay_get_client().create_payment(
                self.reference,
                float_repr(self.amount, self.currency_id.decimal_places or 2),
                return_url=f"{base_url}{SHURJOPAY_RETURN_ROUTE}",
                cancel_url=f"{base_url}{SHURJOPAY_RETURN_ROUTE}",
                client_ip=client_ip,
                customer_name=customer["name"],
                customer_phone=customer["phone"],
                customer_address=customer["address"] or customer["country"] or "-",
                customer_city=customer["city"] or customer["country"] or "-",
                currency=self.currency_id.name,
                customer_email=customer["email"],
            )
        except GatewayError as exc:
            _logger.warning("shurjoPay initiation failed for %s: %s", self.reference, exc)
            raise ValidationError(
                _("shurjoPay could not start the payment: %(error)s", error=exc.message)
            ) from exc
        self.provider_reference = session.sp_order_id
        return self._isp_redirect_values(session.checkout_url)

    @api.model
    def _shurjopay_get_tx_from_notification_data(self, notification_data):
        """The transaction of a shurjoPay return: the sp_order_id we were given."""
        order_id = notification_data.get("order_id")
        tx = order_id and self.search(
            [("provider_reference", "=", order_id), ("provider_code", "=", "shurjopay")]
        )
        if not tx:
            raise ValidationError(
                _("shurjoPay: no transaction for order %(order)s.", order=order_id or "")
            )
        return tx

    def _shurjopay_process_notification_data(self):
        """Ask shurjoPay (verification) about our order, check it, then pay."""
        from ..lib.gateway_shurjopay import check_result as shurjopay_check_result

        if not self._isp_may_process():
            return

        def confirm():
            client = self.provider_id._shurjopay_get_client()
            result = client.verify_payment(self.provider_reference)
            shurjopay_check_result(
                result, self._isp_amount(), self.currency_id.name, self.reference
            )
            return result

        if self._isp_confirm(
            "shurjoPay", confirm, SHURJOPAY_NOT_COMPLETED_REASONS, "has no completed payment"
        ):
            self._isp_pay_now()

    # ------------------------------------------------------------------ Nagad

    def _nagad_get_rendering_values(self):
        """Open the Nagad checkout (initialize + complete); redirect the customer to it."""
        base_url = self.provider_id.get_base_url().rstrip("/")
        # Nagad order ids are letters and digits only; the id keeps them unique.
        order_id = "".join(c for c in self.reference if c.isascii() and c.isalnum())[:30]
        order_id = f"{order_id}T{self.id}"
        try:
            checkout = self.provider_id._nagad_get_client().create_payment(
                order_id,
                Decimal(float_repr(self.amount, self.currency_id.decimal_places or 2)),
                f"{base_url}{NAGAD_CALLBACK_ROUTE}",
            )
        except (GatewayError, ValueError) as exc:
            _logger.warning("Nagad checkout failed for %s: %s", self.reference, exc)
            raise ValidationError(
                _("Nagad could not start the payment: %(error)s", error=str(exc))
            ) from exc
        self.write(
            {"nagad_order_id": order_id, "provider_reference": checkout.payment_reference_id}
        )
        return self._isp_redirect_values(checkout.redirect_url)

    @api.model
    def _nagad_get_tx_from_notification_data(self, notification_data):
        """The transaction of a Nagad callback: the payment_ref_id we were given."""
        payment_ref_id = notification_data.get("payment_ref_id")
        tx = payment_ref_id and self.search(
            [("provider_reference", "=", payment_ref_id), ("provider_code", "=", "nagad")]
        )
        if not tx:
            raise ValidationError(
                _("Nagad: no transaction for payment %(payment)s.", payment=payment_ref_id or "")
            )
        return tx

    def _nagad_process_notification_data(self):
        """Ask Nagad (verify) about our payment, check it, then pay."""
        from ..lib.gateway_nagad import NagadClient

        if not self._isp_may_process():
            return

        def confirm():
            result = self.provider_id._nagad_get_client().verify_payment(self.provider_reference)
            NagadClient.check_result(
                result, self._isp_amount(), self.currency_id.name, self.nagad_order_id
            )
            return result

        result = self._isp_confirm(
            "Nagad",
            confirm,
            NAGAD_NOT_COMPLETED_REASONS,
            "has no completed payment",
            errors=(GatewayError, ValueError),
        )
        if result:
            self.nagad_trx_id = result.transaction_id
            self._isp_pay_now()

    # ---- Stripe and PayPal (Odoo's own providers)

    def _handle_notification_data(self, provider_code, notification_data):
        """Override of `payment`: Stripe and PayPal exactly once, and paid means booked.

        The transaction row is locked before Odoo's own processing: a duplicate (return
        and webhook, repeated webhooks) of a payment already done returns at once. A
        notification for another payment or amount is refused. A payment confirmed here
        is post-processed in this same request: account.payment posted, invoice
        reconciled, subscription restored, no cron in between.
        """
        if provider_code not in ISP_ODOO_PROVIDER_CODES:
            return super()._handle_notification_data(provider_code, notification_data)
        tx = self._get_tx_from_notification_data(provider_code, notification_data)
        if tx.operation in ISP_ODOO_PAYMENT_OPERATIONS:
            if tx._isp_lock():
                tx._isp_ignore_duplicate(f"{provider_code} notification of a payment already done")
                return tx
            if not tx._isp_check_odoo_notification(notification_data):
                return tx
        tx = super(PaymentTransaction, tx)._handle_notification_data(
            provider_code, notification_data
        )
        tx._isp_post_process_now()
        return tx

    def _isp_check_odoo_notification(self, notification_data):
        """False (logged, state set where it is a gateway verdict) when a Stripe or PayPal
        notification does not match this transaction's payment."""
        self.ensure_one()
        if self.provider_code == "stripe":
            return self._isp_stripe_check_intent(notification_data.get("payment_intent"))
        if self.provider_code == "paypal" and notification_data:
            return self._isp_paypal_check_amount(notification_data.get("amount") or {})
        return True

    def _isp_stripe_check_intent(self, intent):
        """The PaymentIntent must be ours: our reference, amount and currency."""
        if not isinstance(intent, dict):
            return True  # webhook events without an intent (refunds) are Odoo's
        if intent.get("description") != self.reference or (
            self.provider_reference and intent.get("id") != self.provider_reference
        ):
            self._isp_refuse(f"Stripe intent {intent.get('id')} is not the one of this payment")
            return False
        expected = payment_utils.to_minor_currency_units(self.amount, self.currency_id)
        currency = (intent.get("currency") or "").upper()
        if intent.get("amount") != expected or currency != self.currency_id.name:
            _logger.warning(
                "Stripe intent %s of %s: %s %s instead of %s %s",
                intent.get("id"),
                self.reference,
                intent.get("amount"),
                currency,
                expected,
                self.currency_id.name,
            )
            self._set_error(
                _(
                    "Stripe reported %(amount)s %(currency)s (minor units) instead of "
                    "%(expected)s %(expected_currency)s.",
                    amount=intent.get("amount"),
                    currency=currency,
                    expected=expected,
                    expected_currency=self.currency_id.name,
                )
            )
            return False
        return True

    def _isp_paypal_check_amount(self, amount):
        """The captured amount and currency must be the transaction's."""
        try:
            value = float(amount.get("value"))
        except (TypeError, ValueError):
            value = None
        currency = amount.get("currency_code")
        if (
            value is None
            or currency != self.currency_id.name
            or self.currency_id.compare_amounts(value, self.amount)
        ):
            _logger.warning(
                "PayPal payment of %s: %s %s instead of %s %s",
                self.reference,
                amount.get("value"),
                currency,
                self.amount,
                self.currency_id.name,
            )
            self._set_error(
                _(
                    "PayPal reported %(amount)s %(currency)s instead of %(expected)s "
                    "%(expected_currency)s.",
                    amount=amount.get("value"),
                    currency=currency,
                    expected=float_repr(self.amount, self.currency_id.decimal_places or 2),
                    expected_currency=self.currency_id.name,
                )
            )
            return False
        return True

    def _isp_post_process_now(self):
        """Post-process a payment that has just become done (not a refund: Odoo's cron)."""
        done = self.filtered(
            lambda tx: (
                tx.state == "done"
                and not tx.is_post_processed
                and tx.operation in ISP_ODOO_PAYMENT_OPERATIONS
            )
        )
        if done:
            done._post_process()

    # ---- auto-debit mandates (bKash agreements)
    isp_mandate_id = fields.Many2one(
        "isp.payment.mandate",
        string="Auto-debit Mandate",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        help="The bKash agreement this transaction charges (auto-debit).",
    )

    def _send_payment_request(self):
        """Override of `payment`: charge a bKash agreement (payment by token)."""
        res = super()._send_payment_request()
        if self.provider_code == "bkash":
            self._bkash_create_agreement_payment()
        return res

    def _bkash_create_agreement_payment(self):
        """Create the payment of the agreement at bKash; it is executed by a job.

        Creating moves no money. The paymentID is stored (committed with this job or
        request) before the execute that does: a worker lost after the execute is then
        recovered by executing again, which bKash answers with the payment it already
        completed instead of a second charge.
        """
        self.ensure_one()
        if self.state != "draft" or self.provider_reference:
            return
        client = self.provider_id._bkash_get_client()
        try:
            created = client.create_agreement_payment(
                self.token_id.provider_ref,
                float_repr(self.amount, self.currency_id.decimal_places or 2),
                self.reference,
                self.partner_id.ref or str(self.partner_id.id),
                self.isp_mandate_id._get_agreement_callback_url()
                if self.isp_mandate_id
                else self.provider_id.get_base_url(),
                currency=self.currency_id.name,
            )
        except GatewayError as exc:
            self._bkash_agreement_payment_failed(exc)
            return
        self.provider_reference = created.payment_id
        self._set_pending(state_message=_("Charging the bKash agreement."))
        self._bkash_enqueue_agreement_execution()

    def _bkash_enqueue_agreement_execution(self):
        self.ensure_one()
        self.with_delay(
            channel="root.isp_billing",
            identity_key=f"payment.transaction:{self.id}:bkash_execute",
            description=_("Execute bKash payment %(reference)s", reference=self.reference),
        )._job_bkash_execute_agreement_payment()

    def _job_bkash_execute_agreement_payment(self):
        """Execute the agreement payment at bKash and record it (idempotent)."""
        from odoo.addons.queue_job.exception import RetryableJobError

        from ..lib.gateway_errors import GatewayMismatch

        self.ensure_one()
        if not self._isp_may_process() or not self.provider_reference:
            return False
        client = self.provider_id._bkash_get_client()
        # Paid meanwhile by other means: only record what bKash may have completed
        # already (a lost worker's execute), never charge again.
        paid_otherwise = self.invoice_ids and not any(
            amount > 0 for amount in self.invoice_ids.mapped("amount_residual")
        )
        try:
            if paid_otherwise:
                result = client.payment_status(self.provider_reference)
                if not result.is_completed:
                    self._set_canceled(
                        state_message=_("The invoice was paid otherwise; nothing was charged.")
                    )
                    return False
            else:
                result = client.execute_payment(self.provider_reference)
            check_result(result, self._isp_amount(), self.currency_id.name, self.reference)
        except (GatewayRejected, GatewayMismatch) as exc:
            self._bkash_agreement_payment_failed(exc)
            return False
        except GatewayError as exc:
            # No answer, or not one we can read: bKash may have moved the money. Ask
            # again later; a second execute returns the completed payment, not a charge.
            _logger.warning("bKash execute of %s uncertain: %s", self.reference, exc)
            raise RetryableJobError(
                f"bKash execute of {self.reference} uncertain: {exc}", seconds=300
            ) from exc
        self.bkash_trx_id = result.transaction_id
        self._isp_pay_now()
        self.isp_mandate_id._isp_charge_succeeded()
        return True

    def _bkash_agreement_payment_failed(self, exc):
        _logger.warning("bKash agreement payment %s failed: %s", self.reference, exc)
        message = _("bKash could not charge the agreement: %(error)s", error=exc.message)
        self._set_error(message)
        self.isp_mandate_id._isp_charge_failed(message)

    # ---- re-check of pending transactions
    isp_recheck_date = fields.Datetime(
        string="Last Gateway Re-check",
        readonly=True,
        copy=False,
        help="When the re-check job last asked the gateway about this transaction.",
    )

    @api.model
    def _isp_recheck_base_domain(self):
        """Transactions of our gateways a re-check may settle (customer checkouts only)."""
        return [
            ("provider_id.code", "in", RECHECK_PROVIDER_CODES),
            # a disabled provider's client would ask the sandbox: left to the staff
            ("provider_id.state", "!=", "disabled"),
            ("state", "in", ("draft", "pending")),
            ("operation", "not in", ("refund", "validation")),
            # token charges (auto-debit mandates) are recovered by their own job
            ("token_id", "=", False),
            "|",
            ("provider_reference", "!=", False),
            # Asked by our reference: no gateway id before the payment is confirmed.
            ("provider_id.code", "in", RECHECK_BY_REFERENCE_CODES),
        ]

    @api.model
    def _isp_get_recheck_domain(self, now):
        """Created more than 5 minutes and less than 48 hours ago: worth asking again."""
        return self._isp_recheck_base_domain() + [
            ("create_date", "<=", now - timedelta(minutes=RECHECK_MIN_AGE_MINUTES)),
            ("create_date", ">", now - timedelta(hours=RECHECK_MAX_AGE_HOURS)),
        ]

    @api.model
    def _isp_get_expired_domain(self, now):
        """Still not paid 48 hours after it was created: asked once more, then cancelled."""
        return self._isp_recheck_base_domain() + [
            ("create_date", "<=", now - timedelta(hours=RECHECK_MAX_AGE_HOURS)),
        ]

    @api.model
    def _cron_isp_recheck_pending(self, limit=RECHECK_BATCH_SIZE):
        """Ask the gateways about draft/pending transactions; cancel the expired ones.

        One transaction per savepoint (and per commit outside tests): one gateway or
        transaction failing never stops or rolls back the others.
        """
        now = fields.Datetime.now()
        # Least recently asked first: a gateway that stays silent on some transactions
        # does not keep the others from being asked.
        order = "isp_recheck_date asc nulls first, id"
        expired = self.search(self._isp_get_expired_domain(now), order=order, limit=limit)
        recent = self.browse()
        if len(expired) < limit:  # (a search limit of 0 means no limit)
            recent = self.search(
                self._isp_get_recheck_domain(now), order=order, limit=limit - len(expired)
            )
        for tx in expired:
            self._isp_recheck_safely(tx, now, expire=True)
        for tx in recent:
            self._isp_recheck_safely(tx, now)
        # The rest waits for the next run (remaining=0: no immediate re-run that would
        # ask the gateways about the same transactions again).
        self.env["ir.cron"]._notify_progress(done=len(expired) + len(recent), remaining=0)
        return expired | recent

    @api.model
    def _isp_recheck_safely(self, tx, now, expire=False):
        tx.isp_recheck_date = now
        try:
            with self.env.cr.savepoint():
                answered = tx._isp_recheck()
                if expire and answered:
                    tx._isp_recheck_expire()
                elif expire:
                    _logger.warning(
                        "%s is %s hours old but not cancelled: its gateway did not answer",
                        tx.reference,
                        RECHECK_MAX_AGE_HOURS,
                    )
        except Exception as exc:  # one bad transaction must not stop the run
            _logger.warning("Re-check of transaction %s failed: %s", tx.reference, exc)
            self.env.invalidate_all()  # the savepoint was rolled back
        if not (self.env.registry.in_test_mode() or modules.module.current_test):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _isp_recheck(self):
        """Ask the gateway what became of this transaction and record the answer.

        Returns False when the gateway gave no usable answer (nothing was changed).
        """
        self.ensure_one()
        method = getattr(
            self.with_context(isp_recheck=True), self._isp_get_recheck_method_name(), None
        )
        if method is None:
            return False
        try:
            method()
        except GatewayUnanswered as exc:
            _logger.warning("Re-check of %s: no answer (%s)", self.reference, exc)
            return False
        return True

    def _isp_recheck_confirm(self, gateway, confirm):
        """``confirm`` for a re-check: only a definite answer of the gateway may change
        the transaction (a callback records a failure; a re-check asks again later)."""

        def answered_confirm():
            try:
                return confirm()
            except (GatewayRejected, GatewayMismatch) as exc:
                if exc.reason in RECHECK_TRANSIENT_REASONS:
                    raise GatewayUnanswered(f"{gateway}: {exc}") from exc
                raise
            except (GatewayError, ValueError) as exc:  # timeout, transport, protocol, config
                raise GatewayUnanswered(f"{gateway}: {exc}") from exc

        return answered_confirm

    def _isp_get_recheck_method_name(self):
        """The per-provider hook: the callbacks' own confirmation where it asks by itself."""
        return {
            "bkash": "_bkash_recheck",
            "sslcommerz": "_sslcommerz_recheck",
            "nagad": "_nagad_process_notification_data",
            "aamarpay": "_aamarpay_process_notification_data",
            "shurjopay": "_shurjopay_process_notification_data",
        }.get(self.provider_code, "")

    def _isp_recheck_expire(self):
        """Cancel a transaction the gateway still has not completed after 48 hours."""
        self.ensure_one()
        self.invalidate_recordset(["state"])
        if self.state not in ("draft", "pending"):
            return
        _logger.info(
            "Cancelling %s: no payment after %s hours", self.reference, RECHECK_MAX_AGE_HOURS
        )
        self._set_canceled(
            state_message=_(
                "No payment was completed at %(gateway)s within %(hours)s hours: "
                "the transaction is cancelled.",
                gateway=self.provider_id.name,
                hours=RECHECK_MAX_AGE_HOURS,
            )
        )

    def _bkash_recheck(self):
        """payment/status; a payment the customer authorized is executed as the callback
        does; cancelled/failed ones are closed; one not yet authorized stays."""
        if not self._isp_may_process():
            return
        client = self.provider_id._bkash_get_client()

        def confirm():
            result = client.payment_status(self.provider_reference)
            if result.status in BKASH_CLOSED_STATUSES:
                raise GatewayRejected(
                    f"bKash payment {self.provider_reference} is {result.status}",
                    reason=BKASH_CLOSED_STATUSES[result.status],
                    raw=result.raw,
                )
            if not result.is_completed:
                result = client.execute_payment(self.provider_reference)
            if not result.transaction_id:
                raise GatewayRejected(
                    f"bKash payment {self.provider_reference} has no trxID",
                    reason="not_completed",
                    raw=result.raw,
                )
            check_result(result, self._isp_amount(), self.currency_id.name, self.reference)
            return result

        result = self._isp_confirm(
            "bKash",
            confirm,
            (*BKASH_NOT_AUTHORIZED_REASONS, "not_completed"),
            "has no completed payment",
        )
        if result:
            self.bkash_trx_id = result.transaction_id
            self._isp_pay_now()

    def _sslcommerz_recheck(self):
        """Transaction query by our reference, then the validation API (as the IPN does)."""
        from ..lib.gateway_sslcommerz import check_result as sslcommerz_check_result

        if not self._isp_may_process():
            return
        client = self.provider_id._sslcommerz_get_client()

        def confirm():
            found = client.find_payment(self.reference)
            result = client.validate(found.val_id)
            sslcommerz_check_result(
                result, self._isp_amount(), self.currency_id.name, self.reference
            )
            return result

        result = self._isp_confirm(
            "SSLCommerz", confirm, ("not_paid", "not_found"), "has no paid transaction"
        )
        if result:
            self.write(
                {
                    "provider_reference": result.transaction_id or result.val_id,
                    "sslcommerz_val_id": result.val_id,
                }
            )
            self._isp_pay_now()
