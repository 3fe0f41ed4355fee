#!/usr/bin/env python3
"""Run the payment gateways' simulators for the demo ISP, in the background.

    scripts/gateway_simulators.py start  [--db DB] [--port-base 8971]
    scripts/gateway_simulators.py stop
    scripts/gateway_simulators.py status
    scripts/gateway_simulators.py configure --db DB

`start` runs the simulators of tests/simulators (bKash, Nagad, SSLCommerz, aamarPay,
shurjoPay; then the SMS gateway and the WhatsApp/Telegram ones on port-base+5 and +6,
the SMTP sink on +7) as one background process on 127.0.0.1, ports port-base .. +7, in
their interactive mode: their payment pages show "Pay" / "Cancel" buttons a person can
click. Pid file, state and log: .data/gateway_simulators/. Nagad's and the merchant's RSA
key pairs are generated once there, so a restart keeps the configured keys valid.

With --db (or `configure`), the database's five payment providers are pointed at the
simulators through Odoo's ORM: base URLs (system parameters isp_billing.<code>_base_url),
the simulators' credentials, state "test", published, payment methods active, journals.
A provider already enabled (live) is left alone. The notification gateways
"Simulator SMS (SSL Wireless)", "Simulator SMS (BulkSMSBD)", "Simulator WhatsApp" and
"Simulator Telegram" are created (or updated) against the simulators; the outgoing mail
server "Simulator SMTP sink" points at the SMTP sink (port-base+7, every e-mail it
receives is logged to .data/gateway_simulators/smtp_sink.jsonl) and the e-mail gateway is
switched on. On a database with isp_billing's demo
data it also prepares paying: the books in BDT, overdue subscriptions suspended (the
daily job), and it prints a few suspended subscribers' invoice links to pay.
Run it with the Odoo venv's Python.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("ISP_DATA_DIR", REPO_DIR / ".data"))
STATE_DIR = DATA_DIR / "gateway_simulators"
PID_FILE = STATE_DIR / "simulators.pid"
STATE_FILE = STATE_DIR / "state.json"
LOG_FILE = STATE_DIR / "simulators.log"
DEFAULT_PORT_BASE = int(os.environ.get("ISP_GATEWAY_PORT_BASE", "8971"))
HOST = "127.0.0.1"
CODES = ("bkash", "nagad", "sslcommerz", "aamarpay", "shurjopay")
# ---- notifications: the SMS gateway (BulkSMSBD, SSL Wireless, generic) and the
# messaging (WhatsApp Cloud API, Telegram Bot API) simulators
NOTIFY_CODES = ("sms", "messaging")
TELEGRAM_STAFF_CHAT = "-1001000000001"
# ---- notifications: the SMTP sink (e-mail), after the WhatsApp/Telegram simulator
SMTP_SERVER_NAME = "Simulator SMTP sink"
SMTP_SINK_LOG = STATE_DIR / "smtp_sink.jsonl"

# The simulators' credentials: what they accept and what the providers are given.
BKASH = {
    "app_key": "sim-app-key",
    "app_secret": "sim-app-secret",
    "username": "sandboxTokenizedUser02",
    "password": "sim-password",
}
NAGAD_MERCHANT_ID = "683002007104225"
NAGAD_MERCHANT_NUMBER = "01711428036"
SSLCOMMERZ = {"store_id": "testbox", "store_passwd": "qwerty"}
AAMARPAY = {"store_id": "aamarpaytest", "signature_key": "dbb74894e82415a2f7ff0ec3a97e4183"}
SHURJOPAY = {"username": "sp_sandbox", "password": "pyyk97hu&6u6", "prefix": "ISP"}


def _ports(port_base):
    ports = {code: port_base + index for index, code in enumerate(CODES)}
    # ---- notifications: SMS, WhatsApp and Telegram simulators after the payment ones
    ports.update({code: port_base + len(CODES) + i for i, code in enumerate(NOTIFY_CODES)})
    ports["smtp"] = port_base + len(CODES) + len(NOTIFY_CODES)
    return ports


def _base_urls(ports):
    """The API base URL of each simulator, as the providers' clients expect it."""
    sys.path.insert(0, str(REPO_DIR / "tests"))
    from simulators import bkash, nagad

    root = {code: f"http://{HOST}:{port}" for code, port in ports.items()}
    return {
        "bkash": root["bkash"] + bkash.API_PREFIX,
        "nagad": root["nagad"] + nagad.BASE_PATH,
        "sslcommerz": root["sslcommerz"],
        "aamarpay": root["aamarpay"],
        "shurjopay": root["shurjopay"] + "/api/",
        # ---- notifications
        "sms": root["sms"],
        "messaging": root["messaging"],
        **({"smtp": f"smtp://{HOST}:{ports['smtp']}"} if "smtp" in ports else {}),
    }


