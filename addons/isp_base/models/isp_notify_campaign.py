import logging

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..lib import notify_template

_logger = logging.getLogger(__name__)

CAMPAIGN_STATES = [
    ("draft", "Draft"),
    ("scheduled", "Scheduled"),
    ("running", "Running"),
    ("paused", "Paused"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
]
# Campaign messages go after transactional ones (OTP, receipts: priority 0).
CAMPAIGN_PRIORITY = 10
MATERIALISE_BATCH = 500
MATERIALISE_CHANNEL = "root.isp_notify"
# Marks the messages a pause took out of the outbox, so that Resume puts back only them.
PAUSED_ERROR = "campaign paused"


class IspNotifyCampaign(models.Model):
    """Bulk SMS/WhatsApp to a filtered audience of subscribers, or a maintenance notice.

    Starting a campaign materialises its recipients into ``isp.notify.message`` rows, one
    queue_job job per batch (each job one transaction: the messages of the batch and the
    cursor move together). The dedupe key ``campaign:<id>:<partner id>`` makes a re-run
    or a crashed batch harmless; the gateway's drain sends at the provider's rate.
    """

    _name = "isp.notify.campaign"
    _description = "Notification Campaign"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    kind = fields.Selection(
        [("campaign", "Campaign"), ("maintenance", "Maintenance Notice"), ("direct", "Direct")],
        required=True,
        default="campaign",
        help="Direct: the subscriptions selected in the list (Send SMS).",
    )
    channel = fields.Selection(
        [("sms", "SMS"), ("whatsapp", "WhatsApp")], required=True, default="sms", tracking=True
    )
    template_id = fields.Many2one(
        "isp.notify.template",
        ondelete="restrict",
        help="Leave empty to write the text of this campaign below.",
    )
    body_en = fields.Text(string="Text (English)")
    body_bn = fields.Text(
        string="Text (Bangla)", help="Sent to subscribers whose language is Bangla."
    )
    # Audience
    zone_ids = fields.Many2many("isp.zone", string="Zones")
    package_ids = fields.Many2many(
        "product.product", string="Packages", domain=[("is_isp_package", "=", True)]
    )
    include_active = fields.Boolean(string="Active", default=True)
    include_suspended = fields.Boolean(string="Suspended")
    include_expired = fields.Boolean(string="Expired")
    include_inactive = fields.Boolean(string="Inactive")
    expiry_from = fields.Date(string="Expiring From")
    expiry_to = fields.Date(string="Expiring To")
    mobile_only = fields.Boolean(
        string="Only With a Mobile Number",
        default=True,
        help="Subscribers without a valid mobile number are skipped either way; this "
        "keeps them out of the recipient count too.",
    )
    subscription_ids = fields.Many2many(
        "isp.subscription", string="Selected Subscriptions", help="Direct campaigns only."
    )
    recipient_count = fields.Integer(compute="_compute_recipient_count", string="Recipients")
    # Maintenance window
    window_start = fields.Datetime(string="Maintenance Start")
    window_end = fields.Datetime(string="Maintenance End")
    # Schedule and progress
    schedule_mode = fields.Selection(
        [("now", "Immediately"), ("scheduled", "Scheduled")], required=True, default="now"
    )
    scheduled_at = fields.Datetime(string="Send At", tracking=True)
    state = fields.Selection(
        CAMPAIGN_STATES, default="draft", required=True, readonly=True, tracking=True, index=True
    )
    started_at = fields.Datetime(readonly=True, copy=False)
    done_at = fields.Datetime(readonly=True, copy=False)
    cursor_partner_id = fields.Integer(
        readonly=True, copy=False, help="Recipients up to this subscriber id are in the outbox."
    )
    materialised = fields.Boolean(readonly=True, copy=False)
    skipped_count = fields.Integer(
        string="Skipped", readonly=True, copy=False, help="Recipients without a valid number."
    )
    notify_message_ids = fields.One2many(
        "isp.notify.message", "campaign_id", string="Notification Messages"
    )
    total_count = fields.Integer(compute="_compute_progress", string="Total")
    queued_count = fields.Integer(compute="_compute_progress", string="Queued")
    sent_count = fields.Integer(compute="_compute_progress", string="Sent")
    delivered_count = fields.Integer(compute="_compute_progress", string="Delivered")
    failed_count = fields.Integer(compute="_compute_progress", string="Failed")
    progress = fields.Float(compute="_compute_progress")

    # ------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------
    @api.depends(
        "kind",
        "zone_ids",
        "package_ids",
        "include_active",
        "include_suspended",
        "include_expired",
        "include_inactive",
        "expiry_from",
        "expiry_to",
        "mobile_only",
        "subscription_ids",
        "company_id",
    )
    def _compute_recipient_count(self):
        for campaign in self:
            query = campaign._get_audience_query()
            # execute_query flushes what the audience's domain reads.
            campaign.recipient_count = self.env.execute_query(
                SQL("SELECT count(DISTINCT partner_id) FROM (%s) AS audience", query)
            )[0][0]

    def _compute_progress(self):
        counts = {campaign.id: {} for campaign in self}
        if self.ids:
            groups = (
                self.env["isp.notify.message"]
                .sudo()
                ._read_group(
                    [("campaign_id", "in", self.ids)], ["campaign_id", "state"], ["__count"]
                )
            )
            for campaign, state, count in groups:
                counts[campaign.id][state] = count
        for campaign in self:
            by_state = counts.get(campaign.id, {})
            campaign.total_count = sum(
                count for state, count in by_state.items() if state != "cancelled"
            )
            campaign.queued_count = by_state.get("queued", 0) + by_state.get("sending", 0)
            campaign.delivered_count = by_state.get("delivered", 0)
            campaign.sent_count = by_state.get("sent", 0) + campaign.delivered_count
            campaign.failed_count = by_state.get("failed", 0)
            done = campaign.sent_count + campaign.failed_count
            campaign.progress = 100.0 * done / campaign.total_count if campaign.total_count else 0.0

    @api.constrains("template_id", "body_en", "body_bn")
    def _check_text(self):
        for campaign in self:
            if not campaign.template_id and not (campaign.body_en or "").strip():
                raise ValidationError(
                    _("Campaign %(name)s needs a template or an English text.", name=campaign.name)
                )
            for text in (campaign.body_en, campaign.body_bn):
                try:
                    unknown = notify_template.unknown_variables(text or "")
                except notify_template.TemplateSyntaxError as exc:
                    raise ValidationError(str(exc)) from exc
                if unknown:
                    raise ValidationError(
                        _(
                            "Unknown variables in the text of %(name)s: %(variables)s",
                            name=campaign.name,
                            variables=", ".join(f"{{{v}}}" for v in unknown),
                        )
                    )

    @api.constrains("expiry_from", "expiry_to", "window_start", "window_end")
    def _check_windows(self):
        for campaign in self:
            if (
                campaign.expiry_from
                and campaign.expiry_to
                and campaign.expiry_from > campaign.expiry_to
            ):
                raise ValidationError(_("The expiry window ends before it starts."))
            if (
                campaign.window_start
                and campaign.window_end
                and campaign.window_start > campaign.window_end
            ):
                raise ValidationError(_("The maintenance window ends before it starts."))

    @api.onchange("kind")
    def _onchange_kind(self):
        if self.kind == "maintenance" and not self.template_id:
            self.template_id = self._get_maintenance_template()
            self.schedule_mode = "scheduled"

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_start(self):
        """Draft -> scheduled (send later) or running (now)."""
        for campaign in self:
            if campaign.state != "draft":
                raise UserError(_("Only a draft campaign can be started."))
            campaign._check_ready()
            if (
                campaign.schedule_mode == "scheduled"
                and campaign.scheduled_at
                and (campaign.scheduled_at > fields.Datetime.now())
            ):
                campaign.state = "scheduled"
            else:
                campaign._isp_run()
        return True

    def action_pause(self):
        """Stop sending: the queued messages leave the outbox until Resume.

        Messages a drain has already claimed (``sending``) still go out.
        """
        running = self.filtered(lambda c: c.state == "running")
        if running:
            running.state = "paused"
            running._isp_move_messages("queued", "cancelled", PAUSED_ERROR)
        return True

    def action_resume(self):
        paused = self.filtered(lambda c: c.state == "paused")
        for campaign in paused:
            campaign.state = "running"
            campaign._isp_move_messages("cancelled", "queued", None, only_error=PAUSED_ERROR)
            campaign._isp_schedule_drain()
            campaign._isp_schedule_materialise()
        return True

    def action_cancel(self):
        todo = self.filtered(lambda c: c.state not in ("done", "cancelled"))
        if todo:
            todo.state = "cancelled"
            todo._isp_move_messages("queued", "cancelled", _("Campaign cancelled"))
            todo._isp_move_messages(
                "cancelled", "cancelled", _("Campaign cancelled"), only_error=PAUSED_ERROR
            )
        return True

    def _isp_move_messages(self, from_state, to_state, error, only_error=None):
        """Conditional bulk state change of this campaign's messages: a message a drain
        claimed in the meantime (``sending``) is left alone."""
        query = SQL(
            "UPDATE isp_notify_message SET state = %s, error = %s, "
            "write_uid = %s, write_date = now() at time zone 'UTC' "
            "WHERE campaign_id = ANY(%s) AND state = %s",
            to_state,
            error,
            self.env.uid,
            self.ids,
            from_state,
        )
        if only_error:
            query = SQL("%s AND error = %s", query, only_error)
        self.env["isp.notify.message"].flush_model()
        self.env.cr.execute(query)
        self.env["isp.notify.message"].invalidate_model(["state", "error"])
        return self.env.cr.rowcount

    def action_reset_draft(self):
        self.filtered(lambda c: c.state in ("scheduled", "cancelled")).write({"state": "draft"})
        return True

    def action_view_messages(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Messages of %(name)s", name=self.name),
            "res_model": "isp.notify.message",
            "view_mode": "list,form",
            "domain": [("campaign_id", "=", self.id)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------
    def _check_ready(self):
        self.ensure_one()
        if self.kind == "maintenance" and not (self.zone_ids and self.window_start):
            raise UserError(_("A maintenance notice needs the affected zones and its start."))
        if not self._get_gateway():
            raise UserError(_("No active %(channel)s gateway is configured.", channel=self.channel))

    def _get_gateway(self):
        self.ensure_one()
        return self.env["isp.notify.gateway"].sudo()._isp_pick(self.channel, self.company_id)

    @api.model
    def _get_maintenance_template(self):
        return self.env["isp.notify.template"].search(
            [
                ("code", "=", "maintenance_notice"),
                ("company_id", "in", (self.env.company.id, False)),
            ],
            limit=1,
        )

    def _isp_run(self):
        self.write({"state": "running", "started_at": fields.Datetime.now()})
        for campaign in self:
            campaign._isp_schedule_materialise()

    def _isp_schedule_materialise(self):
        self.ensure_one()
        if self.materialised:
            self._isp_check_done()
            return
        self.with_delay(
            channel=MATERIALISE_CHANNEL,
            identity_key=f"isp.notify.campaign:materialise:{self.id}",
            description=_("Campaign %(name)s: queue recipients", name=self.name),
            max_retries=5,
        )._isp_materialise_batch()

    def _isp_schedule_drain(self):
        """Wake the drains of the gateways this campaign's queued messages wait on."""
        groups = (
            self.env["isp.notify.message"]
            .sudo()
            ._read_group(
                [("campaign_id", "in", self.ids), ("state", "=", "queued")], ["gateway_id"]
            )
        )
        gateways = (
            self.env["isp.notify.gateway"]
            .sudo()
            .browse([gateway.id for (gateway,) in groups if gateway])
        )
        self.env["isp.notify.message"].sudo()._isp_schedule_drain(gateways)

    def _isp_materialise_batch(self, batch_size=MATERIALISE_BATCH, chain=True):
        """Queue the next batch of recipients (a queue_job job); chain the next batch.

        The messages and the cursor are written in the job's one transaction: a crash
        loses both, and the dedupe key makes even a stale cursor harmless.
        """
        self.ensure_one()
        self.flush_recordset()
        self.env.cr.execute(
            "SELECT state, cursor_partner_id FROM isp_notify_campaign WHERE id = %s FOR UPDATE",
            (self.id,),
        )
        state, after_partner_id = self.env.cr.fetchone()
        if state != "running" or self.materialised:
            return _("Campaign is %(state)s: nothing to queue.", state=state)
        campaign = self.sudo()
        rows = campaign._get_recipient_rows(after_partner_id or 0, batch_size)
        vals_list, skipped = campaign._prepare_message_vals_list(rows)
        created = self.env["isp.notify.message"].sudo()._isp_enqueue(vals_list) if vals_list else []
        values = {"skipped_count": campaign.skipped_count + skipped}
        if rows:
            values["cursor_partner_id"] = rows[-1][0]
        if len(rows) < batch_size:
            values["materialised"] = True
        campaign.write(values)
        if not values.get("materialised") and chain:
            self._isp_schedule_materialise()
        elif values.get("materialised"):
            campaign._isp_check_done()
        return _(
            "%(created)s messages queued, %(skipped)s skipped.",
            created=len(created),
            skipped=skipped,
        )

    def _isp_check_done(self):
        """Running, fully queued and nothing left in the outbox: done.

        A conditional update; called by every drain, so a campaign row another
        transaction is changing (a Pause) is left for the next drain or the cron.
        """
        campaigns = self.filtered(lambda c: c.state == "running" and c.materialised)
        if not campaigns:
            return
        self.flush_model()
        self.env["isp.notify.message"].flush_model(["campaign_id", "state"])
        query = SQL(
            """UPDATE isp_notify_campaign AS c
                  SET state = 'done', done_at = now() at time zone 'UTC',
                      write_date = now() at time zone 'UTC'
                WHERE c.id = ANY(%s) AND c.state = 'running' AND c.materialised
                  AND NOT EXISTS (SELECT 1 FROM isp_notify_message m
                                   WHERE m.campaign_id = c.id
                                     AND m.state IN ('queued', 'sending'))""",
            campaigns.ids,
        )
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            return
        campaigns.invalidate_recordset(["state", "done_at"])

    @api.model
    def _cron_run_campaigns(self):
        """Start the scheduled campaigns that are due; close the finished ones."""
        due = self.search(
            [("state", "=", "scheduled"), ("scheduled_at", "<=", fields.Datetime.now())]
        )
        for campaign in due:
            try:
                with self.env.cr.savepoint():
                    campaign._isp_run()
            except Exception:
                _logger.exception("Campaign %s could not start", campaign.id)
        self.search([("state", "=", "running"), ("materialised", "=", True)])._isp_check_done()

    # ------------------------------------------------------------------
    # Audience
    # ------------------------------------------------------------------
    def _get_audience_states(self):
        self.ensure_one()
        flags = {
            "active": self.include_active,
            "suspended": self.include_suspended,
            "expired": self.include_expired,
            "inactive": self.include_inactive,
        }
        return [state for state, included in flags.items() if included]

    def _get_audience_domain(self):
        """The subscriptions this campaign addresses (hook)."""
        self.ensure_one()
        Subscription = self.env["isp.subscription"]
        domain = [("company_id", "=", self.company_id.id or self.env.company.id)]
        if self.kind == "direct":
            return domain + [("id", "in", self.subscription_ids.ids)]
        domain.append(("state", "in", self._get_audience_states()))
        if self.zone_ids:
            domain.append(("zone_id", "in", self.zone_ids.ids))
        if self.package_ids:
            domain.append(("package_id", "in", self.package_ids.ids))
        if self.expiry_from:
            domain.append(
                ("expiry_at", ">=", Subscription._date_to_expiry_instant(self.expiry_from))
            )
        if self.expiry_to:
            domain.append(("expiry_at", "<=", Subscription._date_to_expiry_instant(self.expiry_to)))
        return domain

    def _get_audience_query(self):
        """SQL selecting ``partner_id, id`` of the audience's subscriptions."""
        query = self.env["isp.subscription"].sudo()._search(self._get_audience_domain())
        if self.mobile_only:
            # A join, not the ``partner_id IN (subquery)`` a domain on partner_id.mobile
            # makes: the planner handles it well even with stale statistics.
            self.env["res.partner"].flush_model(["mobile"])
            partner = query.make_alias("isp_subscription", "partner_id")
            query.add_join(
                "JOIN",
                partner,
                "res_partner",
                SQL(
                    "%s = %s",
                    SQL.identifier("isp_subscription", "partner_id"),
                    SQL.identifier(partner, "id"),
                ),
            )
            query.add_where(SQL("COALESCE(%s, '') != ''", SQL.identifier(partner, "mobile")))
        return query.select(
            SQL.identifier("isp_subscription", "partner_id"),
            SQL.identifier("isp_subscription", "id"),
        )

    def _get_recipient_rows(self, after_partner_id, limit):
        """``[(partner_id, subscription_id)]``: one subscription per subscriber, by id."""
        self.ensure_one()
        return self.env.execute_query(
            SQL(
                """SELECT DISTINCT ON (audience.partner_id) audience.partner_id, audience.id
                     FROM (%s) AS audience
                    WHERE audience.partner_id > %s
                 ORDER BY audience.partner_id, audience.id
                    LIMIT %s""",
                self._get_audience_query(),
                after_partner_id,
                limit,
            )
        )

    # ------------------------------------------------------------------
    # Messages
    # ------------------------------------------------------------------
    def _get_event_code(self):
        self.ensure_one()
        return "maintenance_notice" if self.kind == "maintenance" else "campaign"

    def _get_extra_values(self, subscription):
        """Values of the campaign itself merged over the subscription's (hook)."""
        self.ensure_one()
        values = {}
        if self.kind == "maintenance":
            values.update(
                start=self.window_start,
                end=self.window_end or "",
                zone=subscription.zone_id.name or "",
            )
        return values

    def _render_body(self, lang, values):
        """The text of this campaign in ``lang`` (Bangla when the subscriber reads it)."""
        self.ensure_one()
        if self.template_id:
            return self.template_id._isp_render(lang, values)[0]
        text = self.body_bn if lang.startswith("bn") and self.body_bn else self.body_en
        return notify_template.render(text or "", values)

    def _prepare_message_vals_list(self, rows):
        """Rendered outbox rows for ``[(partner_id, subscription_id)]``; and the skipped count."""
        self.ensure_one()
        dispatcher = self.env["isp.notify.dispatcher"]
        subscriptions = self.env["isp.subscription"].browse([sub_id for __, sub_id in rows])
        gateway = self._get_gateway()
        event_code = self._get_event_code()
        vals_list = []
        skipped = 0
        for subscription in subscriptions:
            partner = subscription.partner_id
            recipient = dispatcher._isp_get_recipient(partner, self.channel)
            if not recipient:
                skipped += 1
                continue
            lang = dispatcher._isp_get_lang(partner)
            raw = dict(subscription.with_context(lang=lang)._isp_notify_values(event_code))
            raw.update(self._get_extra_values(subscription))
            vals_list.append(
                {
                    "company_id": self.company_id.id,
                    "channel": self.channel,
                    "gateway_id": gateway.id,
                    "template_id": self.template_id.id,
                    "event_code": event_code,
                    "partner_id": partner.id,
                    "subscription_id": subscription.id,
                    "res_model": self._name,
                    "res_id": self.id,
                    "recipient": recipient,
                    "lang": lang,
                    "body": self._render_body(lang, dispatcher._isp_format_values(raw, lang)),
                    "priority": CAMPAIGN_PRIORITY,
                    "dedupe_key": f"campaign:{self.id}:{partner.id}",
                    "campaign_id": self.id,
                }
            )
        return vals_list, skipped
