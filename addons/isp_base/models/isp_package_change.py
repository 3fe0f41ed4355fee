from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


class IspPackageChange(models.Model):
    """A package change of a subscription, applied on its effective date."""

    _name = "isp.package.change"
    _description = "Scheduled Package Change"
    _inherit = ["mail.thread"]
    _order = "effective_date desc, id desc"

    subscription_id = fields.Many2one(
        "isp.subscription", required=True, ondelete="cascade", index=True, tracking=True
    )
    partner_id = fields.Many2one(related="subscription_id.partner_id", store=True)
    company_id = fields.Many2one(related="subscription_id.company_id", store=True)
    old_package_id = fields.Many2one(
        "product.product",
        string="Current Package",
        compute="_compute_old_package_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    new_package_id = fields.Many2one(
        "product.product",
        required=True,
        domain=[("is_isp_package", "=", True)],
        tracking=True,
    )
    effective_date = fields.Date(
        required=True, default=fields.Date.context_today, tracking=True, index=True
    )
    state = fields.Selection(
        [
            ("scheduled", "Scheduled"),
            ("applied", "Applied"),
            ("cancelled", "Cancelled"),
            ("failed", "Failed"),
        ],
        default="scheduled",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    applied_at = fields.Datetime(readonly=True)
    error = fields.Text(readonly=True)
    note = fields.Char()

    @api.depends("subscription_id")
    def _compute_old_package_id(self):
        for change in self:
            if change.state == "scheduled" or not change.old_package_id:
                change.old_package_id = change.subscription_id.package_id

    @api.constrains("old_package_id", "new_package_id")
    def _check_packages(self):
        for change in self:
            if change.state == "scheduled" and change.old_package_id == change.new_package_id:
                raise ValidationError(_("The new package is the current package."))

    @api.constrains("subscription_id", "state")
    def _check_one_scheduled(self):
        for change in self.filtered(lambda c: c.state == "scheduled"):
            others = change.subscription_id.package_change_ids.filtered(
                lambda c, change=change: c.state == "scheduled" and c != change
            )
            if others:
                raise ValidationError(
                    _(
                        "%s already has a scheduled package change; cancel it first.",
                        change.subscription_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        changes = super().create(vals_list)
        changes.filtered(lambda c: c.effective_date <= fields.Date.context_today(c))._apply()
        return changes

    def action_apply_now(self):
        self.write({"effective_date": fields.Date.context_today(self)})
        self._apply()
        return True

    def action_cancel(self):
        if any(change.state != "scheduled" for change in self):
            raise UserError(_("Only scheduled package changes can be cancelled."))
        self.write({"state": "cancelled"})
        return True

    def _prepare_subscription_vals(self):
        self.ensure_one()
        return {"package_id": self.new_package_id.id}

    def _apply(self):
        """Apply scheduled changes; each one is independent of the others."""
        applied = self.browse()
        for change in self.filtered(lambda c: c.state == "scheduled"):
            subscription = change.subscription_id
            old_package = subscription.package_id
            subscription.write(change._prepare_subscription_vals())
            change.write({"state": "applied", "applied_at": fields.Datetime.now()})
            self.env["isp.audit.log"]._log(
                subscription,
                "package_change",
                _("Package changed"),
                old_values={subscription.id: old_package.display_name},
                new_value=change.new_package_id.display_name,
            )
            subscription._on_package_changed(old_package)
            applied |= change
        return applied

    @api.model
    def _cron_apply_due_changes(self, batch_size=200):
        domain = [
            ("state", "=", "scheduled"),
            ("effective_date", "<=", fields.Date.context_today(self)),
        ]
        total = self.search_count(domain)
        done = 0
        while True:
            batch = self.search(domain, limit=batch_size, order="effective_date, id")
            if not batch:
                break
            for change in batch:
                try:
                    with self.env.cr.savepoint():
                        change._apply()
                except Exception as exc:
                    change.write({"state": "failed", "error": str(exc)})
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=max(total - done, 0))
            self.env.cr.commit()  # pylint: disable=invalid-commit
