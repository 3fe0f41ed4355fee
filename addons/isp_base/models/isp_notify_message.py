import collections
import logging
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import psycopg2
import requests

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tools import SQL, plaintext2html

from ..lib.notify_backoff import (
    MAX_ATTEMPTS,
    TokenBucket,
    backoff_seconds,
    throttle_retry_seconds,
)
from ..lib.notify_clients import NotifyResult
from ..lib.sms_text import sms_segments

_logger = logging.getLogger(__name__)

DRAIN_CHANNEL = "root.isp_notify"
DRAIN_LOCK_KEY = 4_517_008  # pg advisory lock namespace: one drain per gateway
ENQUEUE_LOCK_KEY = 4_517_009  # namespace of the dedupe-key buckets
DEDUPE_BUCKETS = 512
CLAIM_BATCH = 200  # messages claimed (and committed as `sending`) at a time
RESULT_BATCH = 50  # results written (and committed) at a time
DRAIN_WORKERS = 4  # requests in flight at once per drain
CLAIM_AHEAD = 50  # the next batch is claimed when this few of the current one are left
CLAIM_IDLE_SECONDS = 0.2  # pause between claims that found nothing due
BURST_SECONDS = 0.05  # the bucket holds this many seconds of tokens (a late thread catches up)
THROTTLE_WAIT_SECONDS = 5  # a drain waits this long at most for throttled messages
BATCH_PROVIDERS = ("odoo_mail", "odoo_sms")  # handed to Odoo's own queues, batch by batch
DRAIN_TIME_BUDGET = 240  # seconds; a longer drain hands over to a fresh job
STALE_GRACE_MINUTES = 10
OUTCOME_UNKNOWN = "Outcome unknown: the sending was interrupted"


