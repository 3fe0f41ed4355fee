#!/usr/bin/env python3
"""Integrator example for the ISP suite over Odoo's XML-RPC API (see docs/API.md).

Creates a subscriber and a subscription, activates it, reads the dues, records a
counter payment, suspends and restores the connection, reads the daily usage and,
when given a pay-bill key, asks the public pay-bill API for the amount due.

    python3 docs/examples/api_example.py --url http://localhost:8069 --db mydb \\
        --user api@example.com --password <password or API key> [--paybill-key KEY]

Only the Python standard library is used.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xmlrpc.client


class Odoo:
    """A tiny XML-RPC client: ``authenticate`` once, then ``call(model, method, ...)``."""

    def __init__(self, url, db, user, secret):
        self.url, self.db, self.secret = url.rstrip("/"), db, secret
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common", allow_none=True)
        self.uid = common.authenticate(db, user, secret, {})
        if not self.uid:
            raise SystemExit("Authentication failed: check the database, login and password/key.")
        self.models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.db, self.uid, self.secret, model, method, list(args), kwargs
        )


def paybill_lookup(url, key, **query):
    """GET /api/paybill/v1/<key>?phone=... and return (HTTP status, JSON body)."""
    address = f"{url.rstrip('/')}/api/paybill/v1/{key}?{urllib.parse.urlencode(query)}"
    try:
        with urllib.request.urlopen(address, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def run(url, db, user, secret, paybill_key=None, amount=100.0, out=print):
    """Run every documented call; return the ids and values it produced."""
    odoo = Odoo(url, db, user, secret)
    out(f"authenticated as uid {odoo.uid}")
    stamp = str(int(time.time() * 1000))[-8:]
    mobile = "017" + stamp

    # 1. a subscriber (res.partner) and a subscription on a package
    package = odoo.call(
        "product.product",
        "search_read",
        [("is_isp_package", "=", True)],
        fields=["display_name", "list_price"],
        limit=1,
    )[0]
    partner_id = odoo.call(
        "res.partner",
        "create",
        {"name": f"API Example {stamp}", "mobile": mobile, "is_isp_subscriber": True},
    )
    sub_id = odoo.call(
        "isp.subscription",
        "create",
        {"partner_id": partner_id, "package_id": package["id"], "username": f"api.{stamp}"},
    )
    odoo.call("isp.subscription", "action_activate", [sub_id])
    sub = odoo.call(
        "isp.subscription", "read", [sub_id], fields=["name", "username", "state", "expiry_at"]
    )[0]
    out(
        f"subscription {sub['name']} ({sub['username']}) "
        f"on {package['display_name']}: {sub['state']}"
    )

    # 2. dues: open posted invoices of the subscription
    dues = odoo.call(
        "account.move",
        "search_read",
        [
            ("isp_subscription_id", "=", sub_id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ["not_paid", "partial"]),
        ],
        fields=["name", "invoice_date_due", "amount_residual"],
        order="invoice_date_due",
    )
    due_total = sum(invoice["amount_residual"] for invoice in dues)
    out(f"open invoices: {len(dues)}, amount due: {due_total:.2f}")

    # 3. a counter payment (cash, bKash, Nagad...): pays the open invoices oldest first,
    #    the rest stays as the subscriber's credit
    wizard_id = odoo.call(
        "isp.bill.payment",
        "create",
        {
            "mode": "quick",
            "subscription_id": sub_id,
            "payment_method": "cash",
            "amount": due_total or amount,
            "transaction_ref": f"API-{stamp}",
        },
    )
    result = odoo.call("isp.bill.payment", "action_confirm", [wizard_id])
    out(f"payment: {result['params']['message']}")

    # 4. suspend and restore
    odoo.call("isp.subscription", "action_suspend", [sub_id], reason="Example: suspended by API")
    state = odoo.call("isp.subscription", "read", [sub_id], fields=["state"])[0]["state"]
    out(f"after action_suspend: {state}")
    odoo.call("isp.subscription", "action_restore", [sub_id])
    state = odoo.call("isp.subscription", "read", [sub_id], fields=["state"])[0]["state"]
    out(f"after action_restore: {state}")

    # 5. usage of the last days
    usage = odoo.call(
        "isp.usage.daily",
        "search_read",
        [("subscription_id", "=", sub_id)],
        fields=["date", "download_bytes", "upload_bytes", "total_gb"],
        order="date desc",
        limit=30,
    )
    out(f"usage rows: {len(usage)}, total GB: {sum(row['total_gb'] for row in usage):.3f}")

    lookup = None
    if paybill_key:
        status, lookup = paybill_lookup(url, paybill_key, phone=mobile)
        out(f"pay-bill API: HTTP {status} {json.dumps(lookup, sort_keys=True)}")
    return {
        "partner_id": partner_id,
        "subscription_id": sub_id,
        "mobile": mobile,
        "due_total": due_total,
        "state": state,
        "paybill": lookup,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--user", required=True, help="login of the integration user")
    parser.add_argument("--password", required=True, help="password or API key of the user")
    parser.add_argument("--paybill-key", help="a pay-bill API key, to try the public lookup")
    parser.add_argument("--amount", type=float, default=100.0, help="payment when nothing is due")
    args = parser.parse_args(argv)
    try:
        run(args.url, args.db, args.user, args.password, args.paybill_key, args.amount)
    except xmlrpc.client.Fault as fault:
        print(
            f"Odoo refused the call: {fault.faultString.strip().splitlines()[-1]}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
