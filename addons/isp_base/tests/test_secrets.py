import re
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import tagged
from odoo.tools import config

from ..lib.secret_box import SecretBox, generate_key
from .common import IspBaseCommon


@tagged("post_install", "-at_install")
class TestSecrets(IspBaseCommon):
    def test_password_stored_encrypted(self):
        raw = self._raw_value(self.sub_karim, "password_encrypted")
        self.assertTrue(raw.startswith("v1:"))
        self.assertNotIn(self.KARIM_PASSWORD, raw)
        self.assertEqual(self.sub_karim._isp_get_secret("password_encrypted"), self.KARIM_PASSWORD)
        # Decryptable with the configured key only, not stored in any other column.
        self.assertEqual(
            SecretBox.from_config(config.get("isp_secret_key")).decrypt(raw), self.KARIM_PASSWORD
        )
        self.env.cr.execute(
            "SELECT to_jsonb(s)::text FROM isp_subscription s WHERE id = %s", (self.sub_karim.id,)
        )
        self.assertNotIn(self.KARIM_PASSWORD, self.env.cr.fetchone()[0])
        self.assertTrue(self.sub_karim.has_password)
        self.assertFalse(self.sub_karim.password, "the password field never shows the secret")

    def test_password_changed_through_field(self):
        self.sub_karim.with_user(self.user_staff).password = "N3w-Password"
        raw = self._raw_value(self.sub_karim, "password_encrypted")
        self.assertTrue(raw.startswith("v1:"))
        self.assertNotIn("N3w-Password", raw)
        self.assertEqual(self.sub_karim._isp_get_secret("password_encrypted"), "N3w-Password")
        audit = self._audit_rows(self.sub_karim, "secret_change")
        self.assertEqual(len(audit), 1)
        self.assertEqual(audit.user_id, self.user_staff)
        self.assertNotIn("N3w-Password", audit.description or "")

    def test_generated_password(self):
        # sub_sumon (hotspot) was created without a password.
        password = self.sub_sumon._isp_get_secret("password_encrypted")
        self.assertTrue(re.fullmatch(r"[A-Za-z0-9]{10}", password))
        pppoe = self._create_subscription(self.subscriber_rahima, self.package_home_10)
        self.assertTrue(self._raw_value(pppoe, "password_encrypted").startswith("v1:"))
        self.assertNotEqual(pppoe._isp_get_secret("password_encrypted"), password)
        static = self._create_package("Test Static", "T-STATIC", 30, 30, connection_type="static")
        no_password = self._create_subscription(self.subscriber_rahima, static, False)
        self.assertFalse(self._raw_value(no_password, "password_encrypted"))
        self.assertFalse(no_password.has_password)
        self.assertFalse(no_password._isp_get_secret("password_encrypted"))

    def test_generate_new_password(self):
        self.sub_karim.with_user(self.user_staff).action_generate_password()
        password = self.sub_karim._isp_get_secret("password_encrypted")
        self.assertNotEqual(password, self.KARIM_PASSWORD)
        self.assertTrue(re.fullmatch(r"[A-Za-z0-9]{10}", password))
        self.assertTrue(self._audit_rows(self.sub_karim, "secret_change"))

    def test_reveal_password_as_staff(self):
        for user in (self.user_staff, self.user_manager, self.user_support):
            with self.subTest(user=user.login):
                action = self.sub_karim.with_user(user).action_reveal_password()
                self.assertEqual(action["tag"], "display_notification")
                self.assertEqual(action["params"]["message"], self.KARIM_PASSWORD)
                audit = self._audit_rows(self.sub_karim, "secret_reveal")[:1]
                self.assertEqual(audit.user_id, user)
                self.assertEqual(audit.res_id, self.sub_karim.id)
                self.assertNotIn(self.KARIM_PASSWORD, audit.description or "")
        self.assertEqual(len(self._audit_rows(self.sub_karim, "secret_reveal")), 3)

    def test_reveal_password_refused(self):
        # The technician sees Mirpur, the recharge agent sees everything: neither may reveal.
        # The other support agent does not see Karim's subscription at all.
        for user in (self.user_technician, self.user_recharge, self.user_support_other):
            with self.subTest(user=user.login):
                subscription = self.sub_karim.with_user(user)
                with self.assertRaisesNoRollback(AccessError):
                    subscription.action_reveal_password()
                self.assertFalse(self._audit_rows(self.sub_karim, "secret_reveal"))

    def test_encrypted_column_admin_only(self):
        for user in (self.user_staff, self.user_manager, self.user_support, self.user_technician):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.sub_karim.with_user(user).read(["password_encrypted"])
                with self.assertRaises(AccessError):
                    self.Subscription.with_user(user).search_read(
                        [("id", "=", self.sub_karim.id)], ["password_encrypted"]
                    )
                # Reading everything silently leaves the column out.
                values = self.sub_karim.with_user(user).read()[0]
                self.assertNotIn("password_encrypted", values)
        admin = self.env.ref("base.user_admin")
        values = self.sub_karim.with_user(admin).read(["password_encrypted"])[0]
        self.assertTrue(values["password_encrypted"].startswith("v1:"))

    def test_missing_key(self):
        with patch.dict(config.options, {"isp_secret_key": ""}):
            with self.assertRaises(UserError) as cm:
                self.sub_karim._isp_get_secret("password_encrypted")
            self.assertIn("isp_secret_key", str(cm.exception))
            with self.assertRaises(UserError) as cm:
                self._create_subscription(self.subscriber_rahima, self.package_home_10)
            self.assertIn("isp_secret_key", str(cm.exception))
        with patch.dict(config.options, {"isp_secret_key": None}):
            with self.assertRaises(UserError) as cm:
                self.sub_karim.with_user(self.user_staff).action_reveal_password()
            self.assertIn("isp_secret_key", str(cm.exception))

    def test_wrong_key(self):
        with patch.dict(config.options, {"isp_secret_key": generate_key()}):
            with self.assertRaises(UserError) as cm:
                self.sub_karim._isp_get_secret("password_encrypted")
        self.assertIn("isp_secret_key", str(cm.exception))
        self.assertIn("cannot be decrypted", str(cm.exception))
        self.assertIn(self.sub_karim.display_name, str(cm.exception))

    def test_key_rotation(self):
        old_key = config.get("isp_secret_key")
        new_key = generate_key()
        # The new key first: it encrypts; the old one still decrypts old secrets.
        with patch.dict(config.options, {"isp_secret_key": f"{new_key},{old_key}"}):
            self.assertEqual(
                self.sub_karim._isp_get_secret("password_encrypted"), self.KARIM_PASSWORD
            )
            self.sub_rahima.password = "Rotated-1"
        with patch.dict(config.options, {"isp_secret_key": new_key}):
            self.assertEqual(self.sub_rahima._isp_get_secret("password_encrypted"), "Rotated-1")
            with self.assertRaises(UserError):
                self.sub_karim._isp_get_secret("password_encrypted")

    def test_neutralize_blanks_secrets(self):
        queries = list(get_neutralization_queries(["isp_base"]))
        self.assertEqual(len(queries), 1)
        self.assertTrue(self._raw_value(self.sub_karim, "password_encrypted"))
        for query in queries:
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.env.cr.execute(
            "SELECT count(*) FROM isp_subscription WHERE password_encrypted IS NOT NULL"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertFalse(self.sub_karim.has_password)
        self.assertFalse(self.sub_karim._isp_get_secret("password_encrypted"))