class IspNotifyMessage(models.Model):
    """The outbox and the delivery log of every notification (one row per recipient)."""

    _name = "isp.notify.message"
    _description = "Notification Message"
    _order = "id desc"
    _rec_name = "recipient"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    channel = fields.Selection(
        [("sms", "SMS"), ("whatsapp", "WhatsApp"), ("telegram", "Telegram"), ("email", "E-mail")],
        required=True,
        index=True,
    )
    gateway_id = fields.Many2one("isp.notify.gateway", index=True, ondelete="restrict")
    template_id = fields.Many2one("isp.notify.template", index=True, ondelete="set null")
    event_code = fields.Char(index=True)
    partner_id = fields.Many2one("res.partner", index=True, ondelete="set null")
    subscription_id = fields.Many2one("isp.subscription", index=True, ondelete="set null")
    res_model = fields.Char(string="Source Model")
    res_id = fields.Many2oneReference(string="Source Record", model_field="res_model")
    recipient = fields.Char(required=True, help="E.164 phone, Telegram chat id or e-mail.")
    lang = fields.Char(string="Language")
    subject = fields.Char()
    body = fields.Text()
    payload = fields.Json(
        help="Provider extras, e.g. {'whatsapp_params': [...]} for an approved template."
    )
    encoding = fields.Selection([("gsm7", "GSM-7"), ("ucs2", "UCS-2 (Unicode)")])
    segments = fields.Integer(default=1)
    cost = fields.Monetary(currency_field="currency_id")
    priority = fields.Integer(default=10, index=True, help="0: transactional (OTP); lower first.")
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("sending", "Sending"),
            ("sent", "Sent"),
            ("delivered", "Delivered"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="queued",
        required=True,
        index=True,
        readonly=True,
    )
    attempts = fields.Integer(default=0, readonly=True)
    next_attempt_at = fields.Datetime(index=True, readonly=True)
    sending_at = fields.Datetime(readonly=True, help="When the last try started.")
    sent_at = fields.Datetime(readonly=True)
    delivered_at = fields.Datetime(readonly=True)
    provider_message_id = fields.Char(index=True, readonly=True)
    error = fields.Char(readonly=True, help="The provider's reason of the failure.")
    dedupe_key = fields.Char(readonly=True, copy=False)
    mail_mail_id = fields.Many2one("mail.mail", string="E-mail", readonly=True, ondelete="set null")
    # ---- campaigns
    campaign_id = fields.Many2one(
        "isp.notify.campaign", index=True, ondelete="set null", readonly=True
    )

    _sql_constraints = [
        (
            "dedupe_key_uniq",
            "unique(dedupe_key)",
            "A notification with this deduplication key exists already.",
        ),
    ]

    # ------------------------------------------------------------------ actions
    def action_retry(self):
        self.check_access("write")
        messages = self.filtered(lambda m: m.state in ("failed", "queued", "cancelled"))
        if not messages:
            raise UserError(_("Only failed, queued or cancelled messages can be retried."))
        self.env.cr.execute(
            SQL(
                "UPDATE isp_notify_message SET state = 'queued', next_attempt_at = NULL, "
                "attempts = 0, error = NULL, write_uid = %s, write_date = now() at time zone 'UTC' "
                "WHERE id = ANY(%s) AND state IN ('failed', 'queued', 'cancelled')",
                self.env.uid,
                messages.ids,
            )
        )
        self.invalidate_recordset()
        self._isp_schedule_drain(messages.gateway_id)
        return True

    def action_cancel(self):
        self.check_access("write")
        messages = self.filtered(lambda m: m.state in ("queued", "failed"))
        if not messages:
            raise UserError(_("Only queued or failed messages can be cancelled."))
        # Conditional: a message a drain has just claimed is not cancelled under its feet.
        self.env.cr.execute(
            SQL(
                "UPDATE isp_notify_message SET state = 'cancelled', write_uid = %s, "
                "write_date = now() at time zone 'UTC' "
                "WHERE id = ANY(%s) AND state IN ('queued', 'failed')",
                self.env.uid,
                messages.ids,
            )
        )
        self.invalidate_recordset()
        return True

    # ------------------------------------------------------------------ enqueue
    @api.model
    def _isp_prepare_message_vals(self, vals, gateways, cache=None):
        """Complete one message's values: gateway, channel, encoding, segments, cost."""
        vals = dict(vals)
        company_id = vals.get("company_id") or self.env.company.id
        vals["company_id"] = company_id
        gateway = gateways.browse(vals.get("gateway_id") or [])
        if not gateway and vals.get("channel"):
            key = (vals["channel"], company_id)
            if cache is None or key not in cache:
                picked = gateways._isp_pick(
                    vals["channel"], self.env["res.company"].browse(company_id)
                )
                if cache is None:
                    cache = {}
                cache[key] = picked
            gateway = cache[key]
        if gateway:
            vals["gateway_id"] = gateway.id
            vals.setdefault("channel", gateway.channel)
        channel = vals.get("channel")
        if channel == "sms":
            seg = sms_segments(vals.get("body") or "")
            vals.update(encoding=seg.encoding, segments=max(seg.segments, 1))
        else:
            vals.setdefault("segments", 1)
        vals["cost"] = (gateway.cost_per_segment or 0.0) * vals["segments"] if gateway else 0.0
        if not gateway:
            vals.update(state="failed", error=_("No active %(channel)s gateway.", channel=channel))
        return vals

    @api.model
    def _isp_lock_dedupe_keys(self, keys):
        """Serialise enqueuers of the same keys (bucketed advisory locks, sorted: no deadlock)."""
        buckets = sorted({zlib.crc32(key.encode()) % DEDUPE_BUCKETS for key in keys})
        if buckets:
            self.env.cr.execute(
                SQL(
                    "SELECT pg_advisory_xact_lock(%s, b) FROM "
                    "(SELECT b FROM unnest(%s::int[]) AS b ORDER BY b) AS s",
                    ENQUEUE_LOCK_KEY,
                    buckets,
                )
            )

    @api.model
    def _isp_enqueue(self, vals_list):
        """Create the messages whose ``dedupe_key`` is new and schedule their gateways' drains.

        Never sends in the caller's transaction. Returns the created messages.
        """
        seen = set()
        unique_vals = []
        for vals in vals_list:
            key = vals.get("dedupe_key")
            if key:
                if key in seen:
                    continue
                seen.add(key)
            unique_vals.append(vals)
        if seen:
            self._isp_lock_dedupe_keys(seen)
            self.flush_model(["dedupe_key"])
            self.env.cr.execute(
                SQL(
                    "SELECT dedupe_key FROM isp_notify_message WHERE dedupe_key = ANY(%s)",
                    list(seen),
                )
            )
            existing = {row[0] for row in self.env.cr.fetchall()}
            unique_vals = [v for v in unique_vals if v.get("dedupe_key") not in existing]
        if not unique_vals:
            return self.browse()
        gateways = self.env["isp.notify.gateway"].sudo()
        cache = {}  # (channel, company) -> gateway: one search per campaign, not per message
        prepared = [self._isp_prepare_message_vals(v, gateways, cache) for v in unique_vals]
        messages = self._isp_create_deduplicated(prepared)
        queued = messages.filtered(lambda m: m.state == "queued")
        self._isp_schedule_drain(queued.gateway_id)
        self._isp_schedule_drain_after_commit(queued.gateway_id)
        return messages.with_env(self.env)

    @api.model
    def _isp_create_deduplicated(self, vals_list):
        """Create the messages; a key another transaction committed meanwhile is skipped.

        The advisory locks serialise enqueuers, but a caller's REPEATABLE READ snapshot
        may predate the other's commit: the unique index then refuses the row, and the
        batch is redone row by row, each in a savepoint, skipping the duplicates.
        """
        Message = self.sudo()
        try:
            with self.env.cr.savepoint():
                return Message.create(vals_list)
        except psycopg2.errors.UniqueViolation:
            _logger.info("Concurrent enqueue of the same notification: skipping duplicates")
        self.env.invalidate_all()
        messages = Message.browse()
        for vals in vals_list:
            try:
                with self.env.cr.savepoint():
                    messages |= Message.create(vals)
            except psycopg2.errors.UniqueViolation:
                continue
        return messages

    @api.model
    def _isp_schedule_drain(self, gateways, eta=None, priority=None):
        """One pending drain job per gateway (queue_job identity key)."""
        for gateway in gateways:
            self.with_delay(
                channel=DRAIN_CHANNEL,
                identity_key=f"isp.notify.drain:{gateway.id}",
                description=_("Send notifications through %(gateway)s", gateway=gateway.name),
                max_retries=0,
                eta=eta,
                priority=priority,
            )._isp_drain(gateway.id)

    def _isp_schedule_drain_after_commit(self, gateways):
        """Ask again for a drain once the caller's transaction is committed.

        The drain scheduled with the messages is skipped when one is already pending for
        the gateway; if that one claimed its batch before these messages were committed,
        they would wait for the safety cron. Asked again after the commit, a pending drain
        is sure to see them, and a drain already running gets a successor.
        """
        if not gateways:
            return
        cr = self.env.cr
        pending = cr.postcommit.data.setdefault("isp_notify_drain_gateways", set())
        if not pending:
            dbname = cr.dbname

            @cr.postcommit.add
            def schedule_drains():
                with Registry(dbname).cursor() as new_cr:
                    env = api.Environment(new_cr, SUPERUSER_ID, {})
                    ids = list(cr.postcommit.data.pop("isp_notify_drain_gateways", ()))
                    gateways = env["isp.notify.gateway"].browse(ids).exists()
                    env["isp.notify.message"]._isp_schedule_drain(gateways)

        pending.update(gateways.ids)

    # ------------------------------------------------------------------ drain
    @contextmanager
    def _isp_new_env(self):
        """An environment on a cursor of its own, committed when the block ends."""
        with self.env.registry.cursor() as cr:
            yield self.env(cr=cr, su=True)

    @api.model
    def _isp_drain(self, gateway_id, time_budget=DRAIN_TIME_BUDGET):
        """Send the due queued messages of one gateway (a queue_job job).

        Claims a batch (``FOR UPDATE SKIP LOCKED``), marks it ``sending`` and commits
        before any provider call, sends at the gateway's rate, writes the results in small
        committed batches. Each commit happens in a cursor of its own: the job's own
        transaction only holds the per-gateway lock.
        """
        gateway = self.env["isp.notify.gateway"].sudo().browse(gateway_id).exists()
        if not gateway or not gateway.active:
            return _("Gateway %(gateway)s is gone or archived.", gateway=gateway_id)
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", (DRAIN_LOCK_KEY, gateway.id)
        )
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(
                _("Another drain of %(gateway)s is running.", gateway=gateway.name),
                seconds=5,
                ignore_retry=True,
            )
        started = time.monotonic()
        totals = {"sent": 0, "failed": 0, "retry": 0}
        rate = gateway.rate_per_second
        bucket = TokenBucket(rate, capacity=max(1.0, (rate or 0) * BURST_SECONDS))
        with requests.Session() as session:
            client = gateway._isp_get_client(session=session)
            if gateway.provider in BATCH_PROVIDERS:
                while time.monotonic() - started < time_budget:
                    rows = self._isp_claim(gateway.id)
                    if not rows:
                        break
                    self._isp_send_rows(gateway, client, bucket, rows, totals)
            else:
                self._isp_send_pipelined(gateway, client, bucket, started + time_budget, totals)
        self.invalidate_model()
        self._isp_schedule_next_drain(gateway)
        self._isp_close_campaigns()
        return _(
            "%(sent)s sent, %(failed)s failed, %(retry)s to retry.",
            sent=totals["sent"],
            failed=totals["failed"],
            retry=totals["retry"],
        )

    @api.model
    def _isp_close_campaigns(self):
        """Mark done the running campaigns whose part of the outbox a drain emptied.

        The results were committed by cursors of their own: look with a fresh one (the
        job's own snapshot predates them).
        """
        with self._isp_new_env() as env:
            env["isp.notify.campaign"].search(
                [("state", "=", "running"), ("materialised", "=", True)]
            )._isp_check_done()

    @api.model
    def _isp_claim(self, gateway_id, limit=CLAIM_BATCH):
        """Mark up to ``limit`` due messages ``sending`` and commit; returns their rows.

        Due against ``clock_timestamp()``, not the transaction's start: a throttled
        message comes back a second later, within the same drain.
        """
        with self._isp_new_env() as env:
            env.cr.execute(
                SQL(
                    """
                    UPDATE isp_notify_message AS m
                       SET state = 'sending', attempts = COALESCE(m.attempts, 0) + 1,
                           sending_at = now() at time zone 'UTC',
                           write_date = now() at time zone 'UTC'
                      FROM (SELECT id FROM isp_notify_message
                             WHERE gateway_id = %s AND state = 'queued'
                               AND (next_attempt_at IS NULL
                                    OR next_attempt_at <= clock_timestamp() at time zone 'UTC')
                             ORDER BY priority, id
                             LIMIT %s
                               FOR UPDATE SKIP LOCKED) AS c
                     WHERE m.id = c.id
                 RETURNING m.id, m.priority, m.recipient, m.subject, m.body, m.lang,
                           m.attempts, m.template_id, m.payload, m.partner_id
                    """,
                    gateway_id,
                    limit,
                )
            )
            cols = [d[0] for d in env.cr.description]
            rows = [dict(zip(cols, row, strict=True)) for row in env.cr.fetchall()]
        rows.sort(key=lambda r: (r["priority"], r["id"]))
        return rows

    @api.model
    def _isp_reference(self, message_id):
        """Our reference of a message at the provider (SSL Wireless ``csms_id``)."""
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return f"isp{uuid[:8]}{message_id}"

    @api.model
    def _isp_send_rows(self, gateway, client, bucket, rows, totals):
        if gateway.provider == "odoo_mail":
            return self._isp_send_emails(gateway, rows, totals)
        if gateway.provider == "odoo_sms":
            return self._isp_send_odoo_sms(gateway, rows, totals)
        return self._isp_send_pipelined(gateway, client, bucket, None, totals, rows=rows)

    @api.model
    def _isp_send_one(self, client, bucket, row, reference, kwargs):
        """One provider call, paced by ``bucket``; (row, result), never raises."""
        bucket.acquire()
        try:
            result = client.send(row["recipient"], row["body"] or "", reference, **kwargs)
        except Exception as exc:
            _logger.warning("Notification %s could not be sent: %r", row["id"], exc)
            result = NotifyResult.failure(f"{type(exc).__name__}: {exc}")
        if result.ok:
            bucket.succeeded()
        elif result.throttled:
            bucket.throttled(min(result.retry_after or 0, 60))
        elif result.transient and result.retry_after:
            bucket.penalize(min(result.retry_after, 60))
        return row, result

    @api.model
    def _isp_send_pipelined(self, gateway, client, bucket, deadline, totals, rows=None):
        """Send through an HTTP client with a few requests in flight, until nothing is due.

        ``DRAIN_WORKERS`` threads share the session's keep-alive connections and the token
        bucket: the provider's rate bounds the drain, not the round trips. The next batch
        is claimed while the current one is still going out, results are written every
        ``RESULT_BATCH`` in order. Throttled messages come back within seconds: the drain
        waits for them while the provider still accepts some (a success within the last
        ``THROTTLE_WAIT_SECONDS``), rather than ending and scheduling a job.
        With ``rows`` (already claimed), sends just those.
        """
        deadline = float("inf") if deadline is None else deadline
        prefix = self._isp_reference("")
        in_flight = collections.deque()
        done = []
        next_claim_at = 0.0 if rows is None else float("inf")
        last_success = None  # monotonic time of the last message the provider accepted

        def submit(executor, batch):
            wa_templates = self._isp_whatsapp_templates(gateway, batch)
            for row in batch:
                kwargs = self._isp_send_kwargs(gateway, row, wa_templates)
                in_flight.append(
                    executor.submit(
                        self._isp_send_one, client, bucket, row, prefix + str(row["id"]), kwargs
                    )
                )

        with ThreadPoolExecutor(max_workers=DRAIN_WORKERS) as executor:
            if rows:
                submit(executor, rows)
            while True:
                now = time.monotonic()
                claimed_empty = None
                if len(in_flight) <= CLAIM_AHEAD and now >= next_claim_at and now < deadline:
                    batch = self._isp_claim(gateway.id)
                    claimed_empty = not batch
                    if batch:
                        submit(executor, batch)
                    else:
                        next_claim_at = now + CLAIM_IDLE_SECONDS
                if in_flight:
                    row, result = in_flight.popleft().result()
                    done.append((row, result))
                    if not result.throttled:
                        last_success = time.monotonic()
                    if len(done) >= RESULT_BATCH:
                        self._isp_record_results(done, totals)
                        done = []
                    continue
                if done:
                    self._isp_record_results(done, totals)
                    done = []
                if rows is not None or time.monotonic() >= deadline:
                    break
                if not claimed_empty:
                    next_claim_at = 0.0  # nothing in flight: claim now
                    continue
                wait = self._isp_next_due_in(gateway.id)
                if (
                    last_success is None
                    or wait is None
                    or time.monotonic() + wait - last_success > THROTTLE_WAIT_SECONDS
                ):
                    break
                time.sleep(max(wait, 0.05))
                next_claim_at = 0.0

    @api.model
    def _isp_next_due_in(self, gateway_id):
        """Seconds until the gateway's next queued message is due (None: none queued)."""
        with self._isp_new_env() as env:
            env.cr.execute(
                SQL(
                    "SELECT EXTRACT(EPOCH FROM min(COALESCE(next_attempt_at, c.now)) - c.now) "
                    "FROM isp_notify_message, "
                    "(SELECT clock_timestamp() at time zone 'UTC' AS now) AS c "
                    "WHERE gateway_id = %s AND state = 'queued' GROUP BY c.now",
                    gateway_id,
                )
            )
            row = env.cr.fetchone()  # no row: nothing queued
        return None if not row or row[0] is None else max(float(row[0]), 0.0)

    @api.model
    def _isp_whatsapp_templates(self, gateway, rows):
        """{template id: (approved template name,)}: the parameters come in the payload."""
        if gateway.provider != "whatsapp_cloud":
            return {}
        template_ids = {row["template_id"] for row in rows if row["template_id"]}
        Template = self.env["isp.notify.template"].sudo()
        if not template_ids or "whatsapp_template_name" not in Template._fields:
            return {}
        return {
            t.id: (t.whatsapp_template_name,)
            for t in Template.browse(template_ids)
            if t.whatsapp_template_name
        }

    @api.model
    def _isp_send_kwargs(self, gateway, row, wa_templates):
        """Provider extras of one message (WhatsApp: approved template and parameters)."""
        if gateway.provider != "whatsapp_cloud":
            return {}
        payload = row["payload"] or {}
        template = wa_templates.get(row["template_id"])
        name = payload.get("whatsapp_template") or (template and template[0])
        if not name:
            return {}
        return {
            "template_name": name,
            "lang": "bn" if (row["lang"] or "").startswith("bn") else "en",
            "params": payload.get("whatsapp_params") or [],
        }

    @api.model
    def _isp_result_values(self, row, result):
        """(state, provider id, error, next attempt) of one send result."""
        if result.ok:
            return "sent", result.message_id, None, None
        if result.throttled:  # the provider's rate limit: soon again, not a failed attempt
            pause = throttle_retry_seconds(result.retry_after)
            return "queued", None, result.error, fields.Datetime.now() + timedelta(seconds=pause)
        if result.transient and row["attempts"] < MAX_ATTEMPTS:
            pause = backoff_seconds(row["attempts"], retry_after=result.retry_after)
            return "queued", None, result.error, fields.Datetime.now() + timedelta(seconds=pause)
        if result.transient:
            error = _(
                "Gave up after %(attempts)s tries: %(error)s",
                attempts=row["attempts"],
                error=result.error,
            )
            return "failed", None, error, None
        return "failed", None, result.error, None

    @api.model
    def _isp_record_results(self, pairs, totals):
        """Write a batch of send results and commit (only messages still ``sending``)."""
        ids, states, pmids, errors, next_ats, undos = [], [], [], [], [], []
        for row, result in pairs:
            state, pmid, error, next_at = self._isp_result_values(row, result)
            # A throttled try gives its attempt back (the claim counted it).
            undos.append(1 if not result.ok and result.throttled else 0)
            ids.append(row["id"])
            states.append(state)
            pmids.append(pmid)
            errors.append((error or "")[:1000] or None)
            next_ats.append(next_at)
            totals[{"sent": "sent", "failed": "failed", "queued": "retry"}[state]] += 1
        with self._isp_new_env() as env:
            env.cr.execute(
                SQL(
                    """
                    UPDATE isp_notify_message AS m
                       SET state = v.state,
                           attempts = GREATEST(COALESCE(m.attempts, 0) - v.undo, 0),
                           provider_message_id = COALESCE(v.pmid, m.provider_message_id),
                           error = v.error,
                           next_attempt_at = v.next_at,
                           sent_at = CASE WHEN v.state = 'sent'
                                          THEN now() at time zone 'UTC' ELSE m.sent_at END,
                           write_date = now() at time zone 'UTC'
                      FROM unnest(%s::int[], %s::varchar[], %s::varchar[], %s::varchar[],
                                  %s::timestamp[], %s::int[])
                           AS v(id, state, pmid, error, next_at, undo)
                     WHERE m.id = v.id AND m.state = 'sending'
                    """,
                    ids,
                    states,
                    pmids,
                    errors,
                    next_ats,
                    undos,
                )
            )

    @api.model
    def _isp_schedule_next_drain(self, gateway):
        """Queued messages left (a retry later, or the time budget ran out): drain again."""
        # A fresh cursor: the job's own transaction still sees the messages as queued.
        with self._isp_new_env() as env:
            env.cr.execute(
                SQL(
                    "SELECT min(COALESCE(next_attempt_at, now() at time zone 'UTC')) "
                    "FROM isp_notify_message WHERE gateway_id = %s AND state = 'queued'",
                    gateway.id,
                )
            )
            next_at = env.cr.fetchone()[0]
        if next_at:
            self._isp_schedule_drain(gateway, eta=max(next_at, fields.Datetime.now()))

    # ------------------------------------------------------------------ e-mail, Odoo SMS
    @api.model
    def _isp_send_emails(self, gateway, rows, totals):
        """E-mail through Odoo's mail: one mail.mail a message, its state mirrored."""
        with self._isp_new_env() as env:
            mails = env["mail.mail"].create(
                [
                    {
                        "email_to": row["recipient"],
                        "subject": row["subject"] or "",
                        "body_html": plaintext2html(row["body"] or ""),
                        "auto_delete": False,
                        "recipient_ids": [],
                    }
                    for row in rows
                ]
            )
            for row, mail in zip(rows, mails, strict=True):
                env.cr.execute(
                    SQL(
                        "UPDATE isp_notify_message SET mail_mail_id = %s WHERE id = %s",
                        mail.id,
                        row["id"],
                    )
                )
        with self._isp_new_env() as env:
            mails = env["mail.mail"].browse(mails.ids)
            mails.send(raise_exception=False)
            pairs = []
            for row, mail in zip(rows, mails, strict=True):
                if mail.state == "sent" or not mail.exists():
                    pairs.append((row, NotifyResult.success(mail.message_id)))
                elif mail.state == "exception":
                    pairs.append(
                        (row, NotifyResult.failure(mail.failure_reason or _("E-mail failed")))
                    )
                else:  # still outgoing: the mail queue retries it; mirrored by the cron
                    pairs.append((row, NotifyResult.success(mail.message_id)))
        self._isp_record_results(pairs, totals)

    @api.model
    def _isp_send_odoo_sms(self, gateway, rows, totals):
        """Hand the messages to Odoo's ``sms`` queue (when that module is installed)."""
        if "sms.sms" not in self.env:
            pairs = [
                (row, NotifyResult.failure(_("Odoo's SMS module is not installed.")))
                for row in rows
            ]
            return self._isp_record_results(pairs, totals)
        with self._isp_new_env() as env:
            sms = env["sms.sms"].create(
                [
                    {
                        "number": row["recipient"],
                        "body": row["body"] or "",
                        "partner_id": row["partner_id"],
                    }
                    for row in rows
                ]
            )
        pairs = [
            (row, NotifyResult.success(f"sms.sms:{s.id}")) for row, s in zip(rows, sms, strict=True)
        ]
        return self._isp_record_results(pairs, totals)

    @api.model
    def _isp_mirror_emails(self):
        """E-mails the mail queue gave up on after the drain: their messages fail too."""
        self.env.cr.execute(
            """
            UPDATE isp_notify_message AS m
               SET state = 'failed', error = mm.failure_reason,
                   write_date = now() at time zone 'UTC'
              FROM mail_mail AS mm
             WHERE m.mail_mail_id = mm.id AND m.channel = 'email'
               AND m.state = 'sent' AND mm.state = 'exception'
            """
        )

    # ------------------------------------------------------------------ recovery, reports
    @api.model
    def _isp_recover_stale(self, grace_minutes=STALE_GRACE_MINUTES):
        """Messages left ``sending`` by a crash: never re-sent blindly.

        Providers that can look a message up by our reference (SSL Wireless ``csms_id``)
        are asked; a message they never got is queued again. Otherwise the message is
        failed with "outcome unknown" and staff can Retry it.
        """
        limit = fields.Datetime.now() - timedelta(minutes=grace_minutes)
        stale = self.sudo().search(
            [("state", "=", "sending"), ("sending_at", "<", limit)], order="id", limit=1000
        )
        if not stale:
            return 0
        updates = []  # (id, state, pmid, error)
        for gateway in stale.gateway_id:
            messages = stale.filtered(lambda m, g=gateway: m.gateway_id == g)
            client = gateway._isp_get_client()
            for message in messages:
                state, pmid, error = "failed", None, OUTCOME_UNKNOWN
                if message.mail_mail_id:
                    mail_state = message.mail_mail_id.state
                    if mail_state == "exception":
                        error = message.mail_mail_id.failure_reason
                    else:
                        state, error = "sent", None
                elif gateway.provider == "odoo_mail":
                    state, error = "queued", None  # no e-mail was made: nothing left the house
                elif client is not None and client.supports_lookup:
                    result = client.lookup(self._isp_reference(message.id))
                    if result.ok:
                        state, pmid, error = "sent", result.message_id, None
                    elif result.status == "NOT_FOUND":
                        state, error = "queued", None
                    elif result.transient:
                        continue  # ask again next time
                updates.append((message.id, state, pmid, error))
        for message_id, state, pmid, error in updates:
            self.env.cr.execute(
                SQL(
                    "UPDATE isp_notify_message SET state = %s, error = %s, "
                    "provider_message_id = COALESCE(%s, provider_message_id), "
                    "sent_at = CASE WHEN %s = 'sent' THEN now() at time zone 'UTC' "
                    "ELSE sent_at END, "
                    "next_attempt_at = NULL, write_date = now() at time zone 'UTC' "
                    "WHERE id = %s AND state = 'sending'",
                    state,
                    error,
                    pmid,
                    state,
                    message_id,
                )
            )
        self.invalidate_model()
        requeued = stale.filtered(lambda m: m.state == "queued")
        self._isp_schedule_drain(requeued.gateway_id)
        return len(updates)

    @api.model
    def _isp_apply_delivery_reports(self, gateway, reports):
        """Provider delivery reports -> ``delivered`` / ``failed``; returns messages changed."""
        changed = 0
        for report in reports:
            if report.delivered:
                self.env.cr.execute(
                    SQL(
                        "UPDATE isp_notify_message SET state = 'delivered', "
                        "delivered_at = now() at time zone 'UTC', "
                        "write_date = now() at time zone 'UTC' "
                        "WHERE gateway_id = %s AND provider_message_id = %s "
                        "AND state IN ('sent', 'sending')",
                        gateway.id,
                        report.message_id,
                    )
                )
            else:
                self.env.cr.execute(
                    SQL(
                        "UPDATE isp_notify_message SET state = 'failed', error = %s, "
                        "write_date = now() at time zone 'UTC' "
                        "WHERE gateway_id = %s AND provider_message_id = %s "
                        "AND state IN ('sent', 'sending', 'delivered')",
                        report.error or _("Not delivered"),
                        gateway.id,
                        report.message_id,
                    )
                )
            changed += self.env.cr.rowcount
        self.invalidate_model()
        return changed

    @api.model
    def _isp_poll_delivery(self, limit=200):
        """Ask providers with a status API about recently sent messages."""
        gateways = self.env["isp.notify.gateway"].sudo().search([("provider", "=", "ssl_wireless")])
        since = fields.Datetime.now() - timedelta(days=2)
        for gateway in gateways:
            messages = self.sudo().search(
                [("gateway_id", "=", gateway.id), ("state", "=", "sent"), ("sent_at", ">", since)],
                order="id",
                limit=limit,
            )
            if not messages:
                continue
            client = gateway._isp_get_client()
            reports = []
            for message in messages:
                result = client.lookup(self._isp_reference(message.id))
                if result.status == "DELIVERED":
                    reports.append(_report(message.provider_message_id, True))
                elif result.status == "FAILED":
                    reports.append(_report(message.provider_message_id, False, result.error))
            self._isp_apply_delivery_reports(gateway, reports)

    @api.model
    def _cron_notify_safety(self):
        """Safety net of the drain jobs: stale recovery, missed drains, delivery polls."""
        self._isp_recover_stale()
        self._isp_mirror_emails()
        self.env.cr.execute(
            "SELECT DISTINCT gateway_id FROM isp_notify_message WHERE state = 'queued' "
            "AND gateway_id IS NOT NULL "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= now() at time zone 'UTC')"
        )
        gateway_ids = [row[0] for row in self.env.cr.fetchall()]
        self._isp_schedule_drain(self.env["isp.notify.gateway"].sudo().browse(gateway_ids))
        self._isp_poll_delivery()


def _report(message_id, delivered, error=None):
    from ..lib.notify_clients import DeliveryReport

    return DeliveryReport(message_id, delivered=delivered, failed=not delivered, error=error)
