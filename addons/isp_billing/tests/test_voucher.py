# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import datetime
import threading
import time

from freezegun import freeze_time
from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.addons.isp_base.tests.common import IspBaseCommon
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..lib import vouchers


class VoucherCommon(IspBaseCommon):
    @classmethod
    def _create_batch(cls, env=None, quantity=5, package=None, **vals):
        env = env or cls.env
        return env["isp.voucher.batch"].create(
            {
                "package_id": (package or cls.package_home_10).id,
                "quantity": quantity,
                **vals,
            }
        )

    @classmethod
    def _generate(cls, env=None, **vals):
        batch = cls._create_batch(env=env, **vals)
        batch.action_generate()
        return batch

    @staticmethod
    def _pins(cards):
        return cards._get_printable_pins()


@tagged("post_install", "-at_install")
class TestVoucher(VoucherCommon):
    def test_generate_fifty_unique_cards(self):
        batch = self._create_batch(quantity=50, serial_prefix="hs")
        self.assertEqual(batch.state, "draft")
        self.assertTrue(batch.name.startswith("VB/"))
        self.assertEqual(batch.validity_days, 30)
        self.assertEqual(batch.price, self.package_home_10.lst_price)
        batch.action_generate()
        cards = batch.card_ids
        self.assertEqual(batch.state, "generated")
        self.assertEqual(len(cards), 50)
        self.assertEqual(batch.available_count, 50)
        self.assertEqual(batch.card_count, 50)
        self.assertEqual(len(set(cards.mapped("serial"))), 50)
        self.assertTrue(all(s.startswith("HS") and len(s) == 10 for s in cards.mapped("serial")))
        pins = self._pins(cards)
        self.assertEqual(len(set(pins.values())), 50)
        for pin in pins.values():
            self.assertEqual(vouchers.normalize_pin(pin, length=vouchers.PIN_LENGTH), pin)
        self.assertEqual(len(set(cards.sudo().mapped("pin_digest"))), 50)
        self.assertEqual(set(cards.mapped("validity_days")), {30})
        self.assertEqual(
            set(cards.mapped("expires_on")),
            {batch.date + datetime.timedelta(days=365)},
        )
        # a second batch continues the serial numbers
        other = self._generate(quantity=3, serial_prefix="hs")
        self.assertFalse(set(other.card_ids.mapped("serial")) & set(cards.mapped("serial")))
        self.assertGreater(min(other.card_ids.mapped("serial")), max(cards.mapped("serial")))
        with self.assertRaises(UserError):
            batch.action_generate()

    def test_cards_change_only_through_their_methods(self):
        batch = self._generate(quantity=2)
        card, other = batch.card_ids
        officer = self._create_user(
            "isp_voucher_officer", self.env.ref("isp_billing.group_isp_billing")
        )
        card.with_user(officer).assigned_partner_id = self.subscriber_karim
        self.assertEqual(card.state, "assigned")
        self.assertEqual(batch.assigned_count, 1)
        with self.assertRaises(UserError):
            other.with_user(officer).write({"state": "used"})
        with self.assertRaises(AccessError):
            other.with_user(officer).unlink()
        batch.with_user(officer).action_cancel()
        self.assertEqual(set(batch.card_ids.mapped("state")), {"expired"})

    def test_quantity_limits(self):
        with self.assertRaises(ValidationError):
            self._create_batch(quantity=0)
        with self.assertRaises(ValidationError):
            self._create_batch(quantity=1001)

    def test_pin_never_stored_in_plain(self):
        batch = self._generate(quantity=10)
        pins = self._pins(batch.card_ids)
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, pin_encrypted, pin_digest, row_to_json(c)::text "
            "FROM isp_voucher_card c WHERE batch_id = %s",
            (batch.id,),
        )
        rows = self.env.cr.fetchall()
        self.assertEqual(len(rows), 10)
        for card_id, encrypted, digest, whole_row in rows:
            pin = pins[card_id]
            self.assertTrue(encrypted.startswith("v1:"))
            self.assertNotIn(pin, whole_row)
            self.assertNotIn(vouchers.format_pin(pin), whole_row)
            self.assertEqual(len(digest), 64)
        # the PIN columns are for administrators only
        card = batch.card_ids[0]
        with self.assertRaises(AccessError):
            card.with_user(self.user_manager).read(["pin_encrypted"])
        with self.assertRaises(AccessError):
            card.with_user(self.user_manager).read(["pin_digest"])

    def test_redeem_extends_from_later_of_now_and_expiry(self):
        with freeze_time("2026-01-10 10:00:00"):
            batch = self._generate(quantity=2)
            pin_early, pin_late = self._pins(batch.card_ids).values()
            subscription = self._create_subscription_in_state("active")
            subscription.expiry_at = datetime.datetime(2026, 1, 20, 6, 0)
            self.env["isp.voucher.card"]._redeem(
                vouchers.format_pin(pin_early).lower(), subscription=subscription
            )
            self.assertEqual(subscription.expiry_at, datetime.datetime(2026, 2, 19, 6, 0))
            self.assertEqual(subscription.state, "active")
            card = batch.card_ids.filtered(lambda c: c.state == "used")
            self.assertEqual(len(card), 1)
            self.assertEqual(card.used_by_subscription_id, subscription)
            self.assertTrue(card.used_at)
            self.assertTrue(self._audit_rows(card, "other"))
        with freeze_time("2026-03-01 08:30:00"):
            subscription.action_expire()
            self.env["isp.voucher.card"]._redeem(pin_late, subscription=subscription)
            self.assertEqual(subscription.expiry_at, datetime.datetime(2026, 3, 31, 8, 30))
            self.assertEqual(subscription.state, "active")
        self.assertEqual(batch.used_count, 2)

    def test_redeem_twice_fails_already_used(self):
        batch = self._generate(quantity=1)
        pin = self._pins(batch.card_ids)[batch.card_ids.id]
        subscription = self._create_subscription_in_state("draft")
        self.env["isp.voucher.card"]._redeem(pin, subscription=subscription)
        self.assertEqual(subscription.state, "active")
        expiry = subscription.expiry_at
        with self.assertRaisesRegex(UserError, "already used"):
            self.env["isp.voucher.card"]._redeem(pin, subscription=subscription)
        self.assertEqual(subscription.expiry_at, expiry)

    def test_unknown_expired_and_malformed_pins(self):
        Card = self.env["isp.voucher.card"]
        subscription = self.sub_karim
        with self.assertRaisesRegex(UserError, "Unknown voucher PIN"):
            Card._redeem(vouchers.generate_pin(), subscription=subscription)
        for malformed in ("ABCD-EFGH-IJKL", "short", "", "ABCD-EFGH-JK23-X"):
            with self.assertRaisesRegex(UserError, "not a valid voucher PIN"):
                Card._redeem(malformed, subscription=subscription)
        batch = self._generate(quantity=2)
        card_old, card_cancelled = batch.card_ids
        pins = self._pins(batch.card_ids)
        card_old.expires_on = datetime.date(2020, 1, 1)
        with self.assertRaisesRegex(UserError, "expired"):
            Card._redeem(pins[card_old.id], subscription=subscription)
        with self._patch_cron_commit():
            Card._cron_expire_cards()
        self.assertEqual(card_old.state, "expired")
        self.assertEqual(card_cancelled.state, "available")
        batch.action_cancel()
        self.assertEqual(card_cancelled.state, "expired")
        with self.assertRaisesRegex(UserError, "expired"):
            Card._redeem(pins[card_cancelled.id], subscription=subscription)
        self.assertEqual(subscription.state, "draft")

    def test_suspended_subscription_is_restored(self):
        batch = self._generate(quantity=1)
        pin = self._pins(batch.card_ids)[batch.card_ids.id]
        subscription = self._create_subscription_in_state("suspended")
        self.env["isp.voucher.card"]._redeem(pin, subscription=subscription)
        self.assertEqual(subscription.state, "active")
        self.assertTrue(subscription.expiry_at > datetime.datetime.now())

    def test_redeem_without_subscription_creates_hotspot(self):
        batch = self._generate(quantity=1, package=self.package_hotspot_day)
        card = batch.card_ids
        pin = self._pins(card)[card.id]
        before = datetime.datetime.now().replace(microsecond=0)
        subscription = self.env["isp.voucher.card"]._redeem(pin, partner=self.subscriber_rahima)
        self.assertEqual(subscription.partner_id, self.subscriber_rahima)
        self.assertEqual(subscription.connection_type, "hotspot")
        self.assertEqual(subscription.state, "active")
        self.assertEqual(subscription.username, card.serial.lower())
        self.assertTrue(subscription.has_password)
        self.assertGreaterEqual(subscription.expiry_at, before + datetime.timedelta(days=1))
        self.assertEqual(card.used_by_subscription_id, subscription)

    def test_report_renders_for_staff_only(self):
        batch = self._generate(quantity=7)
        cards = batch.card_ids
        # this wkhtmltopdf build (unpatched Qt) warns that it ignores the header switch
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            pdf, report_type = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf("isp_billing.action_report_isp_voucher_card", cards.ids)
            )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertEqual(len(self._audit_rows(cards, "secret_reveal")), 7)
        html = self.env["ir.actions.report"]._render_qweb_html(
            "isp_billing.action_report_isp_voucher_card", cards[:1].ids
        )[0]
        pin = self._pins(cards[:1])[cards[:1].id]
        self.assertIn(vouchers.format_pin(pin).encode(), html)
        self.assertIn(cards[:1].serial.encode(), html)
        with self.assertRaises(AccessError):
            cards.with_user(self.user_support)._get_printable_pins()
        action = batch.action_print_cards()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_name"], "isp_billing.report_isp_voucher_card")


