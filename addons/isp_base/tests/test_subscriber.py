import base64
import datetime
import re

import psycopg2

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IspBaseCommon


@tagged("post_install", "-at_install")
class TestSubscriber(IspBaseCommon):
    # ------------------------------------------------------------------
    # Mobile numbers
    # ------------------------------------------------------------------
    def test_mobile_normalised_on_create(self):
        cases = {
            "01712345678": "+8801712345678",
            "+8801812345678": "+8801812345678",
            "8801912345678": "+8801912345678",
            "017-1234 5679": "+8801712345679",
            "০১৭১১২২৩৩৪৪": "+8801711223344",  # Bangla digits
        }
        for raw, expected in cases.items():
            with self.subTest(raw=raw):
                partner = self._create_subscriber("Mobile Test", self.zone_mirpur, mobile=raw)
                self.assertEqual(partner.mobile, expected)
                self.assertEqual(self._raw_value(partner, "mobile"), expected)

    def test_mobile_normalised_on_write(self):
        self.subscriber_karim.write({"mobile": "০১৬১১২২৩৩৪৪"})
        self.assertEqual(self.subscriber_karim.mobile, "+8801611223344")
        self.subscriber_karim.mobile = "01511223344"
        self.assertEqual(self.subscriber_karim.mobile, "+8801511223344")

    def test_mobile_normalised_when_partner_becomes_subscriber(self):
        partner = self.env["res.partner"].create({"name": "Walk-in", "mobile": "01711999888"})
        self.assertFalse(partner.isp_customer_code, "a plain contact gets no customer code")
        partner.write({"is_isp_subscriber": True})
        self.assertEqual(partner.mobile, "+8801711999888")
        self.assertTrue(partner.isp_customer_code)
        other = self.env["res.partner"].create({"name": "Walk-in 2", "mobile": "01711999777"})
        other.write({"is_isp_subscriber": True, "mobile": "০১৭১১৯৯৯৬৬৬"})
        self.assertEqual(other.mobile, "+8801711999666")
        bad = self.env["res.partner"].create({"name": "Walk-in 3", "mobile": "12345"})
        with self.assertRaises(ValidationError):
            bad.write({"is_isp_subscriber": True})

    def test_non_subscriber_mobile_untouched(self):
        partner = self.env["res.partner"].create({"name": "Supplier", "mobile": "+44 20 7946 0000"})
        self.assertEqual(partner.mobile, "+44 20 7946 0000")

    def test_invalid_mobile_refused(self):
        for bad in ("12345", "02-9876543", "01212345678", "+441712345678", "0171234567a"):
            with self.subTest(mobile=bad):
                with self.assertRaises(ValidationError) as cm:
                    self._create_subscriber("Bad Mobile", self.zone_mirpur, mobile=bad)
                self.assertIn("not a valid Bangladeshi mobile number", str(cm.exception))
                self.assertIn(bad, str(cm.exception))
        with self.assertRaises(ValidationError) as cm:
            self.subscriber_karim.write({"mobile": "12345"})
        self.assertIn("12345", str(cm.exception))

    def test_subscriber_needs_mobile(self):
        with self.assertRaises(ValidationError) as cm:
            self.env["res.partner"].create({"name": "No Mobile", "is_isp_subscriber": True})
        self.assertIn("needs a mobile number", str(cm.exception))
        with self.assertRaises(ValidationError):
            self.subscriber_karim.write({"mobile": False})

    # ------------------------------------------------------------------
    # Identity documents
    # ------------------------------------------------------------------
    def test_identity_numbers_normalised(self):
        partner = self._create_subscriber(
            "Identity Test",
            self.zone_mirpur,
            isp_nid="১২৩৪ ৫৬৭৮৯০",
            isp_birth_registration="1990-1234567890123",
            isp_passport="eb 0123456",
        )
        self.assertEqual(partner.isp_nid, "1234567890")
        self.assertEqual(partner.isp_birth_registration, "19901234567890123")
        self.assertEqual(partner.isp_passport, "EB0123456")

    def test_invalid_identity_refused(self):
        cases = [
            ("isp_nid", "12345", "not a valid NID number"),
            ("isp_nid", "28001234567890123", "not a valid NID number"),  # year 2800
            ("isp_birth_registration", "1234567890", "not a valid birth registration number"),
            ("isp_passport", "E12345", "not a valid passport number"),
            ("isp_passport", "ABC1234567", "not a valid passport number"),
        ]
        for field_name, value, message in cases:
            with self.subTest(field=field_name, value=value):
                with self.assertRaises(ValidationError) as cm:
                    self._create_subscriber("Bad Id", self.zone_mirpur, **{field_name: value})
                self.assertIn(message, str(cm.exception))
                self.assertIn(value, str(cm.exception))
                with self.assertRaises(ValidationError) as cm:
                    self.subscriber_karim.write({field_name: value})
                self.assertIn(message, str(cm.exception))

    def test_date_of_birth_in_future_refused(self):
        today = fields.Date.context_today(self.subscriber_karim)
        for bad in (today, today + datetime.timedelta(days=1)):
            with self.subTest(date=bad):
                with self.assertRaises(ValidationError) as cm:
                    self.subscriber_karim.write({"isp_date_of_birth": bad})
                self.assertIn("must be in the past", str(cm.exception))
        self.subscriber_karim.isp_date_of_birth = datetime.date(1990, 5, 14)
        self.assertEqual(self.subscriber_karim.isp_date_of_birth, datetime.date(1990, 5, 14))

    # ------------------------------------------------------------------
    # Codes
    # ------------------------------------------------------------------
    def test_customer_code_from_sequence(self):
        sequence = self.env.ref("isp_base.seq_isp_subscriber")
        expected = f"C{sequence.number_next_actual:06d}"
        partner = self._create_subscriber("Code Test", self.zone_mirpur)
        self.assertEqual(partner.isp_customer_code, expected)
        other = self._create_subscriber("Code Test 2", self.zone_mirpur)
        self.assertRegex(other.isp_customer_code, r"^C\d{6}$")
        self.assertNotEqual(other.isp_customer_code, partner.isp_customer_code)

    def test_referral_code_assigned(self):
        partners = self.subscriber_karim | self.subscriber_sumon | self.subscriber_rahima
        codes = partners.mapped("isp_referral_code")
        self.assertEqual(len(set(codes)), 3)
        for code in codes:
            self.assertRegex(code, r"^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$")

    def test_copy_gets_new_codes(self):
        copy = self.subscriber_karim.copy()
        self.assertTrue(copy.is_isp_subscriber)
        self.assertTrue(copy.isp_customer_code)
        self.assertNotEqual(copy.isp_customer_code, self.subscriber_karim.isp_customer_code)
        self.assertNotEqual(copy.isp_referral_code, self.subscriber_karim.isp_referral_code)

    @mute_logger("odoo.sql_db")
    def test_codes_unique(self):
        for field_name in ("isp_customer_code", "isp_referral_code"):
            with self.subTest(field=field_name):
                with self.assertRaises(psycopg2.errors.UniqueViolation):
                    self.subscriber_sumon.write({field_name: self.subscriber_karim[field_name]})
                    self.env.flush_all()

    def test_plain_contact_has_no_codes(self):
        partner = self.env["res.partner"].create({"name": "Vendor"})
        self.assertFalse(partner.isp_customer_code)
        self.assertFalse(partner.isp_referral_code)

    # ------------------------------------------------------------------
    # Geography
    # ------------------------------------------------------------------
    def test_geography_from_zone(self):
        self.assertEqual(self.zone_mirpur.district_id, self.district_dhaka)
        self.assertEqual(self.zone_mirpur.division_id, self.division_dhaka)
        self.assertEqual(self.subscriber_karim.isp_district_id, self.district_dhaka)
        self.assertEqual(self.subscriber_karim.isp_division_id, self.division_dhaka)

    def test_geography_from_thana(self):
        thana = self.env.ref("isp_base.thana_dhaka_gulshan")
        partner = self._create_subscriber("Geo Test", False, isp_thana_id=thana.id)
        self.assertEqual(partner.isp_district_id, thana.district_id)
        self.assertEqual(partner.isp_division_id, thana.division_id)
        # A thana outside Dhaka: the subscriber's own thana wins over the zone's.
        other = self.env["isp.thana"].search(
            [("district_id", "!=", self.district_dhaka.id)], limit=1
        )
        self.assertTrue(other, "the shipped data has thanas outside Dhaka")
        self.subscriber_karim.isp_thana_id = other
        self.assertEqual(self.subscriber_karim.isp_district_id, other.district_id)
        self.assertEqual(self.subscriber_karim.isp_division_id, other.division_id)
        self.assertNotEqual(self.subscriber_karim.isp_district_id, self.district_dhaka)

    def test_geography_follows_zone_change(self):
        other_thana = self.env["isp.thana"].search(
            [("district_id", "!=", self.district_dhaka.id)], limit=1
        )
        zone = self._create_zone("Far Zone", "T-FAR", other_thana)
        self.subscriber_karim.isp_zone_id = zone
        self.assertEqual(self.subscriber_karim.isp_district_id, other_thana.district_id)
        self.assertEqual(self.subscriber_karim.isp_division_id, other_thana.division_id)

    def test_subscription_zone_follows_subscriber(self):
        self.assertEqual(self.sub_karim.zone_id, self.zone_mirpur)
        self.subscriber_karim.isp_zone_id = self.zone_dhanmondi
        self.assertEqual(self.sub_karim.zone_id, self.zone_dhanmondi)
        self.assertEqual(
            self.Subscription.search([("zone_id", "=", self.zone_dhanmondi.id)]),
            self.sub_karim | self.sub_rahima,
        )

    # ------------------------------------------------------------------
    # KYC
    # ------------------------------------------------------------------
    def _kyc_document(self, partner, document_type="nid_front"):
        attachment = self.env["ir.attachment"].create(
            {"name": f"{document_type}.png", "datas": base64.b64encode(b"fake image")}
        )
        return self.env["isp.kyc.document"].create(
            {
                "partner_id": partner.id,
                "document_type": document_type,
                "attachment_ids": [(6, 0, attachment.ids)],
            }
        )

    def test_kyc_state_computed(self):
        partner = self.subscriber_karim
        self.assertEqual(partner.isp_kyc_state, "missing")
        front = self._kyc_document(partner, "nid_front")
        back = self._kyc_document(partner, "nid_back")
        self.assertEqual(partner.isp_kyc_state, "pending")
        front.with_user(self.user_staff).action_verify()
        self.assertEqual(front.verified_by_id, self.user_staff)
        self.assertTrue(front.verified_on)
        self.assertEqual(partner.isp_kyc_state, "pending", "one document is still pending")
        back.with_user(self.user_staff).action_verify()
        self.assertEqual(partner.isp_kyc_state, "verified")
        self.assertEqual(self._raw_value(partner, "isp_kyc_state"), "verified")
        audit = self._audit_rows(front | back, "kyc")
        self.assertEqual(len(audit), 2)
        self.assertEqual(set(audit.mapped("new_value")), {"verified"})
        self.assertEqual(audit.user_id, self.user_staff)

        back.rejection_reason = "Blurred photo"
        back.with_user(self.user_staff).action_reject()
        self.assertEqual(back.state, "rejected")
        self.assertEqual(partner.isp_kyc_state, "rejected")
        back.action_reset()
        self.assertFalse(back.verified_by_id)
        self.assertEqual(partner.isp_kyc_state, "pending")
        back.unlink()
        self.assertEqual(partner.isp_kyc_state, "verified")

    def test_kyc_reject_needs_reason(self):
        document = self._kyc_document(self.subscriber_karim)
        with self.assertRaisesNoRollback(UserError) as cm:
            document.action_reject()
        self.assertIn("reason", str(cm.exception))
        self.assertEqual(document.state, "pending")
        self.assertEqual(self.subscriber_karim.isp_kyc_state, "pending")
        self.assertFalse(self._audit_rows(document))

    def test_subscription_count(self):
        self.assertEqual(self.subscriber_karim.isp_subscription_count, 1)
        self._create_subscription(self.subscriber_karim, self.package_home_20)
        self.subscriber_karim.invalidate_recordset(["isp_subscription_count"])
        self.assertEqual(self.subscriber_karim.isp_subscription_count, 2)
        self.assertEqual(self.zone_mirpur.subscriber_count, 2)
        action = self.subscriber_karim.action_view_isp_subscriptions()
        self.assertEqual(
            self.Subscription.search(action["domain"]), self.subscriber_karim.isp_subscription_ids
        )
        self.assertTrue(re.match(r"^SUB/\d{6}$", self.sub_karim.name))
