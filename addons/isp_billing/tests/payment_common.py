"""Shared set-up of the payment provider tests (bKash, SSLCommerz ...).

A company working in BDT, a subscriber whose subscription is suspended for an
overdue posted invoice (115 BDT), and helpers to start the gateway simulators of
``<repo>/tests/simulators`` on loopback and to pay the invoice through the
portal's payment flow (``/invoice/transaction/<id>``) and the real controllers.
"""

import contextlib
import sys
from datetime import date
from pathlib import Path
from unittest.mock import patch
from urllib.parse import urlsplit

import requests
from lxml import html

from odoo.tests import HttpCase, common

from .common import IspBillingCommon

TESTS_DIR = str(Path(__file__).resolve().parents[3] / "tests")
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from simulators.aamarpay import AamarPaySimulator  # noqa: E402
from simulators.bkash import BkashSimulator  # noqa: E402
from simulators.nagad import NagadSimulator, generate_key_pair  # noqa: E402
from simulators.paypal import PaypalSimulator  # noqa: E402
from simulators.shurjopay import ShurjoPaySimulator  # noqa: E402
from simulators.sslcommerz import SSLCommerzSimulator  # noqa: E402
from simulators.stripe import StripeSimulator  # noqa: E402

__all__ = [
    "AamarPaySimulator",
    "BkashSimulator",
    "IspPaymentCommon",
    "NagadSimulator",
    "PaypalSimulator",
    "SSLCommerzSimulator",
    "ShurjoPaySimulator",
    "StripeSimulator",
    "generate_key_pair",
]

NAGAD_MERCHANT_ID = "683002007104225"
DUE = date(2026, 3, 10)
TODAY = date(2026, 3, 20)  # past the due date and the grace days


