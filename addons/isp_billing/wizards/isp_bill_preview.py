from datetime import timedelta

from odoo import Command, _, api, fields, models

from ..lib import periods, volume

# How many months ahead of today the preview looks for a month not paid in advance.
MAX_MONTHS_AHEAD = 36


class IspBillPreview(models.TransientModel):
    """The next invoice of a monthly subscription, as the billing run would create it.

    The run's own hook ``isp.billing.run._prepare_invoice_vals`` is called on a run that
    is never saved and its values go into ``account.move.new``: Odoo computes the lines,
    the discount and the VAT exactly as for the real invoice, and nothing is written.
    Data usage billed in arrears is the usage recorded so far.
    """

    _name = "isp.bill.preview"
    _description = "ISP Bill Preview"

    subscription_id = fields.Many2one("isp.subscription", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="subscription_id.partner_id")
    company_id = fields.Many2one(related="subscription_id.company_id")
    currency_id = fields.Many2one(related="subscription_id.company_id.currency_id")
    message = fields.Char(compute="_compute_preview", store=True)
    period_start = fields.Date(string="From", compute="_compute_preview", store=True)
    period_end = fields.Date(string="To", compute="_compute_preview", store=True)
    invoice_date_due = fields.Date(string="Due Date", compute="_compute_preview", store=True)
    line_ids = fields.One2many(
        "isp.bill.preview.line",
        "preview_id",
        string="Invoice Lines",
        compute="_compute_preview",
        store=True,
        readonly=True,
    )
    amount_base = fields.Monetary(string="Package", compute="_compute_preview", store=True)
    amount_discount = fields.Monetary(string="Discount", compute="_compute_preview", store=True)
    amount_overage = fields.Monetary(string="Data Usage", compute="_compute_preview", store=True)
    amount_charges = fields.Monetary(string="Charges", compute="_compute_preview", store=True)
    amount_untaxed = fields.Monetary(string="Untaxed", compute="_compute_preview", store=True)
    amount_tax = fields.Monetary(string="VAT", compute="_compute_preview", store=True)
    amount_total = fields.Monetary(string="Total", compute="_compute_preview", store=True)
    credit_available = fields.Monetary(compute="_compute_preview", store=True)
    credit_applied = fields.Monetary(compute="_compute_preview", store=True)
    amount_due = fields.Monetary(string="To Pay", compute="_compute_preview", store=True)
    usage_mode = fields.Selection(
        [("volume", "Volume (Data Cap)"), ("tiered", "Tiered Slabs")],
        compute="_compute_preview",
        store=True,
    )
    usage_start = fields.Date(compute="_compute_preview", store=True)
    usage_end = fields.Date(compute="_compute_preview", store=True)
    usage_gb = fields.Float(
        string="Data Used (GB)", digits=(16, 2), compute="_compute_preview", store=True
    )
    cap_gb = fields.Float(
        string="Data Cap (GB)", digits=(16, 2), compute="_compute_preview", store=True
    )
    overage_gb = fields.Float(
        string="Billed Data (GB)", digits=(16, 2), compute="_compute_preview", store=True
    )

    @api.depends("subscription_id")
    def _compute_preview(self):
        for preview in self:
            preview.update(preview._get_empty_values())
            subscription = preview.subscription_id
            if not subscription:
                continue
            message = preview._get_unbillable_message(subscription)
            if message:
                preview.message = message
                continue
            preview.update(preview._get_preview_values(subscription))

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    @api.model
    def _get_empty_values(self):
        values = {name: 0.0 for name, field in self._fields.items() if field.type == "monetary"}
        values.update(
            {
                "message": False,
                "period_start": False,
                "period_end": False,
                "invoice_date_due": False,
                "line_ids": [Command.clear()],
                "usage_mode": False,
                "usage_start": False,
                "usage_end": False,
                "usage_gb": 0.0,
                "cap_gb": 0.0,
                "overage_gb": 0.0,
            }
        )
        return values

    @api.model
    def _get_unbillable_message(self, subscription):
        """Why ``subscription`` gets no monthly invoice, or False."""
        profile = subscription.billing_profile_id
        if not subscription.package_id:
            return _("%(subscription)s has no package.", subscription=subscription.display_name)
        if profile.billing_type != "monthly":
            return _(
                "%(subscription)s is not billed monthly (%(profile)s): it gets no monthly invoice.",
                subscription=subscription.display_name,
                profile=profile.display_name or _("no billing profile"),
            )
        return False

    @api.model
    def _get_next_period(self, subscription):
        """The first calendar month, from the current one, that no invoice reaches the end of.

        That is the period the next monthly run bills (months paid in advance are skipped).
        """
        period = periods.monthly_period(subscription._isp_today())
        activation = subscription.activation_date
        if activation and activation > period.end:
            period = periods.monthly_period(activation)
        invoiced = self.env["account.move"].search_read(
            [
                ("isp_subscription_id", "=", subscription.id),
                ("move_type", "=", "out_invoice"),
                ("state", "!=", "cancel"),
                ("isp_period_end", ">=", period.end),
            ],
            ["isp_period_start", "isp_period_end"],
        )
        for _month in range(MAX_MONTHS_AHEAD):
            covered = any(
                row["isp_period_start"]
                and row["isp_period_start"] <= period.end <= row["isp_period_end"]
                for row in invoiced
            )
            if not covered:
                break
            period = periods.monthly_period(period.end + timedelta(days=1))
        return period

    def _prepare_billing_run_vals(self, subscription, period):
        return {
            "company_id": subscription.company_id.id,
            "period_year": period.start.year,
            "period_month": str(period.start.month),
            "subscription_id": subscription.id,
        }

    def _get_invoice_vals(self, subscription, period):
        """The values the billing run would create the invoice with (nothing is saved)."""
        run = self.env["isp.billing.run"].new(self._prepare_billing_run_vals(subscription, period))
        vals = run._prepare_invoice_vals(subscription, run._get_period())
        vals.pop("isp_billing_run_id", None)
        return vals

    def _get_usage_values(self, subscription, period):
        """Usage billed on the invoice of ``period`` (the month before it, so far)."""
        profile = subscription.billing_profile_id
        if profile.billing_mode not in ("volume", "tiered"):
            return {}
        Run = self.env["isp.billing.run"]
        usage_period = Run._get_usage_period(period)
        used_bytes = int(Run._get_usage_bytes(subscription, period).get(subscription.id) or 0)
        rounding = str(self.currency_id.rounding)
        values = {
            "usage_mode": profile.billing_mode,
            "usage_start": usage_period.start,
            "usage_end": usage_period.end,
        }
        if profile.billing_mode == "volume":
            cap = str(profile.cap_gb) if profile.cap_gb else None
            charge = volume.volume_charge(used_bytes, cap, str(profile.rate_per_gb), rounding)
            values.update(
                usage_gb=float(charge.used_gb),
                cap_gb=float(charge.cap_gb or 0),
                overage_gb=float(charge.overage_gb),
                amount_overage=float(charge.amount),
            )
        else:
            charge = volume.tiered_charge(used_bytes, profile._get_slabs(), rounding)
            values.update(
                usage_gb=float(charge.used_gb),
                overage_gb=float(charge.billed_gb),
                amount_overage=float(charge.amount),
            )
        return values

    @api.model
    def _get_credit_available(self, subscription):
        """Open credit of the subscriber (unreconciled payments and credit notes)."""
        partner = subscription.partner_id.commercial_partner_id
        groups = self.env["account.move.line"]._read_group(
            [
                ("partner_id", "child_of", partner.id),
                ("company_id", "=", subscription.company_id.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
            ],
            [],
            ["amount_residual:sum"],
        )
        return -(groups[0][0] or 0.0) if groups else 0.0

    def _get_preview_values(self, subscription):
        self.ensure_one()
        period = self._get_next_period(subscription)
        vals = self._get_invoice_vals(subscription, period)
        move = (
            self.env["account.move"]
            .with_company(subscription.company_id)
            .with_context(default_move_type="out_invoice")
            .new(vals)
        )
        totals = move.tax_totals
        currency = self.currency_id
        lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        package_lines = lines.filtered(lambda line: line.product_id == subscription.package_id)
        base = sum(line.price_unit * line.quantity for line in package_lines)
        values = {
            "period_start": vals["isp_period_start"],
            "period_end": vals["isp_period_end"],
            "invoice_date_due": vals.get("invoice_date_due"),
            "line_ids": [Command.clear()]
            + [
                Command.create(
                    {
                        "sequence": index,
                        "name": line.name,
                        "quantity": line.quantity,
                        "price_unit": line.price_unit,
                        "discount": line.discount,
                        "amount_untaxed": line.price_subtotal,
                        "amount_total": line.price_total,
                    }
                )
                for index, line in enumerate(lines)
            ],
            "amount_base": currency.round(base),
            "amount_discount": currency.round(base - sum(package_lines.mapped("price_subtotal"))),
            "amount_untaxed": totals["base_amount_currency"],
            "amount_tax": totals["tax_amount_currency"],
            "amount_total": totals["total_amount_currency"],
        }
        values.update(self._get_usage_values(subscription, period))
        values["amount_charges"] = currency.round(
            values["amount_untaxed"]
            - sum(package_lines.mapped("price_subtotal"))
            - values.get("amount_overage", 0.0)
        )
        credit = currency.round(self._get_credit_available(subscription))
        applied = min(credit, values["amount_total"])
        values.update(
            credit_available=credit,
            credit_applied=applied,
            amount_due=currency.round(values["amount_total"] - applied),
        )
        return values
