import logging

import psycopg2.errors

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..lib.gateway_errors import GatewayError, GatewayRejected
from ..lib.mandates import after_charge, mask_msisdn

_logger = logging.getLogger(__name__)

AGREEMENT_CALLBACK_ROUTE = "/payment/bkash/agreement"
JOB_CHANNEL = "root.isp_billing"
LIVE_STATES = ("pending", "active")
# Transactions of a mandate that still count for their invoice: never start a second one.
LIVE_TX_STATES = ("draft", "pending", "authorized", "done")
# bKash: the agreement is unknown or no longer active (cancelled by the customer).
BKASH_AGREEMENT_GONE = "2054"


class IspPaymentMandate(models.Model):
    """An auto-debit mandate: a bKash agreement the subscriber approved once.

    Lifecycle: ``pending`` (waiting for the subscriber's approval at bKash) ->
    ``active`` (the agreement is stored as a ``payment.token``; every morning a job
    charges the subscription's due invoices through it) -> ``inactive`` (cancelled) or
    ``failed`` (three consecutive charges failed; the subscription is notified).
    """

    _name = "isp.payment.mandate"
    _description = "Auto-debit Mandate"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    subscription_id = fields.Many2one(
        "isp.subscription",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
    )
    partner_id = fields.Many2one(
        related="subscription_id.partner_id", store=True, index=True, string="Subscriber"
    )
    company_id = fields.Many2one(related="subscription_id.company_id", store=True, index=True)
    provider_id = fields.Many2one(
        "payment.provider",
        required=True,
        domain="[('code', '=', 'bkash')]",
        default=lambda self: self._default_provider_id(),
        check_company=True,
    )
    token_id = fields.Many2one(
        "payment.token",
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="The approved bKash agreement (its agreementID is the token's reference).",
    )
    agreement_ref = fields.Char(
        string="Agreement ID", related="token_id.provider_ref", readonly=True
    )
    customer_number = fields.Char(
        string="bKash Number", related="token_id.payment_details", readonly=True
    )
    state = fields.Selection(
        [
            ("pending", "Pending Approval"),
            ("active", "Active"),
            ("inactive", "Inactive"),
            ("failed", "Failed"),
        ],
        required=True,
        default="pending",
        readonly=True,
        copy=False,
        tracking=True,
    )
    consecutive_failures = fields.Integer(readonly=True, copy=False)
    last_charge_at = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    agreement_payment_id = fields.Char(
        string="Approval Payment ID",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The bKash paymentID of the agreement waiting for the subscriber's approval.",
    )
    approval_url = fields.Char(
        readonly=True,
        copy=False,
        help="Where the subscriber approves the agreement at bKash.",
    )
    transaction_ids = fields.One2many(
        "payment.transaction", "isp_mandate_id", string="Charges", readonly=True
    )

    def init(self):
        result = super().init()
        # One live mandate per subscription, even between concurrent requests.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS isp_payment_mandate_live_uniq
               ON isp_payment_mandate (subscription_id)
               WHERE state IN ('pending', 'active')"""
        )
        return result

    @api.model
    def _default_provider_id(self):
        return self.env["payment.provider"].search(
            [
                ("code", "=", "bkash"),
                *self.env["payment.provider"]._check_company_domain(self.env.company),
            ],
            limit=1,
        )

    @api.depends("subscription_id", "state")
    def _compute_display_name(self):
        for mandate in self:
            mandate.display_name = _(
                "bKash auto-debit of %(subscription)s",
                subscription=mandate.subscription_id.display_name or "",
            )

    @api.model_create_multi
    def create(self, vals_list):
        subscriptions = self.env["isp.subscription"].browse(
            [vals["subscription_id"] for vals in vals_list if vals.get("subscription_id")]
        )
        self._check_no_live_mandate(subscriptions)
        return super().create(vals_list)

    @api.model
    def _check_no_live_mandate(self, subscriptions, exclude=None):
        """A readable error before the unique index refuses a second live mandate."""
        domain = [("subscription_id", "in", subscriptions.ids), ("state", "in", LIVE_STATES)]
        if exclude:
            domain.append(("id", "not in", exclude.ids))
        live = self.search(domain, limit=1)
        if live:
            raise UserError(
                _(
                    "Subscription %(subscription)s already has an auto-debit mandate.",
                    subscription=live.subscription_id.display_name,
                )
            )

    # ------------------------------------------------------------------ actions

    def action_start(self):
        """Ask bKash for an agreement; the subscriber approves it at ``approval_url``."""
        self.ensure_one()
        if self.state == "active":
            raise UserError(_("The mandate is active already."))
        self._check_no_live_mandate(self.subscription_id, exclude=self)
        client = self.provider_id._bkash_get_client()
        try:
            created = client.create_agreement(
                self._get_payer_reference(), self._get_agreement_callback_url()
            )
        except GatewayError as exc:
            _logger.warning("bKash agreement for mandate %s not created: %s", self.id, exc)
            raise UserError(
                _("bKash could not start the agreement: %(error)s", error=exc.message)
            ) from exc
        self.write(
            {
                "state": "pending",
                "agreement_payment_id": created.payment_id,
                "approval_url": created.bkash_url,
                "last_error": False,
            }
        )
        self.message_post(
            body=_(
                "Agreement requested at bKash; the subscriber approves it at %(url)s",
                url=created.bkash_url,
            )
        )
        return True

    def action_cancel(self):
        """Cancel the agreement at bKash and stop charging."""
        for mandate in self:
            token = mandate.sudo().token_id
            if token and mandate.state != "inactive":
                mandate._bkash_cancel_agreement(token.provider_ref)
            mandate.write(
                {"state": "inactive", "agreement_payment_id": False, "approval_url": False}
            )
            if token:
                token.active = False
            mandate.message_post(body=_("Auto-debit cancelled."))
        return True

    def action_reactivate(self):
        """Restart a failed mandate: at once when bKash still has the agreement active,
        else through a new approval by the subscriber."""
        self.ensure_one()
        if self.state != "failed":
            raise UserError(_("Only a failed mandate can be reactivated."))
        token = self.sudo().token_id
        if token:
            client = self.provider_id._bkash_get_client()
            try:
                agreement = client.agreement_status(token.provider_ref)
            except GatewayError as exc:
                _logger.info("bKash agreement %s status unknown: %s", token.provider_ref, exc)
                agreement = None
            if agreement and agreement.is_active:
                self.write({"state": "active", "consecutive_failures": 0, "last_error": False})
                return True
            token.active = False
            self.sudo().token_id = False
        return self.action_start()

    # ------------------------------------------------------------------ approval

    def _get_payer_reference(self):
        self.ensure_one()
        return self.partner_id.ref or str(self.partner_id.id)

    def _get_agreement_callback_url(self):
        self.ensure_one()
        return f"{self.provider_id.get_base_url().rstrip('/')}{AGREEMENT_CALLBACK_ROUTE}"

    def _isp_lock(self):
        """Lock the mandate row and reload it (concurrent callbacks and jobs wait here)."""
        self.ensure_one()
        self.env.cr.execute(
            "SELECT id FROM isp_payment_mandate WHERE id = %s FOR UPDATE", (self.id,)
        )
        self.invalidate_recordset()

    @api.model
    def _bkash_process_agreement_callback(self, data):
        """The subscriber is back from approving (or not) the agreement at bKash.

        The callback is only a hint: the agreement is executed server-side, and a
        callback naming a paymentID that is not a pending approval of ours changes
        nothing. Returns the mandate concerned (empty when refused).
        """
        payment_id = data.get("paymentID")
        mandate = payment_id and self.search(
            [("agreement_payment_id", "=", payment_id), ("state", "=", "pending")], limit=1
        )
        if not mandate:
            _logger.warning("Refused bKash agreement callback %s: no pending mandate", data)
            return self.browse()
        mandate._isp_lock()
        if mandate.state != "pending" or mandate.agreement_payment_id != payment_id:
            return mandate  # a duplicate callback: the first one did the work
        client = mandate.provider_id._bkash_get_client()
        try:
            agreement = client.confirm_agreement_callback(data)
        except GatewayRejected as exc:
            _logger.warning("bKash agreement of mandate %s not approved: %s", mandate.id, exc)
            if exc.reason in ("cancelled", "failed"):
                message = _(
                    "The subscriber did not approve the agreement at bKash (%(status)s); "
                    "start it again to send a new approval.",
                    status=exc.reason,
                )
                mandate.last_error = message
                mandate.message_post(body=message)
            return mandate
        except GatewayError as exc:
            _logger.warning("bKash agreement of mandate %s not confirmed: %s", mandate.id, exc)
            mandate.last_error = _(
                "bKash did not confirm the agreement: %(error)s", error=exc.message
            )
            return mandate
        mandate._activate(agreement)
        return mandate

    def _prepare_token_values(self, agreement):
        self.ensure_one()
        method = self.provider_id.payment_method_ids.filtered(lambda m: m.code == "bkash")[:1]
        return {
            "provider_id": self.provider_id.id,
            "payment_method_id": (method or self.env.ref("isp_billing.payment_method_bkash")).id,
            "partner_id": self.partner_id.id,
            "provider_ref": agreement.agreement_id,
            # Only the last digits of the wallet number are kept.
            "payment_details": mask_msisdn(agreement.customer_msisdn),
        }

    def _activate(self, agreement):
        self.ensure_one()
        token = self.env["payment.token"].sudo().create(self._prepare_token_values(agreement))
        self.sudo().write(
            {
                "token_id": token.id,
                "state": "active",
                "agreement_payment_id": False,
                "approval_url": False,
                "consecutive_failures": 0,
                "last_error": False,
            }
        )
        self.message_post(
            body=_(
                "The subscriber approved the bKash agreement %(agreement)s.",
                agreement=agreement.agreement_id,
            )
        )

    def _bkash_cancel_agreement(self, agreement_id):
        self.ensure_one()
        client = self.provider_id._bkash_get_client()
        try:
            client.cancel_agreement(agreement_id)
        except GatewayRejected as exc:
            if exc.status_code != BKASH_AGREEMENT_GONE:
                raise UserError(
                    _("bKash refused to cancel the agreement: %(error)s", error=exc.message)
                ) from exc
            # Cancelled at bKash already (by the subscriber): nothing left to cancel.
        except GatewayError as exc:
            raise UserError(
                _("bKash could not cancel the agreement: %(error)s", error=exc.message)
            ) from exc

    # ------------------------------------------------------------------ charging

    @api.model
    def _get_chargeable_domain(self):
        return [("state", "=", "active")]

    @api.model
    def _cron_charge_due(self):
        """Every morning: one job per active mandate (one failure never stops the others)."""
        today = fields.Date.to_string(self.env["isp.subscription"]._isp_today())
        for mandate in self.search(self._get_chargeable_domain()):
            mandate.with_delay(
                channel=JOB_CHANNEL,
                identity_key=f"isp.payment.mandate:{mandate.id}:{today}",
                description=_("Auto-debit %(mandate)s", mandate=mandate.display_name),
            )._job_charge(today)

    def _get_invoices_to_charge_domain(self, today):
        self.ensure_one()
        return [
            ("isp_subscription_id", "=", self.subscription_id.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("amount_residual", ">", 0),
            ("invoice_date_due", "<=", today),
        ]

    def _get_live_transactions(self):
        self.ensure_one()
        return self.env["payment.transaction"].search(
            [("isp_mandate_id", "=", self.id), ("state", "in", LIVE_TX_STATES)]
        )

    def _prepare_transaction_values(self, invoice):
        self.ensure_one()
        token = self.sudo().token_id
        return {
            "provider_id": self.provider_id.id,
            "payment_method_id": token.payment_method_id.id,
            "token_id": token.id,
            "operation": "offline",
            "amount": invoice.amount_residual,
            "currency_id": invoice.currency_id.id,
            "partner_id": invoice.partner_id.id,
            "invoice_ids": [Command.set(invoice.ids)],
            "isp_mandate_id": self.id,
        }

    def _job_charge(self, today=None):
        """Charge the due invoices of the subscription through the agreement.

        Exactly once: an invoice with a live transaction of this mandate (being paid,
        or paid) gets no second one; transactions left pending by a lost worker are
        executed again, which bKash answers with the payment it already completed.
        """
        self.ensure_one()
        today = fields.Date.to_date(today) or self.env["isp.subscription"]._isp_today()
        self._isp_lock()
        if self.state != "active":
            return 0
        if not self.sudo().token_id.active:
            self._isp_stop_for_removed_token()
            return 0
        live = self._get_live_transactions()
        for tx in live.filtered(lambda t: t.state == "pending" and t.provider_reference):
            tx._bkash_enqueue_agreement_execution()
        invoices = self.env["account.move"].search(
            self._get_invoices_to_charge_domain(today), order="invoice_date_due, id"
        )
        invoices -= live.invoice_ids
        if not invoices:
            return 0
        txs = self.env["payment.transaction"].create(
            [self._prepare_transaction_values(invoice) for invoice in invoices]
        )
        for tx in txs:
            tx._send_payment_request()
        return len(txs)

    def _isp_stop_for_removed_token(self):
        """The subscriber removed the saved bKash account (portal): stop charging and
        cancel the agreement at bKash as far as it answers."""
        self.ensure_one()
        try:
            self._bkash_cancel_agreement(self.sudo().token_id.provider_ref)
        except UserError as exc:
            _logger.warning("Agreement of mandate %s not cancelled at bKash: %s", self.id, exc)
        self.write({"state": "inactive", "agreement_payment_id": False, "approval_url": False})
        self.message_post(body=_("The subscriber removed the bKash account: auto-debit stopped."))

    def _isp_charge_succeeded(self):
        self.write(
            {
                "consecutive_failures": 0,
                "last_error": False,
                "last_charge_at": fields.Datetime.now(),
            }
        )

    def _isp_charge_failed(self, error):
        """Count a failed charge; after too many in a row the mandate stops."""
        for mandate in self:
            failures, stop = after_charge(mandate.consecutive_failures, succeeded=False)
            values = {
                "consecutive_failures": failures,
                "last_error": error,
                "last_charge_at": fields.Datetime.now(),
            }
            stop = stop and mandate.state == "active"
            if stop:
                values["state"] = "failed"
            mandate.write(values)
            if stop:
                mandate._isp_notify_failed(error)

    def _isp_notify_failed(self, error):
        self.ensure_one()
        message = _(
            "Auto-debit stopped after %(count)s failed charges: %(error)s",
            count=self.consecutive_failures,
            error=error,
        )
        self.message_post(body=message)
        self.subscription_id._isp_emit_event(
            "mandate_failed",
            {"failures": self.consecutive_failures, "error": error, "mandate": self.id},
        )
        user = self._get_failure_responsible()
        if user:
            self.subscription_id.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=user.id,
                summary=_("bKash auto-debit failed"),
                note=message,
            )

    def _get_failure_responsible(self):
        """Who follows up a failed mandate: the staff member who set it up."""
        self.ensure_one()
        user = self.create_uid
        if not user or user._is_superuser() or user.share or not user.active:
            return self.env["res.users"]
        return user

    # ---- portal (the subscriber's own auto-debit)

    @api.model
    def _isp_get_portal_provider(self, company):
        """The bKash provider subscribers of ``company`` may set up auto-debit with."""
        Provider = self.env["payment.provider"]
        return Provider.search(
            [
                ("code", "=", "bkash"),
                ("state", "in", ("enabled", "test")),
                *Provider._check_company_domain(company),
            ],
            limit=1,
        )

    @api.model
    def _isp_portal_start(self, subscription):
        """Create (or reuse the pending) mandate of ``subscription`` and ask bKash for
        the agreement; the subscriber approves it at the returned mandate's
        ``approval_url``. Nothing is kept when bKash does not answer."""
        subscription.ensure_one()
        provider = self._isp_get_portal_provider(subscription.company_id)
        if not provider:
            raise UserError(_("bKash auto-debit is not available at the moment."))
        with self.env.cr.savepoint():
            mandate = self.search(
                [("subscription_id", "=", subscription.id), ("state", "in", LIVE_STATES)],
                limit=1,
            )
            if mandate.state == "active":
                raise UserError(
                    _(
                        "Auto-debit is already active for %(subscription)s.",
                        subscription=subscription.display_name,
                    )
                )
            if not mandate:
                try:
                    with self.env.cr.savepoint():
                        mandate = self.create(
                            {"subscription_id": subscription.id, "provider_id": provider.id}
                        )
                except psycopg2.errors.UniqueViolation as exc:
                    # A second click created it meanwhile.
                    raise UserError(
                        _("Auto-debit is being set up already; reload the page.")
                    ) from exc
            mandate.action_start()
        return mandate

    @api.model
    def _isp_portal_stop(self, subscription):
        """Cancel the live mandate of ``subscription`` (at bKash too)."""
        mandates = self.search(
            [("subscription_id", "=", subscription.id), ("state", "in", LIVE_STATES)]
        )
        if not mandates:
            raise UserError(
                _(
                    "%(subscription)s has no auto-debit to stop.",
                    subscription=subscription.display_name,
                )
            )
        return mandates.action_cancel()