# ---------------------------------------------------------------------- files


def _read_state():
    try:
        return json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return {}


def _running_pid():
    try:
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    try:  # a recycled pid is not ours
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid
    return pid if b"gateway_simulators" in cmdline else None


def _key_pair(name):
    """(private_pem, public_pem) kept in STATE_DIR/<name>_{private,public}.pem."""
    private_file = STATE_DIR / f"{name}_private.pem"
    public_file = STATE_DIR / f"{name}_public.pem"
    if private_file.exists() and public_file.exists():
        return private_file.read_text(), public_file.read_text()
    sys.path.insert(0, str(REPO_DIR / "tests"))
    from simulators.nagad import generate_key_pair

    STATE_DIR.mkdir(parents=True, exist_ok=True)
    private_pem, public_pem = generate_key_pair()
    private_file.write_text(private_pem)
    private_file.chmod(0o600)
    public_file.write_text(public_pem)
    return private_pem, public_pem


def _nagad_keys():
    """Nagad's key pair (the simulator's) and the merchant's (our provider's)."""
    return _key_pair("nagad"), _key_pair("merchant")


def _port_open(port, timeout=0.2):
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------------- serve


def cmd_serve(args) -> int:
    """Run the five simulators in this process until SIGTERM/SIGINT."""
    sys.path.insert(0, str(REPO_DIR / "tests"))
    from simulators.aamarpay import AamarPaySimulator
    from simulators.bkash import BkashSimulator
    from simulators.messaging import MessagingSimulator
    from simulators.nagad import NagadSimulator
    from simulators.shurjopay import ShurjoPaySimulator
    from simulators.sms_gateway import SmsGatewaySimulator
    from simulators.smtp_sink import SmtpSink
    from simulators.sslcommerz import SSLCommerzSimulator

    (nagad_private, _nagad_public), (_merchant_private, merchant_public) = _nagad_keys()
    ports = _ports(args.port_base)
    simulators = {
        "bkash": BkashSimulator(**BKASH),
        "nagad": NagadSimulator(
            NAGAD_MERCHANT_ID,
            merchant_public,
            merchant_number=NAGAD_MERCHANT_NUMBER,
            private_key_pem=nagad_private,
        ),
        "sslcommerz": SSLCommerzSimulator(**SSLCOMMERZ),
        "aamarpay": AamarPaySimulator(**AAMARPAY),
        "shurjopay": ShurjoPaySimulator(SHURJOPAY["username"], SHURJOPAY["password"]),
        # ---- notifications
        "sms": SmsGatewaySimulator(),
        "messaging": MessagingSimulator(),
        "smtp": SmtpSink(log_path=SMTP_SINK_LOG),
    }
    started = []
    try:
        for code, simulator in simulators.items():
            simulator.interactive = True  # bKash, Nagad: a page instead of an instant 302
            simulator.start(port=ports[code])
            # A browser closing the connection early is not worth a traceback.
            simulator._server.handle_error = lambda request, client_address: None
            started.append(simulator)
            scheme = "smtp" if code == "smtp" else "http"
            print(f"{code}: {scheme}://{HOST}:{ports[code]}", flush=True)
    except OSError as exc:
        print(f"error: cannot listen on {HOST}:{ports[code]}: {exc}", file=sys.stderr)
        for simulator in started:
            simulator.stop()
        return 1
    stop = []
    signal.signal(signal.SIGTERM, lambda *_a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_a: stop.append(1))
    while not stop:
        time.sleep(0.5)
    for simulator in started:
        simulator.stop()
    return 0


# ---------------------------------------------------------------------- start / stop


def cmd_start(args) -> int:
    pid = _running_pid()
    if pid:
        state = _read_state()
        print(f"The gateway simulators already run (pid {pid}, ports {state.get('ports')})")
    else:
        ports = _ports(args.port_base)
        busy = [port for port in ports.values() if _port_open(port)]
        if busy:
            print(f"error: ports {busy} on {HOST} are taken", file=sys.stderr)
            return 1
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        _nagad_keys()
        with open(LOG_FILE, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "serve"]
                + ["--port-base", str(args.port_base)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=REPO_DIR,
            )
        PID_FILE.write_text(str(process.pid))
        STATE_FILE.write_text(json.dumps({"ports": ports, "urls": _base_urls(ports)}, indent=1))
        deadline = time.monotonic() + args.timeout
        while not all(_port_open(port) for port in ports.values()):
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    process.terminate()
                PID_FILE.unlink(missing_ok=True)
                print(f"error: the simulators did not start; see {LOG_FILE}", file=sys.stderr)
                return 1
            time.sleep(0.1)
        print(f"Gateway simulators (pid {process.pid}), log {LOG_FILE}:")
        for code, url in _base_urls(ports).items():
            print(f"  {code:<11} {url}")
    if args.db:
        return cmd_configure(args)
    return 0