class IspPaymentCommon(IspBillingCommon, HttpCase):
    # The currency the company bills in (PayPal takes no BDT: its tests use USD).
    isp_currency_xmlid = "base.BDT"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency_bdt = cls.env.ref(cls.isp_currency_xmlid)
        cls.currency_bdt.active = True
        # The Bangladeshi gateways take BDT only: bill in BDT.
        cls.env.cr.execute(
            "UPDATE res_company SET currency_id = %s WHERE id = %s",
            (cls.currency_bdt.id, cls.company.id),
        )
        cls.company.invalidate_recordset(["currency_id"])
        cls.env["account.journal"].search([("company_id", "=", cls.company.id)]).write(
            {"currency_id": False}
        )
        cls.profile_monthly.write({"auto_suspend": True, "grace_days": 3})
        cls.sub = cls._create_billed_subscription(date(2026, 1, 15))
        run = cls.env["isp.billing.run"].create(
            {"period_year": 2026, "period_month": "3", "subscription_id": cls.sub.id}
        )
        run.action_start()
        cls.invoice = run.invoice_ids
        assert cls.invoice.state == "posted" and cls.invoice.amount_total == 115.0
        assert cls.invoice.currency_id == cls.currency_bdt
        cls.sub._isp_apply_payment_status(today=TODAY)
        assert cls.sub.state == "suspended"

    def setUp(self):
        super().setUp()
        today = patch.object(type(self.env["isp.subscription"]), "_isp_today", return_value=TODAY)
        today.start()
        self.addCleanup(today.stop)

    # ------------------------------------------------------------------ helpers

    @classmethod
    def _start_simulator(cls, simulator_class, **kwargs):
        simulator = simulator_class(**kwargs).start()
        # A reply written after the client gave up (timeout tests) breaks the pipe:
        # expected, and not worth a traceback in the log.
        simulator._server.handle_error = lambda request, client_address: None
        cls.addClassCleanup(simulator.stop)
        return simulator

    @classmethod
    def _setup_provider(cls, code, base_url, timeout="2", **vals):
        """The provider ``code`` in test mode, talking to ``base_url``."""
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param(f"isp_billing.{code}_base_url", base_url)
        params.set_param(f"isp_billing.{code}_timeout", timeout)
        return cls._enable_provider(
            cls.env.ref(f"isp_billing.payment_provider_{code}"),
            cls.env.ref(f"isp_billing.payment_method_{code}"),
            code if code in ("bkash", "nagad") else "bank",
            **vals,
        )

    @classmethod
    def _enable_provider(cls, provider, method, journal_method="bank", **vals):
        """``provider`` in test mode for the company, paying with ``method``."""
        provider.write(
            {
                "state": "test",
                "company_id": cls.company.id,
                "payment_method_ids": [(6, 0, method.ids)],
                **vals,
            }
        )
        method.active = True  # (once a provider of it is enabled)
        provider.journal_id = cls.env["account.journal"]._isp_get_payment_journal(
            journal_method, cls.company
        )
        return provider

    @classmethod
    def _setup_gateway(cls, code, timeout="2"):
        """Start the simulator of gateway ``code`` and configure its provider against it.

        Sets ``cls.sim`` and ``cls.provider`` (and ``cls.merchant_private_pem`` for Nagad).
        """
        if code == "bkash":
            cls.sim = cls._start_simulator(BkashSimulator)
            credentials = {
                "bkash_app_key": cls.sim.app_key,
                "bkash_app_secret": cls.sim.app_secret,
                "bkash_username": cls.sim.username,
                "bkash_password": cls.sim.password,
            }
        elif code == "nagad":
            cls.merchant_private_pem, merchant_public_pem = generate_key_pair()
            cls.sim = cls._start_simulator(
                NagadSimulator,
                merchant_id=NAGAD_MERCHANT_ID,
                merchant_public_key_pem=merchant_public_pem,
            )
            credentials = {
                "nagad_merchant_id": NAGAD_MERCHANT_ID,
                "nagad_merchant_number": cls.sim.merchant_number,
                "nagad_public_key": cls.sim.public_key_pem,
                "nagad_private_key": cls.merchant_private_pem,
            }
        elif code == "sslcommerz":
            cls.sim = cls._start_simulator(SSLCommerzSimulator)
            credentials = {
                "sslcommerz_store_id": cls.sim.store_id,
                "sslcommerz_store_passwd": cls.sim.store_passwd,
            }
        elif code == "aamarpay":
            cls.sim = cls._start_simulator(AamarPaySimulator)
            credentials = {
                "aamarpay_store_id": cls.sim.store_id,
                "aamarpay_signature_key": cls.sim.signature_key,
            }
        elif code == "shurjopay":
            cls.sim = cls._start_simulator(ShurjoPaySimulator)
            credentials = {
                "shurjopay_prefix": "ISP",
                "shurjopay_username": cls.sim.username,
                "shurjopay_password": cls.sim.password,
            }
        else:
            raise ValueError(f"no simulator for {code!r}")
        cls.provider = cls._setup_provider(code, cls.sim.base_url, timeout=timeout, **credentials)
        return cls.provider

    def _start_payment(self, provider, invoice=None, amount=None):
        """Start paying ``invoice`` as the customer does on the invoice portal.

        Returns ``(transaction, redirect_url)``: where the browser goes next.
        """
        invoice = invoice or self.invoice
        method = provider.payment_method_ids[:1]
        values = self.make_jsonrpc_request(
            f"/invoice/transaction/{invoice.id}",
            {
                "access_token": invoice._portal_ensure_token(),
                "provider_id": provider.id,
                "payment_method_id": method.id,
                "token_id": None,
                "amount": amount if amount is not None else invoice.amount_residual,
                "flow": "redirect",
                "tokenization_requested": False,
                "landing_route": invoice.get_portal_url(),
                "is_validation": False,
            },
        )
        tx = self.env["payment.transaction"].search([("reference", "=", values["reference"])])
        form = html.fromstring(values["redirect_form_html"])
        action = form.get("action")
        params = {i.get("name"): i.get("value") for i in form.iter("input")}
        if form.get("method", "get").lower() == "get" and params:
            action = requests.Request("GET", action, params=params).prepare().url
        return tx, action

    @contextlib.contextmanager
    def _short_client_timeout(self):
        """Let the gateway clients keep their short timeout (tests raise it to 10 s)."""

        def handler(cls, session, request, **kw):
            return common._super_send(session, request, **kw)

        with patch.object(type(self), "_request_handler", classmethod(handler)):
            yield

    def _follow_gateway(self, url, **params):
        """GET the gateway's payment page; return the callback URL it redirects to."""
        response = requests.get(url, params=params, allow_redirects=False, timeout=5)
        self.assertEqual(response.status_code, 302, response.text)
        return response.headers["Location"]

    def _open_local(self, url, **kwargs):
        """Open one of our URLs (absolute or not) on the test server."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.url_open(path, allow_redirects=False, **kwargs)

    def _payments(self):
        return self.env["account.payment"].search(
            [("partner_id", "=", self.sub.partner_id.commercial_partner_id.id)]
        )

    def _assert_unpaid(self):
        self.invoice.invalidate_recordset()
        self.sub.invalidate_recordset()
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertFalse(self._payments())
        self.assertEqual(self.sub.state, "suspended")

    def _assert_paid_once(self):
        self.invoice.invalidate_recordset()
        self.sub.invalidate_recordset()
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        payments = self._payments()
        self.assertEqual(len(payments), 1)
        self.assertEqual(payments.amount, 115.0)
        self.assertEqual(self.sub.state, "active")
        return payments
