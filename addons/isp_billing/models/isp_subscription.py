import datetime
import logging
from collections import Counter, defaultdict

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date, format_datetime, formatLang, split_every

from ..lib import dunning, validity

_logger = logging.getLogger(__name__)


class IspSubscription(models.Model):
    _inherit = "isp.subscription"

    billing_profile_id = fields.Many2one(
        "isp.billing.profile",
        default=lambda self: self._default_billing_profile_id(),
        tracking=True,
        domain="[('company_id', '=', company_id)]",
    )
    isp_billing_type = fields.Selection(
        related="billing_profile_id.billing_type", string="Billing Type"
    )
    vat_tax_ids = fields.Many2many(
        "account.tax",
        "isp_subscription_account_tax_rel",
        "subscription_id",
        "tax_id",
        string="VAT",
        default=lambda self: self.env.company.isp_default_vat_tax_id,
        domain="[('type_tax_use', '=', 'sale'), ('company_id', 'parent_of', company_id)]",
    )
    discount_percent = fields.Float(string="Discount (%)", digits="Discount", tracking=True)
    # Staff without billing rights read subscriptions (all fields) too.
    charge_ids = fields.One2many(
        "isp.subscription.charge",
        "subscription_id",
        string="Charges",
        groups="isp_billing.group_isp_billing,isp_base.group_isp_manager",
    )
    invoice_ids = fields.One2many(
        "account.move",
        "isp_subscription_id",
        string="Invoices",
        groups="isp_billing.group_isp_billing",
    )
    pending_invoice_count = fields.Integer(
        compute="_compute_pending_invoice_count", groups="isp_billing.group_isp_billing"
    )
    pending_amount_due = fields.Monetary(
        string="Amount Due",
        compute="_compute_pending_invoice_count",
        currency_field="pending_currency_id",
        groups="isp_billing.group_isp_billing",
    )
    pending_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Billing Currency"
    )

    billing_suspended = fields.Boolean(
        string="Suspended for Non-Payment",
        readonly=True,
        copy=False,
        tracking=True,
        help="Suspended automatically for overdue invoices: restored automatically once "
        "they are paid. Suspensions by staff are never lifted automatically.",
    )

    _sql_constraints = [
        (
            "discount_percent_range",
            "CHECK(discount_percent >= 0 AND discount_percent <= 100)",
            "The discount must be between 0 and 100%.",
        ),
    ]

    @api.model
    def _default_billing_profile_id(self):
        return self.env.company.isp_billing_default_profile_id

    def _compute_pending_invoice_count(self):
        groups = self.env["account.move"]._read_group(
            [
                ("isp_subscription_id", "in", self.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            ["isp_subscription_id"],
            ["__count", "amount_residual_signed:sum"],
        )
        counts = {subscription.id: (count, due) for subscription, count, due in groups}
        for subscription in self:
            count, due = counts.get(subscription.id, (0, 0.0))
            subscription.pending_invoice_count = count
            subscription.pending_amount_due = due

    def _check_state_change(self, action):
        result = super()._check_state_change(action)
        if action == "activate":
            self._check_plan_limit()
        return result

    @api.model_create_multi
    def create(self, vals_list):
        subscriptions = super().create(vals_list)
        # Seed data and imports may create subscriptions directly active.
        subscriptions.filtered(lambda sub: sub.state == "active")._check_plan_limit()
        return subscriptions

    def _check_plan_limit(self):
        """Refuse to activate (or create active) beyond the company's active limit.

        Records of ``self`` already active are counted by the query (just created
        active); the others are about to become active.
        """
        newly_active = Counter(sub.company_id for sub in self if sub.state != "active")
        created_active = Counter(sub.company_id for sub in self if sub.state == "active")
        limited = {
            company for company in newly_active + created_active if company.isp_plan_limit > 0
        }
        if not limited:
            return
        groups = self.sudo()._read_group(
            [("state", "=", "active"), ("company_id", "in", [c.id for c in limited])],
            ["company_id"],
            ["__count"],
        )
        active = dict(groups)
        for company in limited:
            if active.get(company, 0) + newly_active[company] > company.isp_plan_limit:
                active[company] = active.get(company, 0) - created_active[company]
                raise UserError(
                    _(
                        "%(company)s may have at most %(limit)s active subscriptions "
                        "(%(active)s now); raise the limit in the ISP Billing settings "
                        "before activating more.",
                        company=company.name,
                        limit=company.isp_plan_limit,
                        active=active.get(company, 0),
                    )
                )

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_billing.action_isp_billing_invoices"
        )
        action["domain"] = [("isp_subscription_id", "=", self.id)]
        action["context"] = {
            "default_move_type": "out_invoice",
            "default_isp_subscription_id": self.id,
            "default_partner_id": self.partner_id.id,
        }
        return action

    def action_view_pending_invoices(self):
        self.ensure_one()
        action = self.action_view_invoices()
        action["context"] = dict(action["context"], search_default_open=1)
        return action

    def action_view_ledger(self):
        self.ensure_one()
        return self.env["isp.subscriber.ledger"]._get_ledger_action(
            self.partner_id.commercial_partner_id
        )

    # ------------------------------------------------------------------
    # Collections: automatic suspension and restoration, notification events
    # ------------------------------------------------------------------
    def _prepare_state_change_vals(self, action, target, reason):
        vals = super()._prepare_state_change_vals(action, target, reason)
        # Only a suspension made by :meth:`_isp_apply_payment_status` is lifted by it.
        vals["billing_suspended"] = action == "suspend" and bool(
            self.env.context.get("isp_billing_suspension")
        )
        return vals

    def _isp_can_auto_suspend(self):
        """Whether overdue invoices suspend this subscription (never VIPs)."""
        self.ensure_one()
        profile = self.billing_profile_id
        return bool(
            profile
            and profile.billing_type == "monthly"
            and profile.auto_suspend
            and not profile.is_vip
        )

    def _get_overdue_invoice_domain(self, today):
        """Candidate overdue invoices; the grace days are applied per profile after."""
        return [
            ("isp_subscription_id", "in", self.ids),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<", today),
        ]

    def _isp_get_overdue_invoices(self, today):
        """``{subscription id: invoices unpaid past their due date plus grace days}``."""
        invoices = self.env["account.move"].sudo().search(self._get_overdue_invoice_domain(today))
        overdue = defaultdict(lambda: self.env["account.move"].sudo())
        for invoice in invoices:
            subscription = invoice.isp_subscription_id
            grace = subscription.billing_profile_id.grace_days or 0
            if dunning.is_overdue(invoice.invoice_date_due, today, grace):
                overdue[subscription.id] |= invoice
        return overdue

    def _isp_overdue_amount(self, invoices):
        """The overdue balance of ``invoices`` as a string for ``lib.dunning``."""
        self.ensure_one()
        currency = self.company_id.currency_id
        return str(currency.round(sum(invoices.mapped("amount_residual_signed"))))

    def _isp_apply_payment_status(self, today=None):
        """Suspend what is overdue past grace, restore what was suspended for it and is paid.

        Idempotent, called whenever an invoice of the subscriptions is reconciled or
        unreconciled (see ``account.partial.reconcile``) and by the daily cron. Only
        active subscriptions are suspended (VIP, auto suspend off and non-monthly
        profiles never); only subscriptions suspended here are restored. With partial
        payments allowed, a balance up to the profile's threshold is tolerated.

        :return: ``{"suspended": records, "restored": records, "failures": {record: msg}}``
        """
        subscriptions = self.sudo().exists().filtered(lambda s: s.state in ("active", "suspended"))
        result = {"suspended": self.browse(), "restored": self.browse(), "failures": {}}
        if not subscriptions:
            return result
        today = today or self._isp_today()
        overdue = subscriptions._isp_get_overdue_invoices(today)
        to_suspend = subscriptions.browse()
        to_restore = subscriptions.browse()
        for subscription in subscriptions:
            profile = subscription.billing_profile_id
            amount = subscription._isp_overdue_amount(
                overdue.get(subscription.id, self.env["account.move"])
            )
            threshold = str(profile.restore_threshold_amount or 0)
            can_suspend = subscription._isp_can_auto_suspend()
            if subscription.state == "active":
                if can_suspend and dunning.must_suspend(amount, profile.allow_partial, threshold):
                    to_suspend |= subscription
            elif subscription.billing_suspended and (
                not can_suspend or dunning.may_restore(amount, profile.allow_partial, threshold)
            ):
                to_restore |= subscription
        failures = {}
        if to_suspend:
            reason = _("Unpaid invoices overdue after the grace period")
            failures.update(
                to_suspend.with_context(isp_billing_suspension=True)._isp_apply_resiliently(
                    lambda records: records._change_state("suspend", reason)
                )
            )
        if to_restore:
            reason = _("Overdue invoices paid")
            failures.update(
                to_restore._isp_apply_resiliently(
                    lambda records: records._change_state("restore", reason)
                )
            )
        for subscription, message in failures.items():
            _logger.error(
                "Cannot apply the payment status of %s: %s", subscription.display_name, message
            )
        suspended = to_suspend.filtered(lambda s: s.state == "suspended")
        restored = to_restore.filtered(lambda s: s.state == "active")
        for subscription in suspended:
            invoices = overdue[subscription.id]
            subscription._isp_emit_event(
                "suspended",
                {
                    "invoices": ", ".join(invoices.mapped("name")),
                    "amount": sum(invoices.mapped("amount_residual_signed")),
                },
            )
        restored._isp_emit_event("restored")
        result.update(suspended=suspended, restored=restored, failures=failures)
        return result

    @api.model
    def _get_payment_status_domain(self, today):
        """Subscriptions the daily cron re-evaluates: active with an unpaid invoice past
        due on an auto-suspending profile, and those suspended for non-payment."""
        return [
            "|",
            "&",
            "&",
            ("state", "=", "active"),
            (
                "billing_profile_id",
                "any",
                [
                    ("billing_type", "=", "monthly"),
                    ("auto_suspend", "=", True),
                    ("is_vip", "=", False),
                ],
            ),
            (
                "invoice_ids",
                "any",
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", today),
                ],
            ),
            "&",
            ("state", "=", "suspended"),
            ("billing_suspended", "=", True),
        ]

    @api.model
    def _cron_suspend_overdue(self, today=None, batch_size=200):
        """Daily: suspend overdue subscriptions after grace (and heal missed restores).

        Batched and committed per batch outside tests; a subscription that fails is
        logged and skipped, never blocking the others.
        """
        today = today or self._isp_today()
        subscriptions = self.sudo().search(self._get_payment_status_domain(today), order="id")
        collections_model = self.env["isp.billing.dunning"]
        done = 0
        for batch_ids in split_every(batch_size, subscriptions.ids):
            batch = subscriptions.browse(batch_ids)
            batch._isp_apply_payment_status(today)
            done += len(batch)
            self.env["ir.cron"]._notify_progress(
                done=done, remaining=max(len(subscriptions) - done, 0)
            )
            collections_model._commit_progress()
        return True

    @api.model
    def _isp_format_event_values(self, values):
        """Amounts with the currency and dates in the user's format, for messages."""
        currency = self.env.company.currency_id
        formatted = {}
        for key, value in values.items():
            if (
                isinstance(value, float | int)
                and not isinstance(value, bool)
                and (key.startswith("amount") or key.endswith("amount"))
            ):
                value = formatLang(self.env, value, currency_obj=currency)
            elif isinstance(value, datetime.datetime):  # naive UTC, shown in ISP time
                value = format_datetime(self.env, value, tz=self._get_isp_timezone().zone)
            elif isinstance(value, datetime.date):
                value = format_date(self.env, value)
            formatted[key] = "" if value is None or value is False else value
        return formatted

    def _isp_get_event_body(self, event_code, values):
        """The chatter text of a notification event (``values`` already formatted)."""
        values = defaultdict(str, values)
        bodies = {
            "invoice_due_7": lambda: self.env._(
                "Reminder: invoice %(invoice)s of %(amount)s is due on %(due_date)s, "
                "in %(days)s days.",
                **values,
            ),
            "invoice_due_3": lambda: self.env._(
                "Reminder: invoice %(invoice)s of %(amount)s is due on %(due_date)s, "
                "in %(days)s days.",
                **values,
            ),
            "invoice_due_1": lambda: self.env._(
                "Reminder: invoice %(invoice)s of %(amount)s is due tomorrow, %(due_date)s.",
                **values,
            ),
            "suspension_notice": lambda: self.env._(
                "Invoice %(invoice)s of %(amount)s is unpaid: the service will be suspended "
                "on %(suspension_date)s unless it is paid.",
                **values,
            ),
            "suspended": lambda: self.env._(
                "The service is suspended for non-payment: %(invoices)s overdue (%(amount)s).",
                **values,
            ),
            "restored": lambda: self.env._("The service is restored: the overdue balance is paid."),
            "payment_received": lambda: self.env._(
                "Payment of %(amount)s received. %(reference)s", **values
            ).strip(),
            "recharged": lambda: self.env._(
                "Recharged with %(amount)s; the service runs until %(expiry)s.", **values
            ),
            # ---- auto-debit mandates
            "mandate_failed": lambda: self.env._(
                "The bKash auto-debit stopped after %(failures)s failed charges: %(error)s",
                **values,
            ),
        }
        if event_code in bodies:
            return bodies[event_code]()
        return self.env._("Notification %(event)s.", event=event_code)

    def _isp_emit_event(self, event_code, values=None):
        """Emit the notification event ``event_code`` for each subscription.

        The seam of subscriber notifications (SMS, e-mail): the notifications addon
        extends this method to route the event through its channels; here it is
        posted as a note on the subscription. Codes: ``invoice_due_7``,
        ``invoice_due_3``, ``invoice_due_1``, ``suspension_notice``, ``suspended``,
        ``restored``, ``payment_received``, ``recharged``.

        :param values: event data (``invoice``, ``amount``, ``due_date``, ``days``...)
        :return: the ``mail.message`` records posted
        """
        messages = self.env["mail.message"]
        formatted = self._isp_format_event_values(dict(values or {}))
        for subscription in self.sudo():
            body = subscription._isp_get_event_body(event_code, formatted)
            messages |= subscription.with_context(isp_event_code=event_code).message_post(
                body=body, subtype_xmlid="mail.mt_note"
            )
        # ---- notifications: the event also goes out through the dispatcher
        self._isp_dispatch_event(event_code, dict(values or {}))
        return messages

    # ------------------------------------------------------------------
    # Counter payments and prepaid recharges
    # ------------------------------------------------------------------
    def _isp_payment_wizard_action(self, res_model, name, **context):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": res_model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_subscription_id": self.id, **context},
        }

    def action_isp_pay_bill(self):
        return self._isp_payment_wizard_action(
            "isp.bill.payment", _("Pay Bill"), default_mode="invoice"
        )

    def action_isp_quick_pay(self):
        return self._isp_payment_wizard_action(
            "isp.bill.payment", _("Quick Pay"), default_mode="quick"
        )

    def action_isp_recharge(self):
        return self._isp_payment_wizard_action("isp.recharge", _("Recharge"))

    # ------------------------------------------------------------------
    # Open invoices
    # ------------------------------------------------------------------
    @api.model
    def _isp_get_open_invoices_domain(self, partner=None, subscriptions=None):
        domain = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        if subscriptions:
            domain.append(("isp_subscription_id", "in", subscriptions.ids))
        if partner:
            domain.append(("commercial_partner_id", "=", partner.commercial_partner_id.id))
        return domain

    @api.model
    def _isp_get_open_invoices(self, partner=None, subscriptions=None):
        """Open posted customer invoices, oldest due date first."""
        return self.env["account.move"].search(
            self._isp_get_open_invoices_domain(partner, subscriptions),
            order="invoice_date_due, invoice_date, id",
        )

    # ------------------------------------------------------------------
    # Prepaid recharge
    # ------------------------------------------------------------------
    @api.model
    def _isp_check_recharge_rights(self):
        if self.env.su:
            return
        user = self.env.user
        if not (
            user.has_group("isp_billing.group_isp_billing")
            or user.has_group("isp_base.group_isp_recharge_agent")
        ):
            raise AccessError(_("Only billing officers and recharge agents may recharge."))

    def _isp_check_rechargeable(self, package, units):
        self.ensure_one()
        if self.billing_profile_id.billing_type != "daily":
            raise UserError(
                _(
                    "%(subscription)s is not billed by validity (daily); pay its invoices "
                    "instead of recharging it.",
                    subscription=self.display_name,
                )
            )
        if self.state == "terminated":
            raise UserError(
                _(
                    "%(subscription)s is terminated; it cannot be recharged.",
                    subscription=self.display_name,
                )
            )
        if not package or not package.is_isp_package:
            raise UserError(_("Choose the ISP package to recharge."))
        if package.isp_validity_days < 1:
            raise UserError(
                _(
                    "The package %(package)s has no validity days; set them on the package.",
                    package=package.display_name,
                )
            )
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise UserError(_("Recharge at least one validity unit, not %(units)s.", units=units))

    def _isp_get_package_unit_price(self, package):
        """The price of one unit of ``package`` on this subscription's bills and recharges
        (before discount and VAT): the package's price; a hook for other prices."""
        self.ensure_one()
        return package.lst_price

    def _isp_get_recharge_total(self, package, units):
        """The price of ``units`` of ``package`` with the discount and VAT (the invoice's)."""
        self.ensure_one()
        price = self._isp_get_package_unit_price(package) * (1 - self.discount_percent / 100.0)
        # Recharge agents have no accounting rights; the taxes are only read here.
        return self.sudo().vat_tax_ids.compute_all(
            price,
            currency=self.company_id.currency_id,
            quantity=units,
            product=package.sudo(),
            partner=self.partner_id.sudo(),
        )["total_included"]

    def _isp_prepare_recharge_invoice_vals(self, package, units):
        self.ensure_one()
        company = self.company_id
        today = self._isp_today()
        days = package.isp_validity_days * units
        vals = {
            "move_type": "out_invoice",
            "company_id": company.id,
            "partner_id": self.partner_id.id,
            "invoice_date": today,
            "invoice_date_due": today,
            "invoice_origin": self.name,
            "isp_subscription_id": self.id,
            "isp_recharge_days": days,
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": package.id,
                        "name": _(
                            "%(package)s: %(units)s x %(validity)s days of validity "
                            "(%(days)s days)",
                            package=package.name,
                            units=units,
                            validity=package.isp_validity_days,
                            days=days,
                        ),
                        "quantity": units,
                        "price_unit": self._isp_get_package_unit_price(package),
                        "discount": self.discount_percent,
                        "tax_ids": [Command.set(self.vat_tax_ids.ids)],
                    }
                )
            ],
        }
        if hasattr(company, "_isp_get_invoice_journal"):
            journal = company._isp_get_invoice_journal()
            if journal:
                vals["journal_id"] = journal.id
        return vals

    def _isp_withdraw_recharges(self, invoices):
        """Take back the validity of recharge ``invoices`` that are no longer paid.

        Called when a recharge payment is reversed: the expiry moves back by the days
        the invoice granted (once per invoice), and a subscription whose expiry is then
        past expires through the lifecycle.
        """
        invoices = invoices.filtered(
            lambda move: (
                move.isp_recharge_days
                and not move.isp_recharge_withdrawn
                and move.isp_subscription_id in self
                and move.payment_state in ("not_paid", "partial")
            )
        )
        now = fields.Datetime.now()
        for subscription in invoices.isp_subscription_id:
            own = invoices.filtered(lambda move, s=subscription: move.isp_subscription_id == s)
            days = sum(own.mapped("isp_recharge_days"))
            own.sudo().write({"isp_recharge_withdrawn": True})
            if not subscription.expiry_at:
                continue
            expiry = subscription.expiry_at - datetime.timedelta(days=days)
            subscription.sudo().write({"expiry_at": expiry})
            if expiry <= now and subscription.state in ("active", "suspended"):
                subscription._change_state(
                    "expire",
                    _("Recharge %(invoices)s reversed", invoices=", ".join(own.mapped("name"))),
                )
        return invoices

    def _isp_change_package_for_recharge(self, package):
        """Switch to ``package`` now, through a package change (audited, hooked)."""
        self.ensure_one()
        self.env["isp.package.change"].sudo().create(
            {
                "subscription_id": self.id,
                "new_package_id": package.id,
                "effective_date": fields.Date.context_today(self),
                "note": _("Recharge"),
            }
        )

    def _isp_bring_online_after_recharge(self):
        """Activate an expired (or new, inactive) subscription, restore a suspended one."""
        self.ensure_one()
        # Rights were checked by the caller: recharge agents recharge without staff rights.
        lifecycle = self.sudo()
        if self.state in ("draft", "inactive", "expired"):
            lifecycle.action_activate()
        elif self.state == "suspended":
            lifecycle.action_restore()

    def _isp_recharge(self, package, units, method, transaction_ref, amount=None):
        """Recharge a daily (prepaid) subscription in one step.

        Creates and posts the invoice (``units`` x the package price, with the
        subscription's discount and VAT), records the payment by ``method`` with
        ``transaction_ref``, reconciles them, extends the expiry by the validity days
        from the later of now and the current expiry, switches to ``package`` and brings
        the subscription online. ``amount`` (default: the invoice total) may not be less
        than the total; more stays as the subscriber's credit. A transaction id already
        recorded for ``method`` is refused before anything is written.

        Returns the paid invoice.
        """
        self.ensure_one()
        self._isp_check_recharge_rights()
        package = package or self.package_id
        self._isp_check_rechargeable(package, units)
        Payment = self.env["account.payment"].sudo()
        reference = Payment._isp_normalize_transaction_ref(transaction_ref)
        Payment._isp_check_transaction(method, reference)
        currency = self.company_id.currency_id
        expected = self._isp_get_recharge_total(package, units)
        if amount is not None and currency.compare_amounts(amount, expected) < 0:
            raise UserError(
                _(
                    "%(amount)s is less than the price of the recharge, %(total)s.",
                    amount=currency.format(amount),
                    total=currency.format(expected),
                )
            )
        # Invoices and payments are written for the agent, who has no accounting rights.
        subscription = self.sudo()
        invoice = (
            self.env["account.move"]
            .sudo()
            .create(subscription._isp_prepare_recharge_invoice_vals(package, units))
        )
        invoice.action_post()
        if amount is None:
            amount = invoice.amount_total
        elif currency.compare_amounts(amount, invoice.amount_total) < 0:
            raise UserError(
                _(
                    "%(amount)s is less than the price of the recharge, %(total)s.",
                    amount=currency.format(amount),
                    total=currency.format(invoice.amount_total),
                )
            )
        payment = Payment._isp_register_counter_payment(
            self.partner_id,
            amount,
            method,
            reference,
            invoices=invoice,
            subscription=subscription,
            memo=_("Recharge %(invoice)s", invoice=invoice.name),
        )
        if package != self.package_id:
            self._isp_change_package_for_recharge(package)
        old_expiry = self.expiry_at
        new_expiry = validity.extend_expiry(
            old_expiry or None, fields.Datetime.now(), package.isp_validity_days * units
        )
        subscription.write({"expiry_at": new_expiry})
        self._isp_bring_online_after_recharge()
        self.env["isp.audit.log"]._log(
            self,
            "other",
            _(
                "Recharged %(package)s x %(units)s by %(method)s (%(reference)s), "
                "paid by %(payment)s",
                package=package.display_name,
                units=units,
                method=Payment._isp_method_label(method),
                reference=reference or "-",
                payment=payment.name,
            ),
            old_values={self.id: fields.Datetime.to_string(old_expiry) if old_expiry else ""},
            new_value=fields.Datetime.to_string(new_expiry),
        )
        subscription._isp_emit_event(
            "recharged",
            {
                "amount": amount,
                "package": package.display_name,
                "units": units,
                "expiry": new_expiry,
                "method": method,
                "transaction_ref": reference,
                "invoice": invoice.name,
            },
        )
        return invoice.with_env(self.env)

    # ---- notifications: template values and the billing events' dispatch
    def _isp_notify_values(self, event_code=None):
        values = super()._isp_notify_values(event_code)
        invoices = self.sudo()._isp_get_open_invoices(subscriptions=self)
        amount_due = sum(invoices.mapped("amount_residual"))
        values.update(amount_due=amount_due, amount=amount_due)
        if invoices:
            first = invoices[0]
            values.update(
                invoice=first.name,
                due_date=first.invoice_date_due,
                pay_link=self._isp_get_pay_link(first),
            )
        return values

    @api.model
    def _isp_get_pay_link(self, invoice):
        """The portal page where the subscriber pays ``invoice`` online."""
        invoice = invoice.sudo()
        return invoice.get_base_url() + invoice.get_portal_url()

    @api.model
    def _isp_get_event_key_values(self):
        """``{event: value names}``: the first value set tells two occurrences apart."""
        return {
            "payment_received": ("payment", "reference"),
            "recharged": ("invoice", "transaction_ref"),
            "invoice_due_7": ("invoice_id", "invoice"),
            "invoice_due_3": ("invoice_id", "invoice"),
            "invoice_due_1": ("invoice_id", "invoice"),
            "suspension_notice": ("invoice_id", "invoice"),
        }

    def _isp_get_event_key(self, event_code, values):
        """What tells two occurrences of ``event_code`` apart (None: always send)."""
        self.ensure_one()
        if event_code in ("suspended", "restored", "expired"):
            # same key as the lifecycle's own event: one status change, one message
            return self._isp_state_event_key(self)
        if event_code == "mandate_failed":
            return f"{values.get('mandate')}:{values.get('failures')}"
        for name in self._isp_get_event_key_values().get(event_code, ("invoice_id",)):
            if values.get(name):
                return str(values[name])
        return None

    def _isp_dispatch_event(self, event_code, values):
        Dispatcher = self.env["isp.notify.dispatcher"]
        for subscription in self.sudo():
            Dispatcher._isp_notify(
                event_code,
                subscriptions=subscription,
                values=values,
                key=subscription._isp_get_event_key(event_code, values),
            )
