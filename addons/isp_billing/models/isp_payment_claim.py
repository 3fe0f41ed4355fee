import psycopg2.errors

from odoo import _, api, fields, models
from odoo.addons.isp_base.lib.phone import InvalidPhone, normalize_bd_mobile
from odoo.exceptions import AccessError, UserError, ValidationError

from .account_payment import ISP_PAYMENT_METHODS

CLAIM_METHODS = [
    (code, label) for code, label in ISP_PAYMENT_METHODS if code in ("bkash", "nagad", "rocket")
]
BILLING_GROUP = "isp_billing.group_isp_billing"
RECHARGE_GROUP = "isp_base.group_isp_recharge_agent"
# Fields only the verification workflow writes.
WORKFLOW_FIELDS = {
    "state",
    "verified_by_id",
    "verified_at",
    "payment_id",
    "claimed_by_id",
    "claimed_at",
    "source",
}
# Fields that define the claim; frozen once it left the queue.
CLAIM_FIELDS = {
    "partner_id",
    "subscription_id",
    "method",
    "transaction_ref",
    "amount",
    "sender_number",
    "company_id",
}


class IspPaymentClaim(models.Model):
    """A mobile money transfer reported by a subscriber or by staff, waiting to be verified.

    A transaction id is claimed at most once per wallet: a partial unique index over the
    claims that are not rejected decides, even between concurrent submissions; a claim
    also refuses a transaction already recorded as a payment. Verifying records the
    payment through the counter-payment path (oldest due invoices first, the rest as
    credit), exactly once.
    """

    _name = "isp.payment.claim"
    _description = "Mobile Money Payment Claim"
    _inherit = ["mail.thread"]
    _order = "state_sequence, claimed_at desc, id desc"
    _rec_names_search = ["transaction_ref", "partner_id"]
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Subscriber",
        required=True,
        index=True,
        domain="[('is_isp_subscriber', '=', True)]",
        tracking=True,
    )
    subscription_id = fields.Many2one(
        "isp.subscription",
        index="btree_not_null",
        check_company=True,
        domain="[('partner_id', '=', partner_id)]",
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    method = fields.Selection(CLAIM_METHODS, required=True, tracking=True)
    transaction_ref = fields.Char(
        string="Transaction ID",
        required=True,
        tracking=True,
        help="The transaction id of the wallet; a transaction is claimed once only.",
    )
    amount = fields.Monetary(currency_field="currency_id", required=True, tracking=True)
    sender_number = fields.Char(help="The wallet number the money was sent from.")
    state = fields.Selection(
        [("pending", "Pending"), ("verified", "Verified"), ("rejected", "Rejected")],
        required=True,
        default="pending",
        readonly=True,
        index=True,
        copy=False,
        tracking=True,
    )
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    rejection_reason = fields.Text(copy=False, tracking=True)
    source = fields.Selection(
        [("staff", "Staff"), ("portal", "Portal")], required=True, default="staff", readonly=True
    )
    claimed_by_id = fields.Many2one(
        "res.users", readonly=True, default=lambda self: self.env.user, copy=False
    )
    claimed_at = fields.Datetime(readonly=True, default=fields.Datetime.now, copy=False)
    verified_by_id = fields.Many2one(
        "res.users", string="Verified / Rejected By", readonly=True, copy=False
    )
    verified_at = fields.Datetime(string="Verified / Rejected At", readonly=True, copy=False)
    payment_id = fields.Many2one(
        "account.payment", readonly=True, copy=False, index="btree_not_null"
    )

    def init(self):
        # A transaction id is claimed once per wallet; a rejected claim releases it.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS isp_payment_claim_transaction_uniq
               ON isp_payment_claim (method, transaction_ref)
               WHERE state != 'rejected'"""
        )

    @api.depends("state")
    def _compute_state_sequence(self):
        order = {"pending": 0, "verified": 1, "rejected": 2}
        for claim in self:
            claim.state_sequence = order.get(claim.state, 9)

    @api.depends("method", "transaction_ref", "partner_id")
    def _compute_display_name(self):
        labels = dict(self._fields["method"]._description_selection(self.env))
        for claim in self:
            claim.display_name = " ".join(
                part for part in (labels.get(claim.method), claim.transaction_ref) if part
            ) or _("New claim")

    @api.constrains("amount")
    def _check_amount(self):
        for claim in self:
            if claim.currency_id.compare_amounts(claim.amount, 0.0) <= 0:
                raise ValidationError(_("The amount of a mobile money claim must be positive."))

    @api.constrains("partner_id", "subscription_id")
    def _check_subscription(self):
        for claim in self:
            if (
                claim.subscription_id
                and claim.subscription_id.partner_id.commercial_partner_id
                != claim.partner_id.commercial_partner_id
            ):
                raise ValidationError(
                    _(
                        "%(subscription)s is not a subscription of %(partner)s.",
                        subscription=claim.subscription_id.display_name,
                        partner=claim.partner_id.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model
    def _normalize_vals(self, vals):
        vals = dict(vals)
        if "transaction_ref" in vals:
            vals["transaction_ref"] = self.env["account.payment"]._isp_normalize_transaction_ref(
                vals["transaction_ref"]
            )
        if vals.get("sender_number"):
            try:
                vals["sender_number"] = normalize_bd_mobile(vals["sender_number"])
            except InvalidPhone as exc:
                raise ValidationError(
                    _(
                        "%(number)s is not a valid Bangladeshi mobile number: use 01XXXXXXXXX "
                        "or +8801XXXXXXXXX.",
                        number=vals["sender_number"],
                    )
                ) from exc
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        self._check_claim_rights()
        vals_list = [self._normalize_vals(vals) for vals in vals_list]
        seen = set()
        for vals in vals_list:
            if not self.env.context.get("isp_claim_workflow"):
                # State and audit fields come from the workflow, never from the caller.
                for name in WORKFLOW_FIELDS - {"source"}:
                    vals.pop(name, None)
            key = (vals.get("method"), vals.get("transaction_ref"))
            if key in seen:
                raise ValidationError(
                    _(
                        "The %(method)s transaction %(reference)s is given twice.",
                        method=self._method_label(key[0]),
                        reference=key[1],
                    )
                )
            seen.add(key)
            self._check_transaction_free(*key)
        try:
            with self.env.cr.savepoint():
                return super().create(vals_list)
        except psycopg2.errors.UniqueViolation as exc:
            # A concurrent submission took it between the check and the insert.
            if getattr(exc.diag, "constraint_name", "") != "isp_payment_claim_transaction_uniq":
                raise
            raise ValidationError(
                _(
                    "This transaction id has just been claimed by another submission; "
                    "it cannot be claimed twice."
                )
            ) from exc

    def write(self, vals):
        if not self.env.context.get("isp_claim_workflow"):
            if WORKFLOW_FIELDS & set(vals):
                raise UserError(_("Verify or reject a claim with its buttons."))
            if CLAIM_FIELDS & set(vals) and any(claim.state != "pending" for claim in self):
                raise UserError(_("Only pending claims can be changed."))
            if "rejection_reason" in vals and any(c.state != "pending" for c in self):
                raise UserError(_("Only pending claims can be changed."))
        vals = self._normalize_vals(vals)
        if {"method", "transaction_ref"} & set(vals):
            for claim in self:
                self._check_transaction_free(
                    vals.get("method", claim.method),
                    vals.get("transaction_ref", claim.transaction_ref),
                    exclude_ids=claim.ids,
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_if_pending(self):
        if any(claim.state != "pending" for claim in self):
            raise UserError(_("Verified and rejected claims are kept; they cannot be deleted."))

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------
    @api.model
    def _method_label(self, method):
        return dict(self._fields["method"]._description_selection(self.env)).get(method, method)

    @api.model
    def _check_claim_rights(self):
        user = self.env.user
        if self.env.su or user.has_group(BILLING_GROUP) or user.has_group(RECHARGE_GROUP):
            return
        # Portal submissions go through _isp_submit_claim, which runs as superuser.
        raise AccessError(
            _("Only billing officers and recharge agents may enter mobile money claims.")
        )

    @api.model
    def _check_verify_rights(self):
        if not self.env.su and not self.env.user.has_group(BILLING_GROUP):
            raise AccessError(_("Only billing officers may verify or reject mobile money claims."))

    @api.model
    def _check_transaction_free(self, method, reference, exclude_ids=()):
        """Refuse a transaction id claimed by a live claim or recorded as a live payment."""
        if not method or not reference:
            raise ValidationError(_("Give the wallet and the transaction id of the payment."))
        # Every company's claims count: the index is global too.
        claim = self.sudo().search(
            [
                ("method", "=", method),
                ("transaction_ref", "=", reference),
                ("state", "!=", "rejected"),
                ("id", "not in", list(exclude_ids)),
            ],
            limit=1,
        )
        if claim:
            raise ValidationError(
                _(
                    "The %(method)s transaction %(reference)s is already claimed (%(state)s "
                    "claim of %(partner)s, %(date)s); it cannot be claimed twice.",
                    method=self._method_label(method),
                    reference=reference,
                    state=dict(claim._fields["state"]._description_selection(self.env))[
                        claim.state
                    ],
                    partner=claim.partner_id.display_name,
                    date=fields.Date.to_string(fields.Datetime.to_datetime(claim.claimed_at)),
                )
            )
        self.env["account.payment"]._isp_check_transaction(method, reference)

    # ------------------------------------------------------------------
    # Submission (staff form, portal)
    # ------------------------------------------------------------------
    @api.model
    def _isp_prepare_claim_vals(
        self, partner, method, transaction_ref, amount, sender, subscription
    ):
        partner = partner.commercial_partner_id
        company = (
            subscription.company_id if subscription else partner.company_id or self.env.company
        )
        return {
            "partner_id": partner.id,
            "subscription_id": subscription.id if subscription else False,
            "company_id": company.id,
            "method": method,
            "transaction_ref": transaction_ref,
            "amount": amount,
            "sender_number": sender or False,
            "source": "portal" if self.env.user.share else "staff",
        }

    @api.model
    def _isp_submit_claim(
        self, partner, method, transaction_ref, amount, sender=None, subscription=None
    ):
        """Queue a mobile money payment of ``partner`` for verification; return the claim.

        For the staff form and the portal (whose controller checked that ``partner`` is
        the logged-in subscriber). Raises a UserError or ValidationError saying what is
        wrong: an unknown wallet, a missing transaction id, a non-positive amount, a
        subscription of someone else, a transaction id already claimed or recorded.
        """
        if not partner or not partner.exists():
            raise UserError(_("Choose the subscriber who paid."))
        if method not in dict(CLAIM_METHODS):
            raise UserError(
                _(
                    "%(method)s is not a mobile wallet; use bKash, Nagad or Rocket.",
                    method=method or "-",
                )
            )
        if not self.env["account.payment"]._isp_normalize_transaction_ref(transaction_ref):
            raise UserError(_("Give the transaction id of the payment."))
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount <= 0:
            raise UserError(_("The amount paid must be a positive number."))
        if subscription and subscription.partner_id.commercial_partner_id != (
            partner.commercial_partner_id
        ):
            raise UserError(
                _(
                    "%(subscription)s is not a subscription of %(partner)s.",
                    subscription=subscription.display_name,
                    partner=partner.display_name,
                )
            )
        return self.create(
            self._isp_prepare_claim_vals(
                partner, method, transaction_ref, amount, sender, subscription
            )
        )

    # ------------------------------------------------------------------
    # Verification
    # ------------------------------------------------------------------
    def _isp_lock_transition(self, state):
        """Move ``self`` out of pending in the database, once: ``False`` if another
        click or user did it first."""
        self.ensure_one()
        self.env.cr.execute(
            """UPDATE isp_payment_claim
                  SET state = %s, verified_by_id = %s, verified_at = NOW() AT TIME ZONE 'UTC',
                      write_uid = %s, write_date = NOW() AT TIME ZONE 'UTC'
                WHERE id = %s AND state = 'pending'
            RETURNING id""",
            (state, self.env.uid, self.env.uid, self.id),
        )
        done = bool(self.env.cr.fetchone())
        self.invalidate_recordset(
            ["state", "verified_by_id", "verified_at", "state_sequence", "write_uid", "write_date"]
        )
        return done

    def _isp_get_invoices_to_pay(self):
        """Open invoices the claim pays, oldest due first (Quick Pay). Where the billing
        profile forbids partial payments, only the invoices the amount covers in full."""
        self.ensure_one()
        invoices = self.env["isp.subscription"]._isp_get_open_invoices(
            partner=self.partner_id, subscriptions=self.subscription_id or None
        )
        invoices = invoices.filtered(lambda move: move.company_id == self.company_id)
        remaining = self.amount
        selected = invoices.browse()
        for invoice in invoices:
            if self.currency_id.compare_amounts(remaining, 0.0) <= 0:
                break
            profile = (
                invoice.isp_subscription_id.billing_profile_id
                or self.company_id.isp_billing_default_profile_id
            )
            covers = self.currency_id.compare_amounts(remaining, invoice.amount_residual) >= 0
            if not covers and profile and not profile.allow_partial:
                break
            selected |= invoice
            remaining -= invoice.amount_residual
        return selected

    def _isp_verify_one(self):
        self.ensure_one()
        if not self._isp_lock_transition("verified"):
            raise UserError(
                _(
                    "Claim %(claim)s is no longer pending (%(state)s); nothing was recorded.",
                    claim=self.display_name,
                    state=dict(self._fields["state"]._description_selection(self.env))[self.state],
                )
            )
        invoices = self._isp_get_invoices_to_pay()
        payment = self.env["account.payment"]._isp_register_counter_payment(
            self.partner_id,
            self.amount,
            self.method,
            self.transaction_ref,
            invoices=invoices,
            subscription=self.subscription_id or invoices.isp_subscription_id[:1] or None,
            memo=_(
                "%(claim)s: %(invoices)s",
                claim=self.display_name,
                invoices=", ".join(invoices.mapped("name")) or _("credit"),
            ),
        )
        self.with_context(isp_claim_workflow=True).write({"payment_id": payment.id})
        self._isp_emit_payment_received(invoices, payment)
        self.message_post(
            body=_(
                "Verified: payment %(payment)s of %(amount)s recorded.",
                payment=payment.name,
                amount=self.currency_id.format(self.amount),
            )
        )
        return payment

    def _isp_emit_payment_received(self, invoices, payment):
        self.ensure_one()
        for subscription in invoices.isp_subscription_id | self.subscription_id:
            subscription._isp_emit_event(
                "payment_received",
                {
                    "amount": self.amount,
                    "reference": _(
                        "By %(method)s %(reference)s for %(invoices)s.",
                        method=self._method_label(self.method),
                        reference=self.transaction_ref,
                        invoices=", ".join(invoices.mapped("name")) or "-",
                    ),
                    "method": self.method,
                    "payment": payment.name,
                },
            )

    def _isp_verify(self):
        """Verify each claim in its own savepoint; one bad claim never stops the others.

        :return: ``{claim: payment}`` for the verified ones and ``{claim: message}`` of
            the failures, as ``(verified, failures)``
        """
        self._check_verify_rights()
        verified, failures = {}, {}
        for claim in self:
            try:
                with self.env.cr.savepoint():
                    verified[claim] = claim._isp_verify_one()
            except (UserError, ValidationError, AccessError) as exc:
                # The savepoint rolled back this claim only (and cleared the cache).
                failures[claim] = str(exc.args[0] if exc.args else exc)
        return verified, failures

    def action_verify(self):
        verified, failures = self._isp_verify()
        if len(self) == 1 and failures:
            raise UserError(next(iter(failures.values())))
        # self.env._: the language is not found from inside a comprehension
        lines = [
            self.env._(
                "%(claim)s: payment %(payment)s recorded.",
                claim=claim.display_name,
                payment=payment.name,
            )
            for claim, payment in verified.items()
        ]
        lines += [
            self.env._(
                "%(claim)s: not verified: %(error)s", claim=claim.display_name, error=message
            )
            for claim, message in failures.items()
        ]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _(
                    "%(verified)s claim(s) verified, %(failed)s failed",
                    verified=len(verified),
                    failed=len(failures),
                ),
                "message": "\n".join(lines),
                "type": "warning" if failures else "success",
                "sticky": bool(failures),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _isp_reject(self, reason):
        """Reject pending claims with ``reason`` (audited); the transaction id is freed."""
        self._check_verify_rights()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Give the reason for rejecting the claim."))
        for claim in self:
            if claim.state == "verified":
                raise UserError(
                    _(
                        "Claim %(claim)s is verified and cannot be rejected; reverse its "
                        "payment %(payment)s instead.",
                        claim=claim.display_name,
                        payment=claim.payment_id.name or "-",
                    )
                )
            if not claim._isp_lock_transition("rejected"):
                raise UserError(
                    _("Claim %(claim)s is no longer pending.", claim=claim.display_name)
                )
            claim.with_context(isp_claim_workflow=True).write({"rejection_reason": reason})
            description = _(
                "Mobile money claim %(claim)s of %(amount)s rejected: %(reason)s",
                claim=claim.display_name,
                amount=claim.currency_id.format(claim.amount),
                reason=reason,
            )
            self.env["isp.audit.log"]._log(
                claim, "other", description, old_values={claim.id: "pending"}, new_value="rejected"
            )
            claim.message_post(body=description)
        return True

    def action_reject(self):
        for claim in self:
            claim._isp_reject(claim.rejection_reason)
        return True

    # ---- portal (the subscriber's own claims)
    @api.model
    def _isp_portal_submit_claim(
        self, partner, method, transaction_ref, amount, sender=None, subscription=None
    ):
        """:meth:`_isp_submit_claim` for a subscriber in the portal.

        A transaction id already claimed or recorded is refused without naming the
        claim or payment it belongs to: they may be another subscriber's.
        """
        reference = self.env["account.payment"]._isp_normalize_transaction_ref(transaction_ref)
        if method in dict(CLAIM_METHODS) and reference:
            try:
                self._check_transaction_free(method, reference)
            except ValidationError as exc:
                raise ValidationError(
                    _(
                        "The %(method)s transaction %(reference)s has already been submitted; "
                        "a transaction can be claimed once only.",
                        method=self._method_label(method),
                        reference=reference,
                    )
                ) from exc
        return self._isp_submit_claim(
            partner, method, transaction_ref, amount, sender=sender, subscription=subscription
        )
