#!/usr/bin/env python3
"""Make every notification event happen in the demo ISP and check that it went out.

    scripts/demo_notify_check.py [--url http://127.0.0.1:8069] [--db isp_demo]
                                 [--login admin] [--password admin] [--timeout 120]

Needs the running demo server (with queue_job's runner) and the simulators with the
demo's notification gateways (`scripts/gateway_simulators.py start --db isp_demo`).
Through XML-RPC it does what staff do: a gateway's "Send test", suspend and restore,
expire, activate a new connection, generate a password, change a package, a counter
payment and a recharge through their wizards, a billing run for one subscription, a reply
on a helpdesk ticket, a maintenance notice to one zone, the expiry warning, dunning and
daily summary jobs ("Run Manually"), and a router going down and up (against a RouterOS
simulator this script runs). Then it waits for the drains and checks that each expected
`isp.notify.message` is sent or delivered, in the subscriber's language, with the
provider's message id, and, for SSL Wireless, that the simulator has it (its delivery
status API, looked up by our reference); e-mails (invoice_generated, payment_received
where their e-mail triggers are on) that the SMTP sink received them (its log). One
line per event and channel; exit status 1 when one failed. What it changed stays
(subscribers paid, restored, a test router).
"""

import argparse
import json
import sys
import time
import xmlrpc.client
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

REPO_DIR = Path(__file__).resolve().parent.parent
DONE = ("sent", "delivered")
FINAL = ("sent", "delivered", "failed", "cancelled")
PHONE_CHANNELS = ("sms", "whatsapp")


class Expect:
    """Messages an action must have produced: ``domain`` on isp.notify.message."""

    def __init__(
        self, event, channel, domain, label, lang=None, minimum=1, earlier=None, reference=None
    ):
        self.event, self.channel, self.label, self.lang = event, channel, label, lang
        self.reference = reference  # our reference at the provider, when not the usual one
        self.domain = [("event_code", "=", event), ("channel", "=", channel), *domain]
        self.minimum = minimum
        # idempotent jobs (once a day): the messages of an earlier run count
        self.earlier = earlier
        self.error = None


