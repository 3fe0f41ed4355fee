#!/usr/bin/env python3
"""Pay one suspended demo subscriber's bill with each gateway simulator, as a browser does.

    scripts/demo_pay_check.py [--url http://127.0.0.1:8069] [--db isp_demo]
                              [--login admin] [--password admin] [--providers bkash,nagad]

Needs the running demo server and the simulators (`scripts/gateway_simulators.py start
--db isp_demo`). For each provider it takes a subscriber suspended for non-payment with
exactly one open invoice, starts the payment on the invoice's portal page
(`/invoice/transaction/<id>` with the invoice's access token, as the Pay button does),
opens the simulator's payment page, clicks "Pay", follows the gateway back to our return
URL, and then checks through XML-RPC that the invoice is paid and the subscription active.
One line per provider; exit status 1 when one of them failed. The subscribers it paid
stay paid (it prints which).
"""

import argparse
import sys
import time
import xmlrpc.client
from urllib.parse import urljoin, urlsplit

import requests
from lxml import html

CODES = ("bkash", "nagad", "sslcommerz", "aamarpay", "shurjopay")


class Check:
    def __init__(self, url, db, login, password):
        self.url, self.db, self.password = url.rstrip("/"), db, password
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        self.uid = common.authenticate(db, login, password, {})
        if not self.uid:
            sys.exit(f"error: cannot log in to {db} at {url} as {login}")
        self.models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        self.used = set()

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.db, self.uid, self.password, model, method, list(args), kwargs
        )

    def read_one(self, model, record_id, fields):
        return self.call(model, "read", [record_id], fields)[0]

    # ---------------------------------------------------------------- picking a payer

    def pick_payer(self):
        """(subscription, invoice) of a subscriber suspended for one open BDT invoice."""
        subscriptions = self.call(
            "isp.subscription",
            "search_read",
            [("state", "=", "suspended"), ("billing_suspended", "=", True)],
            fields=["name", "partner_id"],
            order="id",
        )
        for subscription in subscriptions:
            if subscription["id"] in self.used:
                continue
            invoices = self.call(
                "account.move",
                "search_read",
                [
                    ("partner_id", "child_of", subscription["partner_id"][0]),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ],
                fields=["name", "amount_residual", "currency_id"],
            )
            if len(invoices) == 1 and invoices[0]["currency_id"][1] == "BDT":
                self.used.add(subscription["id"])
                return subscription, invoices[0]
        return None, None

    # ---------------------------------------------------------------- the browser's part

    def start_payment(self, session, provider, method_id, invoice):
        portal_url = self.call("account.move", "get_portal_url", [invoice["id"]])
        token = portal_url.split("access_token=")[1].split("&")[0]
        reply = session.post(
            f"{self.url}/invoice/transaction/{invoice['id']}",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "access_token": token,
                    "provider_id": provider["id"],
                    "payment_method_id": method_id,
                    "token_id": None,
                    "amount": invoice["amount_residual"],
                    "flow": "redirect",
                    "tokenization_requested": False,
                    "landing_route": portal_url,
                    "is_validation": False,
                },
            },
            timeout=30,
        ).json()
        if "error" in reply:
            raise RuntimeError(reply["error"].get("data", {}).get("message") or reply["error"])
        values = reply["result"]
        form = html.fromstring(values["redirect_form_html"])
        params = {i.get("name"): i.get("value") for i in form.iter("input") if i.get("name")}
        method = form.get("method", "get").lower()
        return values["reference"], form.get("action"), method, params

    def follow(self, session, action, method, params):
        """Open the gateway's page, click Pay, and come back to our server."""
        if method == "post":
            page = session.post(action, data=params, timeout=30, allow_redirects=False)
        else:
            page = session.get(action, params=params, timeout=30, allow_redirects=False)
        if page.status_code in (302, 303):  # a gateway that skips its own page
            page = session.get(urljoin(action, page.headers["Location"]), timeout=30)
        page.raise_for_status()
        pay = html.fromstring(page.text).get_element_by_id("pay")
        answer = session.get(urljoin(page.url, pay.get("href")), timeout=30, allow_redirects=False)
        if answer.status_code in (302, 303):
            target = urljoin(answer.url, answer.headers["Location"])
            back = session.get(target, timeout=60, allow_redirects=False)
        else:
            answer.raise_for_status()
            form = html.fromstring(answer.text).find(".//form")
            data = {i.get("name"): i.get("value") for i in form.iter("input") if i.get("name")}
            target = urljoin(answer.url, form.get("action"))
            back = session.post(target, data=data, timeout=60, allow_redirects=False)
        if urlsplit(target).netloc != urlsplit(self.url).netloc:
            raise RuntimeError(f"the gateway sent the browser to {target}, not to us")
        return urlsplit(target).path, back.status_code

    # ---------------------------------------------------------------- one provider

    def run(self, code):
        provider = self.call(
            "payment.provider",
            "search_read",
            [("code", "=", code)],
            fields=["name", "state", "payment_method_ids"],
        )
        if not provider or provider[0]["state"] == "disabled":
            return False, f"{code}: provider missing or disabled (gateway_simulators.py --db)"
        provider = provider[0]
        subscription, invoice = self.pick_payer()
        if not subscription:
            return False, f"{code}: no suspended subscriber with one open BDT invoice left"
        session = requests.Session()
        started = time.monotonic()
        reference, action, method, params = self.start_payment(
            session, provider, provider["payment_method_ids"][0], invoice
        )
        path, status = self.follow(session, action, method, params)
        deadline = time.monotonic() + 10
        while True:
            paid = self.read_one("account.move", invoice["id"], ["payment_state"])
            sub = self.read_one("isp.subscription", subscription["id"], ["state"])
            ok = paid["payment_state"] in ("paid", "in_payment") and sub["state"] == "active"
            if ok or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        tx = self.call(
            "payment.transaction",
            "search_read",
            [("reference", "=", reference)],
            fields=["state", "provider_reference"],
        )
        line = (
            f"{code}: {subscription['name']} ({subscription['partner_id'][1]}) paid "
            f"{invoice['name']} {invoice['amount_residual']:.2f} BDT -> return {path} "
            f"HTTP {status}, transaction {reference} {tx[0]['state'] if tx else '?'}, "
            f"invoice {paid['payment_state']}, subscription {sub['state']} "
            f"({time.monotonic() - started:.1f} s)"
        )
        return ok, ("OK   " if ok else "FAIL ") + line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="isp_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--providers", default=",".join(CODES))
    args = parser.parse_args(argv)
    check = Check(args.url, args.db, args.login, args.password)
    failed = 0
    for code in args.providers.split(","):
        try:
            ok, line = check.run(code.strip())
        except (RuntimeError, requests.RequestException, xmlrpc.client.Fault, KeyError) as exc:
            ok, line = False, f"FAIL {code}: {type(exc).__name__}: {exc}"
        print(line, flush=True)
        failed += not ok
    print(f"providers={len(args.providers.split(','))} failed={failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
