from odoo import _, api, fields, models
from odoo.exceptions import UserError

BULK_ACTIONS = [
    ("activate", "Activate"),
    ("suspend", "Suspend"),
    ("restore", "Restore"),
    ("expire", "Expire"),
    ("deactivate", "Deactivate"),
    ("terminate", "Terminate"),
    ("archive", "Archive"),
]
ARCHIVABLE_STATES = ("draft", "inactive", "expired", "terminated")


class IspSubscriptionBulkAction(models.TransientModel):
    """Apply one action to many subscriptions, batch by batch.

    A batch is tried in one savepoint; when it fails, its records are retried one
    by one so that a single bad record is reported and the others proceed.
    """

    _name = "isp.subscription.bulk.action"
    _description = "Subscription Bulk Action"

    subscription_ids = fields.Many2many("isp.subscription", string="Subscriptions")
    action = fields.Selection(BULK_ACTIONS, required=True, default="suspend")
    reason = fields.Char()
    batch_size = fields.Integer(default=200)
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    line_ids = fields.One2many(
        "isp.subscription.bulk.action.line", "wizard_id", string="Results", readonly=True
    )
    count_total = fields.Integer(compute="_compute_counts")
    count_done = fields.Integer(compute="_compute_counts")
    count_failed = fields.Integer(compute="_compute_counts")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "isp.subscription":
            values["subscription_ids"] = [
                fields.Command.set(self.env.context.get("active_ids") or [])
            ]
        return values

    @api.depends("subscription_ids", "line_ids.result")
    def _compute_counts(self):
        for wizard in self:
            wizard.count_total = len(wizard.subscription_ids)
            wizard.count_done = len(wizard.line_ids.filtered(lambda line: line.result == "done"))
            wizard.count_failed = len(
                wizard.line_ids.filtered(lambda line: line.result == "failed")
            )

    def _apply_to(self, subscriptions):
        """Apply the wizard's action to ``subscriptions``; raises on the first failure."""
        if self.action == "archive":
            blocking = subscriptions.filtered(lambda s: s.state not in ARCHIVABLE_STATES)
            if blocking:
                raise UserError(
                    _(
                        "%s is still in service: deactivate or terminate it before archiving.",
                        blocking[0].display_name,
                    )
                )
            subscriptions.write({"active": False})
        elif self.action == "restore":
            subscriptions.action_restore()
        elif self.action == "activate":
            subscriptions.action_activate()
        else:
            getattr(subscriptions, f"action_{self.action}")(self.reason or None)

    def action_apply(self):
        self.ensure_one()
        if not self.subscription_ids:
            raise UserError(_("Select at least one subscription."))
        subscriptions = self.subscription_ids
        failures = subscriptions._isp_apply_resiliently(self._apply_to, self.batch_size)
        line_vals = [
            {
                "wizard_id": self.id,
                "subscription_id": subscription.id,
                "result": "failed" if subscription in failures else "done",
                "message": failures.get(subscription, False),
            }
            for subscription in subscriptions
        ]
        self.env["isp.subscription.bulk.action.line"].create(line_vals)
        done = subscriptions.browse(
            [vals["subscription_id"] for vals in line_vals if vals["result"] == "done"]
        )
        labels = dict(self._fields["action"]._description_selection(self.env))
        self.env["isp.audit.log"]._log(
            done.with_context(active_test=False),
            "bulk_action",
            _(
                "Bulk %(action)s of %(count)s subscriptions: %(reason)s",
                action=labels[self.action],
                count=len(subscriptions),
                reason=self.reason or "-",
            ),
            new_value=self.action,
        )
        self.state = "done"
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