class Check:
    def __init__(self, url, db, login, password):
        self.url, self.db, self.login, self.password = url.rstrip("/"), db, login, password
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        self.uid = common.authenticate(db, login, password, {})
        if not self.uid:
            sys.exit(f"error: cannot log in to {db} at {url} as {login}")
        self.models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        self.used = set()
        self.expects = []
        self.skipped = []
        self.uuid = self.call("ir.config_parameter", "get_param", "database.uuid") or ""
        tz = self.read("res.users", [self.uid], ["tz"])[0]["tz"] or "Asia/Dhaka"
        self.today = datetime.now(ZoneInfo(tz)).date()  # the ISP's day, as its jobs see it

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.db, self.uid, self.password, model, method, list(args), kwargs
        )

    def read(self, model, ids, fields):
        return self.call(model, "read", ids, fields)

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        rows = self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        return rows[0]["res_id"] if rows else False

    def last_message_id(self):
        ids = self.call("isp.notify.message", "search", [], order="id desc", limit=1)
        return ids[0] if ids else 0

    def installed(self, module):
        return bool(
            self.call(
                "ir.module.module",
                "search_count",
                [("name", "=", module), ("state", "=", "installed")],
            )
        )

    # ---------------------------------------------------------------- picking subscribers

    def pick(self, domain, lang=None, extra=None, email=False):
        """A subscription (dict) matching ``domain`` whose subscriber has a BD mobile,
        not used yet by this run; ``lang`` prefers subscribers reading that language,
        ``email`` subscribers with an e-mail address (then the language)."""
        base = [("partner_id.mobile", "!=", False), ("id", "not in", sorted(self.used))]
        langs = ([("partner_id.lang", "=", lang)], []) if lang else ([],)
        emails = ([("partner_id.email", "!=", False)], []) if email else ([],)
        for with_email, with_lang in ((e, la) for e in emails for la in langs):
            rows = self.call(
                "isp.subscription",
                "search_read",
                base + list(domain) + with_email + with_lang,
                fields=["name", "partner_id", "state", "package_id", "zone_id", *(extra or [])],
                order="id",
                limit=1,
            )
            if rows:
                self.used.add(rows[0]["id"])
                partner = self.read("res.partner", [rows[0]["partner_id"][0]], ["lang", "email"])
                rows[0]["lang"], rows[0]["email"] = partner[0]["lang"], partner[0]["email"]
                return rows[0]
        raise RuntimeError(f"no subscription with a mobile number matches {domain}")

    def expect_subscriber(self, event, subscription, since, channels=("sms",)):
        for channel in channels:
            self.expects.append(
                Expect(
                    event,
                    channel,
                    [("subscription_id", "=", subscription["id"]), ("id", ">", since)],
                    subscription["name"],
                    lang=subscription["lang"],
                )
            )

    def emails_on(self, event):
        """Whether the event's subscriber e-mails are on (a trigger and a gateway)."""
        return bool(
            self.call(
                "isp.notify.trigger",
                "search_count",
                [("event_code", "=", event), ("audience", "=", "subscriber")]
                + [("channel", "=", "email")],
            )
            and self.call("isp.notify.gateway", "search_count", [("channel", "=", "email")])
        )

    def channels_of(self, subscription, event):
        """The channels the event's active triggers send it on, for this subscriber."""
        triggers = self.call(
            "isp.notify.trigger",
            "search_read",
            [("event_code", "=", event), ("audience", "=", "subscriber")],
            fields=["channel"],
        )
        channels = {t["channel"] for t in triggers}
        if not subscription.get("email"):
            channels.discard("email")
        elif not self.call("ir.mail_server", "search_count", []):
            channels.discard("email")
            self.skipped.append(
                f"SKIP {event} email {subscription['email']}: no outgoing mail server "
                "(Settings > Technical > Outgoing Mail Servers) in this database"
            )
        elif "email" in channels and not self.call(
            "isp.notify.gateway", "search_count", [("channel", "=", "email")]
        ):
            channels.discard("email")
            self.skipped.append(f"SKIP {event} email: no active e-mail gateway")
        return sorted(channels)

    def sink_has(self, row):
        """Whether the demo's SMTP sink received the e-mail (its log, by Message-ID and
        recipient); None when the e-mail did not go through the sink of this machine."""
        sys.path.insert(0, str(REPO_DIR / "scripts"))
        from gateway_simulators import SMTP_SERVER_NAME, SMTP_SINK_LOG

        if not SMTP_SINK_LOG.exists() or not self.call(
            "ir.mail_server", "search_count", [("name", "=", SMTP_SERVER_NAME)]
        ):
            return None
        message_id = (row["provider_message_id"] or "").strip().strip("<>")
        for line in SMTP_SINK_LOG.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if (
                message_id
                and entry["message_id"].strip("<>") == message_id
                and row["recipient"].lower() in (r.lower() for r in entry["rcpt_to"])
            ):
                return entry
        return False

    # ---------------------------------------------------------------- the actions

    def gateway_tests(self):
        """Each simulator gateway's "Send test" (the wizard of the gateway form)."""
        gateways = self.call(
            "isp.notify.gateway",
            "search_read",
            [("name", "=like", "Simulator %")],
            fields=["name", "channel", "telegram_chat_ids"],
            order="sequence, id",
        )
        if len(gateways) < 4:
            raise RuntimeError("the simulator gateways are missing (gateway_simulators.py --db)")
        mobile = self.pick([("state", "=", "active")])["partner_id"]
        phone = self.call("res.partner", "read", [mobile[0]], ["mobile"])[0]["mobile"]
        phone = "+88" + phone if phone.startswith("01") else phone
        for gateway in gateways:
            since = self.last_message_id()
            recipient = (
                (gateway["telegram_chat_ids"] or "").split(",")[0].strip()
                if gateway["channel"] == "telegram"
                else phone
            )
            wizard = self.call(
                "isp.notify.gateway.test",
                "create",
                {"gateway_id": gateway["id"], "recipient": recipient},
            )
            self.call("isp.notify.gateway.test", "action_send", [wizard])
            self.expects.append(
                Expect(
                    "test",
                    gateway["channel"],
                    [("gateway_id", "=", gateway["id"]), ("id", ">", since)],
                    gateway["name"],
                )
            )

    def lifecycle(self):
        since = self.last_message_id()
        subscription = self.pick([("state", "=", "active")], lang="bn_IN")
        self.call("isp.subscription", "action_suspend", [subscription["id"]])
        self.expect_subscriber("suspended", subscription, since)
        since = self.last_message_id()
        self.call("isp.subscription", "action_restore", [subscription["id"]])
        self.expect_subscriber("restored", subscription, since)
        since = self.last_message_id()
        subscription = self.pick([("state", "=", "active")], lang="en_US")
        self.call("isp.subscription", "action_expire", [subscription["id"]])
        self.expect_subscriber("expired", subscription, since)

    def new_connection(self):
        since = self.last_message_id()
        subscription = self.pick([("state", "=", "draft")])
        self.call("isp.subscription", "action_activate", [subscription["id"]])
        self.expect_subscriber("new_connection", subscription, since)

    def change_password(self):
        since = self.last_message_id()
        subscription = self.pick([("state", "=", "active")], lang="bn_IN")
        self.call("isp.subscription", "action_generate_password", [subscription["id"]])
        self.expect_subscriber("password_changed", subscription, since)

    def package_change(self):
        since = self.last_message_id()
        subscription = self.pick([("state", "=", "active")], lang="en_US")
        package = self.read(
            "product.product", [subscription["package_id"][0]], ["isp_connection_type"]
        )[0]
        others = self.call(
            "product.product",
            "search",
            [
                ("is_isp_package", "=", True),
                ("isp_connection_type", "=", package["isp_connection_type"]),
                ("id", "!=", package["id"]),
            ],
            order="list_price",
        )
        if not others:
            raise RuntimeError("no other package to change to")
        self.call(
            "isp.package.change",
            "create",
            {"subscription_id": subscription["id"], "new_package_id": others[0]},
        )
        self.expect_subscriber("package_changed", subscription, since)

    def counter_payment(self):
        """Quick Pay at the counter for a subscriber suspended for an unpaid bill."""
        since = self.last_message_id()
        subscription = self.pick(
            [("state", "=", "suspended"), ("billing_suspended", "=", True)],
            lang="bn_IN",
            email=self.emails_on("payment_received"),
        )
        wizard = self.call(
            "isp.bill.payment",
            "create",
            {"mode": "quick", "subscription_id": subscription["id"], "payment_method": "cash"},
        )
        self.call("isp.bill.payment", "action_confirm", [wizard])
        channels = self.channels_of(subscription, "payment_received")
        self.expect_subscriber("payment_received", subscription, since, channels)
        self.expect_subscriber("restored", subscription, since)

    def recharge(self):
        since = self.last_message_id()
        subscription = self.pick(
            [
                ("state", "in", ("active", "expired")),
                ("billing_profile_id.billing_type", "=", "daily"),
            ],
            lang="en_US",
        )
        wizard = self.call(
            "isp.recharge",
            "create",
            {"subscription_id": subscription["id"], "units": 1, "payment_method": "cash"},
        )
        self.call("isp.recharge", "action_confirm", [wizard])
        self.expect_subscriber("recharged", subscription, since)

    def billing_run(self):
        """A billing run limited to one subscription, for next month (the first of a
        few subscriptions that is not invoiced for it yet: a second check takes another)."""
        year, month = self.today.year, self.today.month + 1
        if month == 13:
            year, month = year + 1, 1
        for _attempt in range(10):
            since = self.last_message_id()
            subscription = self.pick(
                [
                    ("state", "=", "active"),
                    ("billing_profile_id.billing_type", "=", "monthly"),
                    ("billing_profile_id.auto_bill", "=", True),
                ],
                lang="bn_IN",
                email=self.emails_on("invoice_generated"),
            )
            run = self.call(
                "isp.billing.run",
                "create",
                {
                    "subscription_id": subscription["id"],
                    "period_year": year,
                    "period_month": str(month),
                },
            )
            self.call("isp.billing.run", "action_start", [run])
            if self.read("isp.billing.run", [run], ["invoiced_count"])[0]["invoiced_count"]:
                break
        else:
            raise RuntimeError(f"billing runs for {year}-{month:02d} invoiced nothing")
        channels = self.channels_of(subscription, "invoice_generated")
        self.expect_subscriber("invoice_generated", subscription, since, channels)

    def ticket_reply(self):
        if not self.installed("isp_portal"):
            raise LookupError("isp_portal is not installed")
        since = self.last_message_id()
        subscription = self.pick([("state", "=", "active")], lang="bn_IN")
        ticket = self.call(
            "helpdesk.ticket",
            "create",
            {
                "name": "No internet since morning",
                "description": "The router's light is red.",
                "partner_id": subscription["partner_id"][0],
                "isp_subscription_id": subscription["id"],
            },
        )
        # the chatter's "Send message", as a staff member replies
        session = requests.Session()
        self.json(
            session,
            "/web/session/authenticate",
            {"db": self.db, "login": self.login, "password": self.password},
        )
        self.json(
            session,
            "/mail/message/post",
            {
                "thread_model": "helpdesk.ticket",
                "thread_id": ticket,
                "post_data": {
                    "body": "A technician is on the way; please keep the router on.",
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
            },
        )
        self.expect_subscriber("ticket_replied", subscription, since)

    def json(self, session, path, params):
        reply = session.post(
            self.url + path, json={"jsonrpc": "2.0", "method": "call", "params": params}, timeout=60
        ).json()
        if "error" in reply:
            raise RuntimeError(reply["error"].get("data", {}).get("message") or reply["error"])
        return reply["result"]

    def maintenance(self):
        """A maintenance notice to the smallest zone with subscribers."""
        since = self.last_message_id()
        template = self.call(
            "isp.notify.template", "search", [("code", "=", "maintenance_notice")], limit=1
        )
        zones = self.call(
            "isp.subscription",
            "read_group",
            [("state", "=", "active"), ("partner_id.mobile", "!=", False)],
            ["zone_id"],
            ["zone_id"],
            orderby="zone_id_count",
        )
        zones = [z for z in zones if z["zone_id"]]
        if not template or not zones:
            raise RuntimeError("no maintenance_notice template or no zone with subscribers")
        zone = zones[0]["zone_id"]
        start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 86400))
        campaign = self.call(
            "isp.notify.campaign",
            "create",
            {
                "name": f"Maintenance check {zone[1]}",
                "kind": "maintenance",
                "channel": "sms",
                "template_id": template[0],
                "zone_ids": [(6, 0, [zone[0]])],
                "window_start": start,
                "schedule_mode": "now",
            },
        )
        count = self.read("isp.notify.campaign", [campaign], ["recipient_count"])[0]
        self.call("isp.notify.campaign", "action_start", [campaign])
        self.expects.append(
            Expect(
                "maintenance_notice",
                "sms",
                [("campaign_id", "=", campaign), ("id", ">", since)],
                f"zone {zone[1]}",
                lang="*",
                minimum=count["recipient_count"],
            )
        )

    def run_cron(self, xmlid):
        cron = self.ref(xmlid)
        if not cron:
            raise RuntimeError(f"no scheduled action {xmlid}")
        self.call("ir.cron", "method_direct_trigger", [cron])

    def expiry_warnings(self):
        """The daily expiry warning job (the demo has subscribers expiring in N days)."""
        triggers = self.call(
            "isp.notify.trigger",
            "search_read",
            [("event_code", "=", "expiry_warning"), ("audience", "=", "subscriber")],
            fields=["days_before", "channel"],
            order="days_before",
        )
        if not triggers:
            raise RuntimeError("no expiry_warning trigger")
        since = self.last_message_id()
        self.run_cron("isp_base.ir_cron_isp_notify_expiry_warnings")
        # a second run the same day sends nothing again: the key is the last day and N
        earlier = ["|"] * (len(triggers) - 1) + [
            ("dedupe_key", "like", f"%:{self.today + timedelta(days=days)}:{days}:%")
            for days in (t["days_before"] for t in triggers)
        ]
        self.expects.append(
            Expect(
                "expiry_warning",
                triggers[0]["channel"],
                [("id", ">", since)],
                "subscribers expiring in "
                + "/".join(str(t["days_before"]) for t in triggers)
                + " days",
                lang="*",
                earlier=earlier,
            )
        )

    def dunning(self):
        """Invoices due in 7, 3 and 1 days and one at its suspension notice, then the
        daily dunning job (reminders, notice; overdue when the notice is after the due
        date)."""
        since = self.last_message_id()
        plan = []
        for event, days in (
            ("invoice_due_7", 7),
            ("invoice_due_3", 3),
            ("invoice_due_1", 1),
            ("suspension_notice", None),
        ):
            # a notice only for subscriptions that overdue bills suspend
            suspending = [("billing_profile_id.auto_suspend", "=", True)] if days is None else []
            subscription = self.pick(
                [
                    ("state", "=", "active"),
                    ("billing_profile_id.billing_type", "=", "monthly"),
                    ("billing_profile_id.auto_bill", "=", True),
                    ("billing_profile_id.is_vip", "=", False),
                    *suspending,
                ],
                lang="en_US" if len(plan) % 2 else "bn_IN",
                extra=["billing_profile_id"],
            )
            grace = self.read(
                "isp.billing.profile", [subscription["billing_profile_id"][0]], ["grace_days"]
            )[0]["grace_days"]
            if days is None:  # the notice: on the due date, or the day after with grace
                days = -1 if grace else 0
            self.post_invoice(subscription, self.today + timedelta(days=days))
            plan.append((event, subscription))
            if event == "suspension_notice" and days < 0:
                plan.append(("overdue", subscription))
        self.run_cron("isp_billing.ir_cron_isp_dunning")
        for event, subscription in plan:
            self.expect_subscriber(event, subscription, since)

    def post_invoice(self, subscription, due):
        """A posted invoice of the subscription's package, due on ``due``."""
        invoice = self.call(
            "account.move",
            "create",
            {
                "move_type": "out_invoice",
                "partner_id": subscription["partner_id"][0],
                "isp_subscription_id": subscription["id"],
                "invoice_date": str(min(due, self.today)),
                "invoice_date_due": str(due),
                "invoice_line_ids": [
                    (0, 0, {"product_id": subscription["package_id"][0], "quantity": 1})
                ],
            },
        )
        self.call("account.move", "action_post", [invoice])
        return invoice

    def daily_summary(self):
        since = self.last_message_id()
        self.run_cron("isp_base.ir_cron_isp_notify_daily_summary")
        day = str(self.today)
        self.expects.append(
            Expect(
                "daily_summary",
                "telegram",
                [("id", ">", since)],
                "staff",
                earlier=[("dedupe_key", "like", f"%:{day}:%")],
            )
        )

    def router_events(self):
        """A test router against a RouterOS simulator run here: up, down, up again."""
        if not self.installed("isp_network"):
            raise LookupError("isp_network is not installed")
        sys.path.insert(0, str(REPO_DIR / "tests"))
        from simulators.routeros import RouterOSSimulator

        simulator = RouterOSSimulator().start()
        try:
            name = "Notification check router"
            ids = self.call("isp.router", "search", [("name", "=", name)])
            values = {
                "host": "127.0.0.1",
                "api_port": simulator.port,
                "api_username": simulator.username,
                "api_password": simulator.password,
            }
            if ids:
                self.call("isp.router", "write", ids, values)
                router = ids[0]
            else:
                router = self.call("isp.router", "create", {"name": name, **values})
            self.call("isp.router", "action_test_connection", [router])
            since = self.last_message_id()
            simulator.stop()
            self.call("isp.router", "action_test_connection", [router])
            self.expects.append(Expect("router_down", "telegram", [("id", ">", since)], name))
            since = self.last_message_id()
            simulator.start()
            self.call("isp.router", "action_test_connection", [router])
            self.expects.append(Expect("router_up", "telegram", [("id", ">", since)], name))
        finally:
            simulator.stop()

    # ---------------------------------------------------------------- checking

    def messages(self, expect):
        fields = [
            "state",
            "recipient",
            "lang",
            "provider_message_id",
            "error",
            "gateway_id",
            "partner_id",
            "event_code",
        ]
        rows = self.call(
            "isp.notify.message", "search_read", expect.domain, fields=fields, order="id"
        )
        if not rows and expect.earlier:
            domain = [d for d in expect.domain if d[0] != "id"] + expect.earlier
            rows = self.call("isp.notify.message", "search_read", domain, fields=fields)
            for row in rows:
                row["earlier"] = True
        return rows

    def wait(self, timeout):
        """Until every expected message is in a final state (the drains ran)."""
        deadline = time.monotonic() + timeout
        while True:
            pending = 0
            for expect in self.expects:
                rows = self.messages(expect)
                if len(rows) < expect.minimum or any(r["state"] not in FINAL for r in rows):
                    pending += 1
            if not pending or time.monotonic() > deadline:
                return pending
            time.sleep(1)

    def simulator_has(self, row, gateways, reference=None):
        """The SMS simulator's delivery status of the message (SSL Wireless only)."""
        gateway = gateways.get(row["gateway_id"][0]) if row["gateway_id"] else None
        if not gateway or gateway["provider"] != "ssl_wireless":
            return None
        sys.path.insert(0, str(REPO_DIR / "tests"))
        from simulators.sms_gateway import API_KEY

        answer = requests.get(
            gateway["base_url"].rstrip("/") + "/api/v3/dlr-status-check",
            params={"api_token": API_KEY, "csms_id": reference or f"isp{self.uuid[:8]}{row['id']}"},
            timeout=10,
        ).json()
        return (answer.get("smsinfo") or {}).get("sms_status")

    def verify(self, expect, gateways):
        rows = self.messages(expect)
        head = f"{expect.event} {expect.channel}"
        if len(rows) < expect.minimum:
            return (
                False,
                f"{head} {expect.label}: {len(rows)} message(s), {expect.minimum} expected",
            )
        problems = []
        for row in rows:
            if row["state"] not in DONE:
                problems.append(f"#{row['id']} {row['state']} {row['error'] or ''}".strip())
            elif expect.channel != "email" and not row["provider_message_id"]:
                problems.append(f"#{row['id']} has no provider message id")
            elif expect.lang not in (None, "*") and row["lang"] != expect.lang:
                problems.append(f"#{row['id']} in {row['lang']}, not {expect.lang}")
        sample = rows[-1]
        detail = f"{sample['recipient']} {sample['lang'] or '-'} #{sample['id']} {sample['state']}"
        if sample["provider_message_id"]:
            detail += f" id={sample['provider_message_id']}"
        if not problems and sample["state"] in DONE and not sample.get("earlier"):
            status = self.simulator_has(sample, gateways, expect.reference)
            if status == "NOT_FOUND":
                problems.append(f"#{sample['id']} is not in the SMS simulator")
            elif status:
                detail += f" simulator={status}"
            if expect.channel == "email":
                received = self.sink_has(sample)
                if received is False:
                    problems.append(f"#{sample['id']} is not in the SMTP sink's log")
                elif received:
                    detail += f" sink={received['subject']!r}"
        if len(rows) > 1:
            detail += f" (+{len(rows) - 1} more)"
        if any(row.get("earlier") for row in rows):
            detail += " (sent earlier today)"
        line = f"{head} {detail} [{expect.label}]"
        if problems:
            return False, f"{line}: {'; '.join(problems[:3])}"
        return True, line