def cmd_stop(args) -> int:
    pid = _running_pid()
    if not pid:
        print("The gateway simulators are not running")
        PID_FILE.unlink(missing_ok=True)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _running_pid() and time.monotonic() < deadline:
        time.sleep(0.1)
    if _running_pid():
        os.kill(pid, signal.SIGKILL)
    PID_FILE.unlink(missing_ok=True)
    print(f"The gateway simulators (pid {pid}) stopped")
    return 0


def cmd_status(args) -> int:
    pid = _running_pid()
    if not pid:
        print("The gateway simulators: not running")
        return 3
    state = _read_state()
    ports = state.get("ports", {})
    down = [code for code, port in ports.items() if not _port_open(port)]
    print(
        f"The gateway simulators: running (pid {pid})"
        + (f", NOT answering: {', '.join(down)}" if down else "")
        + f", log {LOG_FILE}"
    )
    for code, url in state.get("urls", {}).items():
        print(f"  {code:<11} {url}")
    return 1 if down else 0


# ---------------------------------------------------------------------- configure


def _provider_values(code):
    """The credentials (write-only fields) of provider ``code`` for its simulator."""
    if code == "bkash":
        return {f"bkash_{key}": value for key, value in BKASH.items()}
    if code == "nagad":
        (_nagad_private, nagad_public), (merchant_private, _pub) = _nagad_keys()
        return {
            "nagad_merchant_id": NAGAD_MERCHANT_ID,
            "nagad_merchant_number": NAGAD_MERCHANT_NUMBER,
            "nagad_public_key": nagad_public,
            "nagad_private_key": merchant_private,
        }
    if code == "sslcommerz":
        return {f"sslcommerz_{key}": value for key, value in SSLCOMMERZ.items()}
    if code == "aamarpay":
        return {f"aamarpay_{key}": value for key, value in AAMARPAY.items()}
    return {f"shurjopay_{key}": value for key, value in SHURJOPAY.items()}


def _configure_providers(env, urls):
    params = env["ir.config_parameter"].sudo()
    for code in CODES:
        provider = env.ref(f"isp_billing.payment_provider_{code}", raise_if_not_found=False)
        method = env.ref(f"isp_billing.payment_method_{code}", raise_if_not_found=False)
        if not provider or provider.code != code or not method:
            print(f"  {code}: no such provider; update isp_billing (-u isp_billing) first")
            continue
        if provider.state == "enabled":
            print(f"  {code}: enabled (live), left alone")
            continue
        params.set_param(f"isp_billing.{code}_base_url", urls[code])
        params.set_param(f"isp_billing.{code}_timeout", "10")
        method.active = True
        company = provider.company_id or env.company
        journal = env["account.journal"]._isp_get_payment_journal(
            code if code in ("bkash", "nagad") else "bank", company
        )
        provider.write(
            {
                "state": "test",
                "is_published": True,
                "payment_method_ids": [(6, 0, method.ids)],
                **_provider_values(code),
            }
        )
        provider.journal_id = journal
        print(f"  {code}: test mode against {urls[code]}, journal {journal.name}")


