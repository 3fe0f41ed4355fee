import datetime
import hashlib
import logging

import pytz

from odoo import api, fields, models
from odoo.tools import split_every
from odoo.tools.misc import format_date, format_datetime, formatLang

from ..lib import phone as phone_lib

_logger = logging.getLogger(__name__)

PHONE_CHANNELS = ("sms", "whatsapp")
DATE_FORMAT = "d MMM y"
ONE_DAY = datetime.timedelta(days=1)


class IspNotifyDispatcher(models.AbstractModel):
    """The one entry point of notifications: event -> triggers -> templates -> outbox.

    Every addon calls :meth:`_isp_notify` (subscriber events),
    :meth:`_isp_notify_staff` (staff alerts) or :meth:`_isp_send_otp`. Messages are
    only enqueued here, in the caller's transaction (rolled back with it); the outbox
    sends them later. A missing trigger, template, gateway or address means no
    message, never an error for the business action that emitted the event.
    """

    _name = "isp.notify.dispatcher"
    _description = "ISP Notification Dispatcher"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _isp_notify(
        self,
        event_code,
        subscriptions=None,
        partners=None,
        values=None,
        key=None,
        channels=None,
        force=False,
    ):
        """Enqueue ``event_code`` for each subscription (and each bare partner).

        :param values: event data merged over ``subscription._isp_notify_values()``
        :param key: what distinguishes two occurrences of the event for one record
            (an invoice, an expiry date...); with a key, a repeat is never sent twice
        :param channels: restrict to these channels
        :param force: send on ``channels`` (default SMS) with the template of the
            event's code even without an active trigger (OTP-like messages)
        :return: the ``isp.notify.message`` records enqueued
        """
        return self._isp_enqueue_safely(
            event_code,
            lambda: self._isp_prepare_messages(
                event_code, subscriptions, partners, values, key, channels, force
            ),
        )

    @api.model
    def _isp_notify_staff(self, event_code, values=None, key=None, company=None):
        """Alert the staff (Telegram chats, e-mail to managers) of ``event_code``."""
        return self._isp_enqueue_safely(
            event_code,
            lambda: self._isp_prepare_staff_messages(event_code, values, key, company),
        )

    @api.model
    def _isp_enqueue_safely(self, event_code, prepare):
        """Enqueue what ``prepare()`` returns; a notification never breaks the business
        action that emitted it (any error is logged, the savepoint rolled back)."""
        Message = self.env["isp.notify.message"]
        try:
            vals_list = prepare()
            if not vals_list:
                return Message
            with self.env.cr.savepoint():
                return Message.sudo()._isp_enqueue(vals_list)
        except Exception:
            _logger.exception("Cannot enqueue the notification %s", event_code)
            return Message

    @api.model
    def _isp_send_otp(self, phone, code, partner=None, lang=None):
        """One SMS with the one-time ``code`` to ``phone``, first in the queue."""
        Message = self.env["isp.notify.message"]
        try:
            recipient = phone_lib.normalize_bd_mobile(phone)
        except phone_lib.InvalidPhone:
            _logger.info("OTP not sent: %s is not a mobile number", phone)
            return Message
        company = (partner and partner.company_id) or self.env.company
        template = self.env["isp.notify.template"].sudo()._isp_get("otp", company)
        gateway = self._isp_pick_gateway("sms", company)
        if not template or not gateway:
            _logger.info("OTP not sent: no template or SMS gateway")
            return Message
        lang = self._isp_get_lang(partner, lang)
        values = self._isp_format_values(
            {"otp": code, "company": company.name, "name": partner.name if partner else ""},
            lang,
        )
        body, _subject = template._isp_render(lang, values)
        vals = {
            "company_id": company.id,
            "channel": "sms",
            "gateway_id": gateway.id,
            "template_id": template.id,
            "event_code": "otp",
            "partner_id": partner.id if partner else False,
            "res_model": partner._name if partner else False,
            "res_id": partner.id if partner else False,
            "recipient": recipient,
            "lang": lang,
            "body": body,
            "priority": 0,
        }
        # Priority 0: the gateway's drain (scheduled by the enqueue) sends it first.
        return Message.sudo()._isp_enqueue([vals])

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    @api.model
    def _isp_prepare_messages(
        self, event_code, subscriptions, partners, values, key, channels, force
    ):
        subscriptions = (subscriptions or self.env["isp.subscription"]).sudo()
        partners = (partners or self.env["res.partner"]).sudo()
        recipients = [(sub.partner_id, sub) for sub in subscriptions]
        recipients += [(partner, None) for partner in partners]
        vals_list = []
        for partner, subscription in recipients:
            company = subscription.company_id if subscription else self.env.company
            for channel, template in self._isp_get_routes(event_code, company, channels, force):
                vals = self._isp_prepare_message_vals(
                    event_code, channel, template, partner, subscription, values, key
                )
                if vals:
                    vals_list.append(vals)
        return vals_list

    @api.model
    def _isp_get_routes(self, event_code, company, channels=None, force=False):
        """``[(channel, template)]`` the event goes out on for ``company``."""
        triggers = (
            self.env["isp.notify.trigger"]
            .sudo()
            ._isp_get_triggers(event_code, "subscriber", channels, company)
        )
        days_before = self.env.context.get("isp_notify_days_before")
        if days_before is not None:
            triggers = triggers.filtered(lambda t: t.days_before == days_before)
        routes = [(t.channel, t.template_id) for t in triggers if t.template_id.active]
        if force and not routes:
            template = self.env["isp.notify.template"].sudo()._isp_get(event_code, company)
            if template:
                routes = [(channel, template) for channel in (channels or ["sms"])]
        if not routes:
            _logger.info("No active trigger for %s: nothing sent", event_code)
        return routes

    @api.model
    def _isp_prepare_message_vals(
        self, event_code, channel, template, partner, subscription, values, key
    ):
        """The values of one ``isp.notify.message``, or None when it cannot be sent."""
        company = subscription.company_id if subscription else self.env.company
        recipient = self._isp_get_recipient(partner, channel)
        if not recipient:
            _logger.info("%s: %s has no address for %s", event_code, partner.display_name, channel)
            return None
        gateway = self._isp_pick_gateway(channel, company)
        if not gateway:
            _logger.info("%s: no active %s gateway, nothing sent", event_code, channel)
            return None
        lang = self._isp_get_lang(partner)
        raw = {}
        if subscription:
            raw.update(subscription.with_context(lang=lang)._isp_notify_values(event_code))
        else:
            raw.update(self._isp_partner_values(partner))
        raw.update(values or {})
        formatted = self._isp_format_values(raw, lang)
        body, subject = template._isp_render(lang, formatted)
        record = subscription or partner
        vals = {
            "company_id": company.id,
            "channel": channel,
            "gateway_id": gateway.id,
            "template_id": template.id,
            "event_code": event_code,
            "partner_id": partner.id,
            "subscription_id": subscription.id if subscription else False,
            "res_model": record._name,
            "res_id": record.id,
            "recipient": recipient,
            "lang": lang,
            "subject": subject,
            "body": body,
            "priority": 5,
            "dedupe_key": self._isp_dedupe_key(event_code, record, key, channel),
        }
        if channel == "whatsapp" and template.whatsapp_template_name:
            vals["payload"] = self._isp_whatsapp_payload(template, formatted)
        return vals

    @api.model
    def _isp_whatsapp_payload(self, template, formatted):
        """The approved template's name and its body parameters, in order."""
        return {
            "whatsapp_template": template.whatsapp_template_name,
            "whatsapp_params": [
                str(formatted.get(name, "")) for name in template._isp_whatsapp_params()
            ],
        }

    @api.model
    def _isp_prepare_staff_messages(self, event_code, values, key, company=None):
        company = company or self.env.company
        triggers = (
            self.env["isp.notify.trigger"]
            .sudo()
            ._isp_get_triggers(event_code, "staff", company=company)
        )
        lang = company.partner_id.lang or "en_US"
        raw = {"company": company.name, **(values or {})}
        formatted = self._isp_format_values(raw, lang)
        vals_list = []
        for trigger in triggers.filtered("template_id.active"):
            gateway = self._isp_pick_gateway(trigger.channel, company)
            if not gateway:
                _logger.info("%s: no active %s gateway for staff", event_code, trigger.channel)
                continue
            body, subject = trigger.template_id._isp_render(lang, formatted)
            for recipient in self._isp_get_staff_recipients(trigger.channel, gateway, company):
                vals_list.append(
                    {
                        "company_id": company.id,
                        "channel": trigger.channel,
                        "gateway_id": gateway.id,
                        "template_id": trigger.template_id.id,
                        "event_code": event_code,
                        "recipient": recipient,
                        "lang": lang,
                        "subject": subject,
                        "body": body,
                        "priority": 1,
                        "dedupe_key": (
                            f"{event_code}:staff:{company.id}:{key}:{trigger.channel}:{recipient}"
                            if key is not None
                            else False
                        ),
                    }
                )
        return vals_list

    @api.model
    def _isp_get_staff_recipients(self, channel, gateway, company):
        """Chat ids of the gateway (Telegram) or e-mails of the ISP managers."""
        if channel == "telegram":
            return list(gateway._isp_staff_chat_ids())
        if channel == "email":
            group = self.env.ref("isp_base.group_isp_manager", raise_if_not_found=False)
            users = group.sudo().all_user_ids if group else self.env["res.users"]
            users = users.filtered(lambda u: company in u.company_ids and u.email)
            return sorted(set(users.mapped("email")))
        return []

    @api.model
    def _isp_pick_gateway(self, channel, company):
        return self.env["isp.notify.gateway"].sudo()._isp_pick(channel, company)

    @api.model
    def _isp_dedupe_key(self, event_code, record, key, channel):
        if key is None or key is False:
            return False
        return f"{event_code}:{record._name}:{record.id}:{key}:{channel}"

    @api.model
    def _isp_get_lang(self, partner, lang=None):
        installed = {code for code, _name in self.env["res.lang"].get_installed()}
        for candidate in (
            lang,
            partner.lang if partner else None,
            self.env.company.partner_id.lang,
        ):
            if candidate and candidate in installed:
                return candidate
        return "en_US"

    @api.model
    def _isp_get_recipient(self, partner, channel):
        if channel in PHONE_CHANNELS:
            for number in (partner.mobile, partner.phone):
                if number and phone_lib.is_bd_mobile(number):
                    return phone_lib.normalize_bd_mobile(number)
            return False
        if channel == "email":
            return partner.email or False
        return False

    @api.model
    def _isp_partner_values(self, partner):
        company = partner.company_id or self.env.company
        return {
            "name": partner.name,
            "phone": partner.mobile or partner.phone,
            "customer_code": partner.isp_customer_code,
            "company": company.name,
            "company_phone": company.phone,
        }

    @api.model
    def _isp_format_values(self, values, lang):
        """Plain-text values: amounts as numbers (templates say Tk), dates in ``lang``."""
        env = self.with_context(lang=lang).env
        tz = self.env["isp.subscription"]._get_isp_timezone()
        formatted = {}
        for name, value in values.items():
            if isinstance(value, bool):
                value = "" if value is False else value
            elif isinstance(value, float | int) and (
                name.startswith("amount") or name.endswith("amount")
            ):
                value = formatLang(env, value, digits=2)
            elif isinstance(value, datetime.datetime):  # naive UTC
                if name == "expiry":  # an expiry instant is the end of the last day
                    local = pytz.utc.localize(value - datetime.timedelta(seconds=1)).astimezone(tz)
                    value = format_date(env, local.date(), lang_code=lang, date_format=DATE_FORMAT)
                else:
                    value = format_datetime(env, value, tz=tz.zone, lang_code=lang)
            elif isinstance(value, datetime.date):
                value = format_date(env, value, lang_code=lang, date_format=DATE_FORMAT)
            formatted[name] = "" if value is None else value
        return formatted

    @api.model
    def _isp_secret_key(self, secret):
        """A short digest that tells two secrets apart without revealing them."""
        return hashlib.sha256((secret or "").encode()).hexdigest()[:16]

    # ------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------
    @api.model
    def _get_expiring_domain(self, company, last_day):
        """Active subscriptions of ``company`` whose last day of service is ``last_day``."""
        Subscription = self.env["isp.subscription"]
        return [
            ("company_id", "=", company.id),
            ("state", "=", "active"),
            ("expiry_at", ">", Subscription._date_to_expiry_instant(last_day - ONE_DAY)),
            ("expiry_at", "<=", Subscription._date_to_expiry_instant(last_day)),
        ]

    @api.model
    def _cron_expiry_warnings(self, today=None, batch_size=200):
        """Warn the subscribers whose service ends in N days (N per trigger), once:
        the dedupe key is the subscription, its last day and N. Commits per batch."""
        Subscription = self.env["isp.subscription"].sudo()
        today = today or Subscription._isp_today()
        triggers = (
            self.env["isp.notify.trigger"]
            .sudo()
            .search([("event_code", "=", "expiry_warning"), ("audience", "=", "subscriber")])
        )
        plan = sorted({(t.company_id, t.days_before) for t in triggers}, key=lambda p: p[1])
        sent = self.env["isp.notify.message"]
        for company, days in plan:
            last_day = today + datetime.timedelta(days=days)
            subscriptions = Subscription.search(self._get_expiring_domain(company, last_day))
            dispatcher = self.with_context(isp_notify_days_before=days)
            for batch_ids in split_every(batch_size, subscriptions.ids):
                sent |= dispatcher._isp_notify(
                    "expiry_warning",
                    subscriptions=Subscription.browse(batch_ids),
                    values={"days": days},
                    key=f"{fields.Date.to_string(last_day)}:{days}",
                )
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return sent

    @api.model
    def _isp_local_day_bounds(self, day):
        """``(start, end)`` naive UTC instants of the ISP's local ``day``."""
        Subscription = self.env["isp.subscription"]
        return (
            Subscription._date_to_expiry_instant(day - ONE_DAY),
            Subscription._date_to_expiry_instant(day),
        )

    @api.model
    def _isp_daily_summary_values(self, company, day):
        """Figures of the staff's daily summary; billing adds the payments collected,
        the network layer the routers down."""
        start, end = self._isp_local_day_bounds(day)
        Subscription = self.env["isp.subscription"].sudo()
        values = {
            "date": day,
            "company": company.name,
            "new_subscribers": Subscription.search_count(
                [("company_id", "=", company.id), ("activation_date", "=", day)]
            ),
            "suspended_count": Subscription.search_count(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "suspended"),
                    ("state_date", ">=", start),
                    ("state_date", "<", end),
                ]
            ),
            "payments_count": 0,
            "payments_amount": 0.0,
            "routers_down": "-",
        }
        return values

    @api.model
    def _cron_daily_summary(self, day=None):
        """Send each company's staff the figures of ``day`` (default: today), once."""
        day = day or self.env["isp.subscription"]._isp_today()
        triggers = (
            self.env["isp.notify.trigger"]
            .sudo()
            .search([("event_code", "=", "daily_summary"), ("audience", "=", "staff")])
        )
        sent = self.env["isp.notify.message"]
        for company in triggers.company_id:
            sent |= self._isp_notify_staff(
                "daily_summary",
                values=self._isp_daily_summary_values(company, day),
                key=fields.Date.to_string(day),
                company=company,
            )
        return sent