ACTIONS = (
    ("test", "gateway_tests"),
    ("suspended/restored/expired", "lifecycle"),
    ("new_connection", "new_connection"),
    ("password_changed", "change_password"),
    ("package_changed", "package_change"),
    ("payment_received", "counter_payment"),
    ("recharged", "recharge"),
    ("invoice_generated", "billing_run"),
    ("ticket_replied", "ticket_reply"),
    ("maintenance_notice", "maintenance"),
    ("expiry_warning", "expiry_warnings"),
    ("dunning", "dunning"),
    ("daily_summary", "daily_summary"),
    ("router_down/router_up", "router_events"),
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="isp_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    check = Check(args.url, args.db, args.login, args.password)
    failed = events = 0
    for label, method in ACTIONS:
        try:
            getattr(check, method)()
        except LookupError as exc:
            print(f"SKIP {label}: {exc}", flush=True)
        except (RuntimeError, requests.RequestException, xmlrpc.client.Fault, OSError) as exc:
            message = (
                exc.faultString.strip().splitlines()[-1] if hasattr(exc, "faultString") else exc
            )
            print(f"FAIL {label}: {type(exc).__name__}: {message}", flush=True)
            failed += 1
            events += 1
    started = time.monotonic()
    pending = check.wait(args.timeout)
    print(f"(drained in {time.monotonic() - started:.1f} s, {pending} still pending)")
    gateways = {
        g["id"]: g
        for g in check.call(
            "isp.notify.gateway",
            "search_read",
            [("active", "in", (True, False))],
            fields=["provider", "base_url"],
        )
    }
    for line in check.skipped:
        print(line, flush=True)
    for expect in check.expects:
        try:
            ok, line = check.verify(expect, gateways)
        except (requests.RequestException, xmlrpc.client.Fault, ValueError) as exc:
            ok, line = False, f"{expect.event} {expect.channel}: {type(exc).__name__}: {exc}"
        print(("OK   " if ok else "FAIL ") + line, flush=True)
        events += 1
        failed += not ok
    print(f"events={events} failed={failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