def _prepare_demo(env):
    """On the demo ISP: BDT books, the daily suspension job, and whom to pay for."""
    module = env["ir.module.module"].search([("name", "=", "isp_billing")])
    if not module.demo:
        return
    if env["isp.demo.generator"]._isp_demo_use_bdt():
        print("  demo: the books were relabelled in BDT (the gateways take BDT only)")
    env["isp.subscription"]._cron_suspend_overdue()
    subscriptions = env["isp.subscription"].search(
        [("state", "=", "suspended"), ("billing_suspended", "=", True)], order="id"
    )
    base_url = env["ir.config_parameter"].sudo().get_param("web.base.url")
    print(f"  demo: {len(subscriptions)} subscribers suspended for unpaid bills; for example:")
    shown = 0
    for subscription in subscriptions:
        invoices = env["account.move"].search(
            [
                ("partner_id", "child_of", subscription.partner_id.commercial_partner_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        if len(invoices) != 1:
            continue
        print(
            f"    {subscription.name} {subscription.partner_id.name}: {invoices.name} "
            f"{invoices.amount_residual:.2f} {invoices.currency_id.name} "
            f"{base_url}{invoices.get_portal_url()}"
        )
        shown += 1
        if shown == 3:
            break


# ---- notifications: the demo's gateways


def _notify_gateway_values(urls):
    """The demo's SMS, WhatsApp and Telegram gateways, pointing at the simulators."""
    sys.path.insert(0, str(REPO_DIR / "tests"))
    from simulators import messaging, sms_gateway

    sms = {"sender_id": sms_gateway.SENDER, "api_key": sms_gateway.API_KEY}
    return {
        "Simulator SMS (SSL Wireless)": {
            **sms,
            "channel": "sms",
            "provider": "ssl_wireless",
            "sequence": 1,
            "base_url": urls["sms"],
            "rate_per_second": 50,
            "cost_per_segment": 0.25,
        },
        "Simulator SMS (BulkSMSBD)": {
            **sms,
            "channel": "sms",
            "provider": "bulksmsbd",
            "sequence": 2,
            "base_url": urls["sms"] + "/api",
            "rate_per_second": 50,
            "cost_per_segment": 0.25,
        },
        "Simulator WhatsApp": {
            "channel": "whatsapp",
            "provider": "whatsapp_cloud",
            "base_url": urls["messaging"],
            "whatsapp_phone_number_id": messaging.WHATSAPP_PHONE_NUMBER_ID,
            "whatsapp_token": messaging.WHATSAPP_TOKEN,
            "rate_per_second": 20,
        },
        "Simulator Telegram": {
            "channel": "telegram",
            "provider": "telegram_bot",
            "base_url": urls["messaging"],
            "telegram_token": messaging.TELEGRAM_TOKEN,
            "telegram_chat_ids": TELEGRAM_STAFF_CHAT,
            "rate_per_second": 20,
        },
    }


def _configure_notify_gateways(env, urls):
    if "isp.notify.gateway" not in env:
        return
    Gateway = env["isp.notify.gateway"].with_context(active_test=False)
    print("Pointing the notification gateways at the simulators:")
    for name, values in _notify_gateway_values(urls).items():
        gateway = Gateway.search([("name", "=", name)], limit=1)
        if gateway:
            gateway.write({**values, "active": True})
        else:
            gateway = Gateway.create({"name": name, **values})
        print(f"  {name}: {values['base_url']}")
    email = env.ref("isp_base.notify_gateway_demo_email", raise_if_not_found=False)
    if not email:
        email = Gateway.search([("provider", "=", "odoo_mail")], limit=1)
    if not email:
        email = Gateway.create({"name": "E-mail", "channel": "email", "provider": "odoo_mail"})
    server = _configure_smtp_sink(env, urls)
    email.write({"active": True, "sequence": 1})
    print(f"  {email.name}: Odoo's outgoing mail" + (f" ({server.name})" if server else ""))


def _configure_smtp_sink(env, urls):
    """The outgoing mail server of the demo: the SMTP sink, plain SMTP, no login."""
    if "smtp" not in urls:
        return None
    port = int(urls["smtp"].rsplit(":", 1)[1])
    Server = env["ir.mail_server"].with_context(active_test=False)
    values = {
        "smtp_host": HOST,
        "smtp_port": port,
        "smtp_encryption": "none",
        "smtp_authentication": "login",
        "smtp_user": False,
        "smtp_pass": False,
        "from_filter": False,
        "sequence": 90,  # a real server of the database comes first
        "active": True,
    }
    server = Server.search([("name", "=", SMTP_SERVER_NAME)], limit=1)
    if server:
        server.write(values)
    else:
        server = Server.create({"name": SMTP_SERVER_NAME, **values})
    print(f"  {SMTP_SERVER_NAME}: outgoing mail server {urls['smtp']}, log {SMTP_SINK_LOG}")
    return server


def cmd_configure(args) -> int:
    conf = DATA_DIR / "odoo.local.conf"
    if not conf.exists():
        print(f"error: {conf} is missing; run scripts/setup.sh first.", file=sys.stderr)
        return 1
    state = _read_state()
    ports = state.get("ports") or _ports(args.port_base)
    urls = _base_urls(ports)
    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(["-c", str(conf), "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    print(f"Pointing the payment providers of {args.db} at the simulators:")
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        _configure_providers(env, urls)
        _prepare_demo(env)
        # ---- notifications
        _configure_notify_gateways(env, urls)
    registry.signal_changes()  # a running server reloads its caches
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in (
        ("start", cmd_start),
        ("stop", cmd_stop),
        ("status", cmd_status),
        ("configure", cmd_configure),
        ("serve", cmd_serve),
    ):
        cmd = sub.add_parser(name)
        cmd.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE)
        cmd.add_argument("--db", required=name == "configure")
        cmd.add_argument("--timeout", type=float, default=15.0)
        cmd.set_defaults(func=func)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
