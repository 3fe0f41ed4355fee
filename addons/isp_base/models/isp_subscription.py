import datetime
import ipaddress
import logging
import re
import secrets
import string
from collections import defaultdict

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..lib import subscriber_import, subscription_state
from .product_template import CONNECTION_TYPES

_logger = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{3,64}$")
MAC_RE = re.compile(r"^[0-9A-F]{12}$")
PASSWORD_ALPHABET = string.ascii_letters + string.digits
CREDENTIAL_TYPES = ("pppoe", "hotspot")
# From this many records on, tracking messages are logged in batches.
TRACKING_BATCH_THRESHOLD = 50
# Events whose message may carry the subscriber's password.
PASSWORD_EVENTS = ("new_connection", "password_changed")
# Lifecycle action -> notification event; one message per status change.
STATE_EVENTS = {"expire": "expired", "suspend": "suspended", "restore": "restored"}


def normalize_mac(value):
    """``aa-bb-cc-dd-ee-ff`` / ``aabb.ccdd.eeff`` -> ``AA:BB:CC:DD:EE:FF``."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", value or "").upper()
    if not MAC_RE.match(digits) or len(re.sub(r"[0-9A-Fa-f:.\-\s]", "", value)) > 0:
        raise ValueError(f"{value} is not a valid MAC address.")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


class IspSubscription(models.Model):
    """A service sold to a subscriber: an internet connection, a hotspot account, cable TV...

    The status changes only through the ``action_*`` methods, which all go through
    :meth:`_change_state`; other addons react to a change by extending
    :meth:`_on_state_changed` (billing suspends and restores through the status,
    the network layer makes the routers agree with it).
    """

    _name = "isp.subscription"
    _description = "ISP Subscription"
    _inherit = ["mail.thread", "mail.activity.mixin", "isp.secret.mixin"]
    _order = "id desc"
    _rec_names_search = ["name", "username", "partner_id.name", "partner_id.mobile"]
    _isp_secret_reveal_groups = "isp_base.group_isp_staff,isp_base.group_isp_support_agent"

    name = fields.Char(
        string="Reference", readonly=True, copy=False, default=lambda self: _("New"), index=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Subscriber",
        required=True,
        index=True,
        tracking=True,
        ondelete="restrict",
        domain=[("is_isp_subscriber", "=", True)],
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    package_id = fields.Many2one(
        "product.product",
        required=True,
        tracking=True,
        ondelete="restrict",
        domain=[("is_isp_package", "=", True)],
    )
    connection_type = fields.Selection(
        CONNECTION_TYPES,
        compute="_compute_connection_type",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        tracking=True,
    )
    download_mbps = fields.Float(related="package_id.isp_download_mbps", string="Download")
    upload_mbps = fields.Float(related="package_id.isp_upload_mbps", string="Upload")
    zone_id = fields.Many2one(
        related="partner_id.isp_zone_id", store=True, index=True, string="Zone"
    )
    state = fields.Selection(
        list(subscription_state.STATES),
        string="Status",
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    state_reason = fields.Char(string="Status Reason", readonly=True, copy=False, tracking=True)
    state_date = fields.Datetime(string="Status Since", readonly=True, copy=False)
    # Credentials
    username = fields.Char(copy=False, tracking=True, index=True)
    password_encrypted = fields.Char(copy=False, groups="base.group_system")
    password = fields.Char(
        string="New Password",
        compute="_compute_password",
        inverse="_inverse_password",
        help="Type a new password to replace the current one. It is stored encrypted.",
    )
    has_password = fields.Boolean(compute="_compute_has_password")
    # Network
    mac_address = fields.Char(string="MAC Binding", copy=False, tracking=True)
    ipv4_address = fields.Char(string="Static IPv4", copy=False, tracking=True)
    ipv6_prefix = fields.Char(string="Static IPv6 Prefix", copy=False, tracking=True)
    # Dates
    activation_date = fields.Date(copy=False, tracking=True)
    expiry_at = fields.Datetime(string="Expires On", copy=False, tracking=True, index=True)
    # Ownership
    operator_id = fields.Many2one(
        "res.partner",
        default=lambda self: self.env.company.partner_id,
        tracking=True,
        index=True,
        help="Who owns this subscription: the ISP itself, or a reseller.",
    )
    support_agent_id = fields.Many2one("res.users", tracking=True, index=True)
    package_change_ids = fields.One2many(
        "isp.package.change", "subscription_id", string="Package Changes"
    )
    pending_package_change_id = fields.Many2one(
        "isp.package.change", compute="_compute_pending_package_change_id"
    )
    note = fields.Html()
    active = fields.Boolean(default=True, tracking=True)

    _sql_constraints = [
        (
            "username_company_uniq",
            "unique(username, company_id)",
            "This username is already used by another subscription.",
        ),
        (
            "ipv4_company_uniq",
            "unique(ipv4_address, company_id)",
            "This static IPv4 address is already assigned to another subscription.",
        ),
    ]

    def init(self):
        # Usernames are unique regardless of case (RADIUS and routers compare them so).
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS isp_subscription_username_lower_uniq
               ON isp_subscription (company_id, lower(username))"""
        )

    @api.depends("package_id")
    def _compute_connection_type(self):
        for subscription in self:
            subscription.connection_type = (
                subscription.package_id.isp_connection_type or subscription.connection_type
            ) or "pppoe"

    def _compute_password(self):
        self.password = False

    def _inverse_password(self):
        for subscription in self.filtered("password"):
            subscription._isp_set_secret("password_encrypted", subscription.password)

    @api.depends("username")
    def _compute_has_password(self):
        rows = self.sudo().search_read(
            [("id", "in", self.ids), ("password_encrypted", "!=", False)], ["id"]
        )
        with_password = {row["id"] for row in rows}
        for subscription in self:
            subscription.has_password = subscription.id in with_password

    @api.depends("package_change_ids.state")
    def _compute_pending_package_change_id(self):
        for subscription in self:
            subscription.pending_package_change_id = subscription.package_change_ids.filtered(
                lambda c: c.state == "scheduled"
            )[:1]

    @api.depends("name", "username", "partner_id")
    def _compute_display_name(self):
        for subscription in self:
            label = subscription.username or subscription.name
            subscription.display_name = (
                f"{label} - {subscription.partner_id.name}" if subscription.partner_id else label
            )

    @api.constrains("username", "connection_type")
    def _check_username(self):
        for subscription in self:
            if subscription.connection_type in CREDENTIAL_TYPES and not subscription.username:
                raise ValidationError(
                    _("A %s subscription needs a username.", subscription.connection_type)
                )
            if subscription.username and not USERNAME_RE.match(subscription.username):
                raise ValidationError(
                    _(
                        "Username %s may only contain letters, digits, '.', '_', '@' and '-' "
                        "(3 to 64 characters).",
                        subscription.username,
                    )
                )

    @api.constrains("ipv4_address", "ipv6_prefix")
    def _check_ip_addresses(self):
        for subscription in self:
            if subscription.ipv4_address:
                try:
                    ipaddress.IPv4Address(subscription.ipv4_address)
                except ValueError as exc:
                    raise ValidationError(
                        _("%s is not a valid IPv4 address.", subscription.ipv4_address)
                    ) from exc
            if subscription.ipv6_prefix:
                try:
                    ipaddress.IPv6Network(subscription.ipv6_prefix, strict=True)
                except ValueError as exc:
                    raise ValidationError(
                        _("%s is not a valid IPv6 prefix.", subscription.ipv6_prefix)
                    ) from exc

    @api.constrains("activation_date", "expiry_at")
    def _check_dates(self):
        for subscription in self:
            if (
                subscription.activation_date
                and subscription.expiry_at
                and subscription.expiry_at.date() < subscription.activation_date
            ):
                raise ValidationError(
                    _("The expiry of %s is before its activation.", subscription.display_name)
                )

    @api.model
    def _normalize_vals(self, vals):
        vals = dict(vals)
        if vals.get("mac_address"):
            try:
                vals["mac_address"] = normalize_mac(vals["mac_address"])
            except ValueError as exc:
                # Raised here, where the user's language is known.
                raise ValidationError(
                    _("%s is not a valid MAC address.", vals["mac_address"])
                ) from exc
        if vals.get("username"):
            vals["username"] = vals["username"].strip()
        for field_name in ("ipv4_address", "ipv6_prefix"):
            if vals.get(field_name):
                vals[field_name] = vals[field_name].strip()
        return vals

    @api.model
    def _get_isp_timezone(self):
        """The timezone of billing cut-offs and expiry dates (the company's, Asia/Dhaka)."""
        return pytz.timezone(self.env.company.partner_id.tz or "Asia/Dhaka")

    @api.model
    def _isp_today(self):
        """Today's date in the ISP's timezone (not the acting user's)."""
        return datetime.datetime.now(pytz.utc).astimezone(self._get_isp_timezone()).date()

    @api.model
    def _date_to_expiry_instant(self, date):
        """Service runs through the whole of ``date``: expire at the next local midnight."""
        if isinstance(date, str):
            date = fields.Date.to_date(date)
        local_midnight = self._get_isp_timezone().localize(
            datetime.datetime.combine(date + datetime.timedelta(days=1), datetime.time.min)
        )
        return local_midnight.astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _generate_password(self, length=10):
        return "".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(length))

    @api.model_create_multi
    def create(self, vals_list):
        if not self._is_state_writer() and any(
            vals.get("state", "draft") != "draft" for vals in vals_list
        ):
            raise UserError(_("A subscription starts as a draft; activate it afterwards."))
        vals_list = [self._normalize_vals(vals) for vals in vals_list]
        new_label = self.env._("New")
        unnamed = [vals for vals in vals_list if vals.get("name", new_label) == new_label]
        names = self.env["ir.sequence"]._isp_next_values("isp.subscription", len(unnamed))
        for vals, name in zip(unnamed, names, strict=True):
            vals["name"] = name or new_label
        # The password goes through its inverse in one encrypted write below.
        passwords = [vals.pop("password", False) for vals in vals_list]
        subscriptions = super().create(vals_list)
        box = None
        encrypted = []
        for subscription, password in zip(subscriptions, passwords, strict=True):
            if not password and subscription.connection_type in CREDENTIAL_TYPES:
                password = self._generate_password()
            if password:
                box = box or self._isp_secret_box()
                encrypted.append((subscription.id, box.encrypt(password)))
        if encrypted:
            self._write_encrypted_passwords(encrypted)
        return subscriptions

    def _write_encrypted_passwords(self, pairs):
        """Store many encrypted passwords with one statement (imports, demo data)."""
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE isp_subscription AS s SET password_encrypted = v.token
               FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::varchar[]) AS token) AS v
               WHERE s.id = v.id""",
            ([pair[0] for pair in pairs], [pair[1] for pair in pairs]),
        )
        self.browse([pair[0] for pair in pairs]).invalidate_recordset(["password_encrypted"])

    def _is_state_writer(self):
        """Only :meth:`_change_state` (and seed data run as superuser) writes the status."""
        return self.env.su and self.env.context.get("isp_state_change")

    def write(self, vals):
        if "state" in vals and not self._is_state_writer():
            raise UserError(_("Use the status buttons to change a subscription's status."))
        return super().write(self._normalize_vals(vals))

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft_or_terminated(self):
        if any(sub.state not in ("draft", "terminated") for sub in self):
            raise UserError(
                _("Only draft or terminated subscriptions can be deleted; terminate it first.")
            )

    def _message_track(self, fields_iter, initial_values_dict):
        """Log the tracking messages of a bulk change in batches.

        A bulk suspension or a billing run changes thousands of subscriptions in one
        transaction; mail logs each tracking message on its own. Above a threshold, the
        same messages (same body, author and tracking values) are created in one batch.
        Records whose change has a subtype still go through ``message_post``.
        """
        if len(self) < TRACKING_BATCH_THRESHOLD or not fields_iter:
            return super()._message_track(fields_iter, initial_values_dict)
        tracked_fields = self.fields_get(
            fields_iter, attributes=("string", "type", "selection", "currency_field")
        )
        tracking = {}
        for record in self:
            if record.id in initial_values_dict:
                tracking[record.id] = record._mail_track(
                    tracked_fields, initial_values_dict[record.id]
                )
        precommit = self.env.cr.precommit.data
        bodies = precommit.pop(f"mail.tracking.message.{self._name}", {})
        authors = precommit.pop(f"mail.tracking.author.{self._name}", {})
        to_log = defaultdict(dict)  # author id -> {record id: body}
        for record in self.browse(list(tracking)).exists():
            changes, tracking_value_ids = tracking[record.id]
            if not changes:
                continue
            initial = initial_values_dict[record.id]
            subtype = record._track_subtype({name: initial[name] for name in changes})
            author_id = authors[record.id].id if record.id in authors else None
            if record.id in bodies:
                body = bodies[record.id]
            else:
                body = record._track_get_default_log_message(changes)
            if subtype:
                if subtype.exists():
                    record.message_post(
                        body=body,
                        author_id=author_id,
                        subtype_id=subtype.id,
                        tracking_value_ids=tracking_value_ids,
                    )
            elif tracking_value_ids:
                to_log[author_id][record.id] = body
        tracking_vals = []
        for author_id, record_bodies in to_log.items():
            records = self.browse(list(record_bodies))
            messages = records._message_log_batch(record_bodies, author_id=author_id)
            for message in messages:
                for command in tracking[message.res_id][1]:
                    tracking_vals.append(dict(command[2], mail_message_id=message.id))
        if tracking_vals:
            self.env["mail.tracking.value"].sudo().create(tracking_vals)
        return tracking

    # ------------------------------------------------------------------
    # Status changes
    # ------------------------------------------------------------------
    def action_activate(self):
        return self._change_state("activate")

    def action_suspend(self, reason=None):
        return self._change_state("suspend", reason)

    def action_restore(self):
        return self._change_state("restore")

    def action_expire(self, reason=None):
        return self._change_state("expire", reason)

    def action_deactivate(self, reason=None):
        return self._change_state("deactivate", reason)

    def action_terminate(self, reason=None):
        return self._change_state("terminate", reason)

    @api.model
    def _get_action_labels(self):
        return {
            "activate": _("Activate"),
            "suspend": _("Suspend"),
            "restore": _("Restore"),
            "expire": _("Expire"),
            "deactivate": _("Deactivate"),
            "terminate": _("Terminate"),
        }

    @api.model
    def _get_state_change_group(self, action):
        """The group a user needs to take ``action`` (superuser code needs none)."""
        if action == "terminate":
            return "isp_base.group_isp_manager"
        return "isp_base.group_isp_staff"

    def _check_state_change_rights(self, action):
        if self.env.su:
            return
        if not self.env.user.has_group(self._get_state_change_group(action)):
            raise AccessError(
                _(
                    "You are not allowed to %(action)s subscriptions.",
                    action=self._get_action_labels().get(action, action).lower(),
                )
            )
        self.check_access("write")

    def _check_state_change(self, action):
        """Raise a UserError naming the first record that cannot take ``action``."""
        states = dict(self._fields["state"]._description_selection(self.env))
        for subscription in self:
            try:
                subscription_state.target_state(subscription.state, action)
            except subscription_state.InvalidTransition as exc:
                raise UserError(
                    _(
                        "%(record)s cannot take the action %(action)s while it is %(state)s.",
                        record=subscription.display_name,
                        action=self._get_action_labels().get(action, action),
                        state=states.get(subscription.state, subscription.state),
                    )
                ) from exc

    def _prepare_state_change_vals(self, action, target, reason):
        vals = {
            "state": target,
            "state_reason": reason or False,
            "state_date": fields.Datetime.now(),
        }
        if target == "active" and action == "activate":
            vals["activation_date"] = self._isp_today()
        return vals

    def _change_state(self, action, reason=None):
        """Move every record of ``self`` through ``action``; all or nothing."""
        if not self:
            return True
        self._check_state_change_rights(action)
        self._check_state_change(action)
        target = subscription_state.ACTIONS[action][1]
        old_states = {sub.id: sub.state for sub in self}
        vals = self._prepare_state_change_vals(action, target, reason)
        # Rights are checked above; the write itself is the lifecycle's own.
        writer = self.sudo().with_context(isp_state_change=True)
        keep_activation = writer.filtered("activation_date") if "activation_date" in vals else None
        if keep_activation:
            (writer - keep_activation).write(vals)
            vals = dict(vals)
            del vals["activation_date"]
            keep_activation.write(vals)
        else:
            writer.write(vals)
        self.env["isp.audit.log"]._log(
            self,
            "state_change",
            reason or self._get_action_labels()[action],
            old_values=old_states,
            new_value=target,
        )
        self._on_state_changed(action, old_states)
        return True

    def _on_state_changed(self, action, old_states):
        """Hook called after every status change, in the same transaction.

        :param action: the lifecycle action (``activate``, ``suspend``...)
        :param old_states: ``{subscription id: previous state}``
        Billing and the network layer extend this; keep overrides batched. Here the
        subscribers are told: credentials on the first activation, and one message
        per status change.
        """
        Dispatcher = self.env["isp.notify.dispatcher"]
        if action == "activate":
            first = self.filtered(lambda s: old_states.get(s.id) == "draft")
            if first:
                Dispatcher._isp_notify("new_connection", subscriptions=first, key="first")
        event_code = STATE_EVENTS.get(action)
        if event_code and self:
            # one write gave them all the same status date: one key, one batched call
            Dispatcher._isp_notify(
                event_code, subscriptions=self, key=self._isp_state_event_key(self[:1])
            )

    def _on_package_changed(self, old_package):
        """Hook called after a package change is applied (one subscription)."""
        self.ensure_one()
        self.env["isp.notify.dispatcher"]._isp_notify(
            "package_changed",
            subscriptions=self,
            values={"old_package": old_package.name if old_package else ""},
            key=f"{old_package.id}:{self.package_id.id}:"
            f"{fields.Datetime.to_string(fields.Datetime.now())}",
        )

    # ------------------------------------------------------------------
    # Notifications
    # ------------------------------------------------------------------
    def _isp_notify_values(self, event_code=None):
        """Template values of this subscription (raw: the dispatcher formats them).

        The password is decrypted only for the events that must carry it. Other addons
        extend this (billing adds the amount due, the due date and a pay link).
        """
        self.ensure_one()
        partner = self.partner_id
        company = self.company_id
        values = {
            "name": partner.name,
            "phone": partner.mobile or partner.phone or "",
            "customer_code": partner.isp_customer_code or "",
            "subscription": self.name,
            "package": self.package_id.name,
            "username": self.username or "",
            "expiry": self.expiry_at or "",
            "zone": self.zone_id.name or "",
            "company": company.name,
            "company_phone": company.phone or "",
        }
        if event_code in PASSWORD_EVENTS:
            values["password"] = self._isp_get_secret("password_encrypted") or ""
        return values

    @api.model
    def _isp_state_event_key(self, subscription):
        """One status change = one message, whoever emits it (lifecycle or billing)."""
        return fields.Datetime.to_string(subscription.state_date) or "none"

    def _isp_set_secret(self, field_name, plaintext):
        result = super()._isp_set_secret(field_name, plaintext)
        if field_name == "password_encrypted" and plaintext:
            changed = self.filtered(lambda s: s.state not in ("draft", "terminated"))
            if changed:
                Dispatcher = self.env["isp.notify.dispatcher"]
                Dispatcher._isp_notify(
                    "password_changed",
                    subscriptions=changed,
                    key=Dispatcher._isp_secret_key(plaintext),
                )
        return result

    # ------------------------------------------------------------------
    # Other actions
    # ------------------------------------------------------------------
    def action_reveal_password(self):
        self.ensure_one()
        password = self._isp_reveal_secret("password_encrypted")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Password of %s", self.username or self.name),
                "message": password or _("No password is set."),
                "type": "warning",
                "sticky": True,
            },
        }

    def action_generate_password(self):
        for subscription in self:
            subscription._isp_set_secret("password_encrypted", self._generate_password())
        return True

    def action_change_package(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "isp.package.change",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_subscription_id": self.id,
                "default_effective_date": fields.Date.context_today(self),
            },
        }

    def action_view_audit_log(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_base.action_isp_audit_log")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        return action

    def _prepare_export_row(self):
        """One row of the import template; passwords are never exported."""
        self.ensure_one()
        partner = self.partner_id
        tz = self._get_isp_timezone()
        expiry = (
            pytz.utc.localize(self.expiry_at).astimezone(tz).date() - datetime.timedelta(days=1)
            if self.expiry_at
            else None
        )
        return {
            "name": partner.name,
            "mobile": partner.mobile,
            "email": partner.email,
            "nid": partner.isp_nid,
            "birth_registration": partner.isp_birth_registration,
            "passport": partner.isp_passport,
            "father_name": partner.isp_father_name,
            "mother_name": partner.isp_mother_name,
            "date_of_birth": partner.isp_date_of_birth,
            "zone": partner.isp_zone_id.code,
            "division": partner.isp_division_id.name,
            "district": partner.isp_district_id.name,
            "thana": partner.isp_thana_id.name,
            "area": partner.isp_area,
            "street": partner.street,
            "package": self.package_id.default_code or self.package_id.name,
            "username": self.username,
            "password": None,
            "connection_type": self.connection_type,
            "mac_address": self.mac_address,
            "ipv4_address": self.ipv4_address,
            "activation_date": self.activation_date,
            "expiry_date": expiry,
        }

    def action_export_xlsx(self):
        """Export the selected subscriptions in the import template's format."""
        rows = [subscription._prepare_export_row() for subscription in self]
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"subscribers_{fields.Date.context_today(self)}.xlsx",
                "raw": subscriber_import.export_xlsx(rows),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        self.env["isp.audit.log"]._log(self, "export", _("Exported %s subscriptions", len(self)))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    @api.model
    def _get_expired_domain(self, now):
        return [("state", "in", ("active", "suspended")), ("expiry_at", "<=", now)]

    def _isp_apply_resiliently(self, callback, batch_size=200):
        """Run ``callback(records)`` on ``self`` batch by batch; return the failures.

        A batch runs in one savepoint; if it fails, its records are retried one by one
        so that a bad record is reported (``{record: message}``) and the rest proceed.
        """
        failures = {}
        for start in range(0, len(self), max(batch_size, 1)):
            batch = self[start : start + batch_size]
            try:
                with self.env.cr.savepoint():
                    callback(batch)
                continue
            except Exception:  # retried one by one below to find the culprits
                _logger.info("Batch of %s %s failed, retrying one by one", len(batch), self._name)
            for record in batch:
                try:
                    with self.env.cr.savepoint():
                        callback(record)
                except Exception as exc:  # report it, go on with the others
                    failures[record] = str(exc.args[0] if exc.args else exc)
        return failures

    @api.model
    def _cron_expire_subscriptions(self, batch_size=500):
        """Expire what reached its expiry instant, committing per batch.

        A subscription that cannot be expired is logged and skipped; it never blocks
        the others.
        """
        now = fields.Datetime.now()
        reason = _("Validity ended")
        domain = self._get_expired_domain(now)
        total = self.search_count(domain)
        done = 0
        skipped = self.browse()
        while True:
            batch = self.search(
                domain + [("id", "not in", skipped.ids)], limit=batch_size, order="expiry_at, id"
            )
            if not batch:
                break
            failures = batch._isp_apply_resiliently(
                lambda records: records.action_expire(reason), batch_size
            )
            for subscription, message in failures.items():
                _logger.error("Cannot expire %s: %s", subscription.display_name, message)
                skipped |= subscription
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=max(total - done, 0))
            self.env.cr.commit()  # pylint: disable=invalid-commit
