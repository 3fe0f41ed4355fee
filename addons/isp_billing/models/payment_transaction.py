import logging
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_repr

from ..lib.gateway_bkash import check_result
from ..lib.gateway_errors import GatewayError, GatewayRejected, GatewayTimeout

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
    # (P2: SSLCommerz fields go here)
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

    def _isp_may_process(self):
        """Lock the row; False (logged) for a duplicate or a transaction already closed."""
        if self._isp_lock():
            self._isp_refuse("already done (duplicate callback)")
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
        # (P2: SSLCommerz payment method goes here)
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
        # (P2: SSLCommerz transaction id goes here)
        return self.provider_reference

    def _get_specific_rendering_values(self, processing_values):
        """Override of `payment`: start the payment at the gateway, then redirect."""
        res = super()._get_specific_rendering_values(processing_values)
        if self.provider_code == "bkash":
            return self._bkash_get_rendering_values(processing_values)
        # (P2: SSLCommerz dispatch goes here)
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
        # (P2: SSLCommerz dispatch goes here)
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
        # (P2: SSLCommerz dispatch goes here)
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
        # (P2: SSLCommerz dispatch goes here)
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
    # (P2: SSLCommerz overrides go here)

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
            self._isp_refuse("already done (duplicate notification)")
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