@tagged("post_install", "-at_install")
class TestVoucherConcurrency(VoucherCommon):
    """Two transactions redeem the same PIN at once: exactly one wins."""

    def setUp(self):
        super().setUp()
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            package = env["product.template"].create(
                {
                    "name": "Concurrency Hotspot",
                    "is_isp_package": True,
                    "type": "service",
                    "list_price": 20,
                    "isp_connection_type": "hotspot",
                    "isp_validity_days": 1,
                }
            )
            batch = self._generate(env=env, quantity=1, package=package.product_variant_id)
            card = batch.card_ids
            self.pin = card._isp_get_secret("pin_encrypted")
            self.committed = {"package": package.id, "batch": batch.id, "card": card.id}
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._cleanup_committed)

    def _cleanup_committed(self):
        with self.env.registry.cursor() as cr:
            cr.execute("DELETE FROM isp_voucher_card WHERE id = %s", (self.committed["card"],))
            cr.execute(
                "DELETE FROM mail_message WHERE model = 'isp.voucher.batch' AND res_id = %s",
                (self.committed["batch"],),
            )
            cr.execute(
                "DELETE FROM mail_followers WHERE res_model = 'isp.voucher.batch' AND res_id = %s",
                (self.committed["batch"],),
            )
            cr.execute("DELETE FROM isp_voucher_batch WHERE id = %s", (self.committed["batch"],))
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["product.template"].browse(self.committed["package"]).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def test_concurrent_redemptions_one_wins(self):
        # Environments are made here: the registry lock is held by the test runner.
        envs = {
            name: api.Environment(self.env.registry.cursor(), SUPERUSER_ID, {})
            for name in ("a", "b")
        }
        for env in envs.values():
            self.addCleanup(env.cr.close)
        barrier = threading.Barrier(2, timeout=10)
        results = {}

        def claim(env):
            card = env["isp.voucher.card"]._claim_pin(self.pin)
            # hold the row lock a moment so that the other one must wait for it
            time.sleep(0.5)
            return card.id

        def redeem(name):
            env = envs[name]
            try:
                barrier.wait()
                # Odoo runs in REPEATABLE READ: the loser of the race gets a serialization
                # failure, and the retry of its request (odoo.service.model.retrying, done
                # by hand: that one needs the registry lock) then finds the card used.
                try:
                    card_id = claim(env)
                except SerializationFailure:
                    env.cr.rollback()
                    card_id = claim(env)
                env.cr.commit()  # pylint: disable=invalid-commit
                results[name] = ("ok", card_id)
            except UserError as exc:
                env.cr.rollback()
                results[name] = ("error", str(exc))
            except Exception as exc:  # reported by the assertion below
                env.cr.rollback()
                results[name] = ("crash", repr(exc))

        threads = [threading.Thread(target=redeem, args=(name,)) for name in envs]
        with mute_logger("odoo.sql_db"):  # the loser's serialization failure
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        outcomes = sorted(result[0] for result in results.values())
        self.assertEqual(outcomes, ["error", "ok"], results)
        error = next(r[1] for r in results.values() if r[0] == "error")
        self.assertIn("already used", error)
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT state FROM isp_voucher_card WHERE id = %s", (self.committed["card"],)
            )
            self.assertEqual(cr.fetchone()[0], "used")
