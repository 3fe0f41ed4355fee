import base64
import datetime
import re

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..lib import subscriber_import
from .common import IspBaseCommon


def _row(**values):
    return {column: values.get(column) for column in subscriber_import.TEMPLATE_COLUMNS}


@tagged("post_install", "-at_install")
class TestSubscriberImport(IspBaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env.user)
        days = datetime.timedelta
        base = {"zone": "T-MIR", "package": "T-HOME-10"}
        cls.rows = [
            # row 2: active subscription (started 40 days ago, paid 20 more days)
            _row(
                **base,
                name="Good One",
                mobile="01812000001",
                username="imp.good1",
                password="Imp0rt-Pass",
                nid="1234567890",
                activation_date=cls.today - days(40),
                expiry_date=cls.today + days(20),
            ),
            # row 3: second subscription of the same subscriber, package by name
            _row(
                zone="T-MIR",
                package="Test Home 20 Mbps",
                name="Good One",
                mobile="+880 1812-000001",
                username="imp.good2",
            ),
            # row 4: expired, with its address, zone by name
            _row(
                name="Good Three",
                mobile="01812000003",
                zone="test dhanmondi",
                package="T-HOME-10",
                username="imp.good3",
                division="Dhaka",
                district="Dhaka",
                thana="Dhanmondi",
                mac_address="aa-bb-cc-dd-ee-01",
                activation_date=cls.today - days(60),
                expiry_date=cls.today - days(30),
            ),
            # rows 5 to 11: one problem each
            _row(**base, name="Bad Phone", mobile="12345", username="imp.bad5"),
            _row(
                name="Bad Package",
                mobile="01812000006",
                zone="T-MIR",
                package="NOPE-PKG",
                username="imp.bad6",
            ),
            _row(
                name="Bad Zone",
                mobile="01812000007",
                zone="Atlantis",
                package="T-HOME-10",
                username="imp.bad7",
            ),
            _row(**base, name="Dup User", mobile="01812000008", username="IMP.GOOD3"),
            _row(**base, name="Taken User", mobile="01812000009", username="KARIM.MIR"),
            _row(
                **base,
                name="Bad Date",
                mobile="01812000010",
                username="imp.bad10",
                activation_date="31/02/2024",
            ),
            _row(
                **base,
                name="Bad Thana",
                mobile="01812000011",
                username="imp.bad11",
                division="Dhaka",
                district="Dhaka",
                thana="Atlantis",
            ),
        ]
        cls.expected_errors = {
            5: "mobile:",
            6: "unknown package 'NOPE-PKG'",
            7: "unknown zone 'Atlantis'",
            8: "already used in row 4",
            9: "already taken",
            10: "activation_date:",
            11: "unknown thana 'Atlantis'",
        }
        cls.bad_mobiles = [f"+88018120000{n:02d}" for n in range(6, 12)]

    def _wizard(self, content, filename, **vals):
        return (
            self.env["isp.subscriber.import"]
            .with_user(self.user_staff)
            .create({"file": base64.b64encode(content), "filename": filename, **vals})
        )

    def _partners(self, mobiles):
        return (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("mobile", "in", mobiles)])
        )

    def _lines_by_row(self, wizard):
        return {line.row: line for line in wizard.line_ids}

    def _assert_bad_rows_reported(self, wizard):
        lines = self._lines_by_row(wizard)
        for row, message in self.expected_errors.items():
            with self.subTest(row=row):
                self.assertEqual(lines[row].status, "invalid")
                self.assertIn(message, lines[row].message)
        self.assertEqual(wizard.count_invalid, 7)

    # ------------------------------------------------------------------
    def test_invalid_file_imports_nothing(self):
        wizard = self._wizard(subscriber_import.export_xlsx(self.rows), "subscribers.xlsx")
        wizard.action_validate()
        self.assertEqual(wizard.state, "validated")
        self.assertEqual(wizard.count_valid, 3)
        self._assert_bad_rows_reported(wizard)
        lines = self._lines_by_row(wizard)
        self.assertEqual({lines[row].status for row in (2, 3, 4)}, {"valid"})
        self.assertEqual(lines[10].name, "Bad Date")
        self.assertEqual(lines[9].username, "KARIM.MIR")
        with self.assertRaisesNoRollback(UserError) as cm:
            wizard.action_import()
        self.assertIn("7 rows have errors", str(cm.exception))
        self.assertFalse(self._partners(["+8801812000001", "+8801812000003"]))
        self.assertFalse(
            self.Subscription.search([("username", "in", ["imp.good1", "imp.good2", "imp.good3"])])
        )
        self.assertFalse(self._audit_rows(self.env["res.partner"].search([]), "import"))

    def test_skip_invalid_imports_good_rows(self):
        wizard = self._wizard(
            subscriber_import.export_csv(self.rows), "subscribers.csv", skip_invalid=True
        )
        wizard.action_import()  # validates first
        self.assertEqual(wizard.state, "done")
        self.assertEqual(wizard.count_imported, 2)
        self._assert_bad_rows_reported(wizard)
        lines = self._lines_by_row(wizard)
        self.assertEqual({lines[row].status for row in (2, 3, 4)}, {"imported"})

        good_one = self._partners(["+8801812000001"])
        self.assertEqual(len(good_one), 1, "two rows with one mobile make one subscriber")
        self.assertEqual(good_one.name, "Good One")
        self.assertTrue(good_one.is_isp_subscriber)
        self.assertRegex(good_one.isp_customer_code, r"^C\d{6}$")
        self.assertEqual(good_one.isp_nid, "1234567890")
        self.assertEqual(good_one.isp_zone_id, self.zone_mirpur)
        subs = good_one.isp_subscription_ids.sorted("username")
        self.assertEqual(subs.mapped("username"), ["imp.good1", "imp.good2"])
        active, draft = subs
        self.assertEqual(active.state, "active")
        self.assertEqual(active.package_id, self.package_home_10)
        self.assertEqual(active.activation_date, self.today - datetime.timedelta(days=40))
        self.assertEqual(
            active.expiry_at,
            self.Subscription._date_to_expiry_instant(self.today + datetime.timedelta(days=20)),
        )
        self.assertEqual(active._isp_get_secret("password_encrypted"), "Imp0rt-Pass")
        self.assertEqual(draft.state, "draft")
        self.assertEqual(draft.package_id, self.package_home_20)
        self.assertTrue(draft._isp_get_secret("password_encrypted"), "a password was generated")

        good_three = self._partners(["+8801812000003"])
        self.assertEqual(good_three.isp_zone_id, self.zone_dhanmondi)
        self.assertEqual(good_three.isp_thana_id, self.thana_dhanmondi)
        self.assertEqual(good_three.isp_district_id, self.district_dhaka)
        expired = good_three.isp_subscription_ids
        self.assertEqual(expired.state, "expired")
        self.assertEqual(expired.activation_date, self.today - datetime.timedelta(days=60))
        self.assertEqual(expired.mac_address, "AA:BB:CC:DD:EE:01")

        self.assertFalse(self._partners(self.bad_mobiles))
        self.assertFalse(self.Subscription.search([("username", "=ilike", "imp.bad%")]))
        audit = self._audit_rows(good_one | good_three, "import")
        self.assertEqual(len(audit), 2)
        self.assertEqual(audit.user_id, self.user_staff)
        self.assertIn("subscribers.csv", audit[0].description)

    def test_database_failure_rolls_back_the_subscriber(self):
        self.sub_rahima.ipv4_address = "10.9.0.10"
        rows = [
            _row(
                zone="T-MIR",
                package="T-HOME-10",
                name="Fine",
                mobile="01812000021",
                username="imp.ok21",
            ),
            _row(
                zone="T-MIR",
                package="T-HOME-10",
                name="Late Username",
                mobile="01812000022",
                username="imp.race22",
            ),
            _row(
                zone="T-MIR",
                package="T-HOME-10",
                name="Used IP",
                mobile="01812000023",
                username="imp.ip23",
                ipv4_address="10.9.0.10",
                connection_type="static",
            ),
        ]
        wizard = self._wizard(subscriber_import.export_xlsx(rows), "late.xlsx")
        wizard.action_validate()
        # The address already in use is caught by the check; the username race is not.
        self.assertEqual(wizard.count_valid, 2)
        self.assertIn("already assigned", self._lines_by_row(wizard)[4].message)
        wizard.skip_invalid = True
        # Someone takes the username (in another case) between the check and the import.
        self._create_subscription(self.subscriber_karim, self.package_home_10, "IMP.Race22")
        with mute_logger("odoo.sql_db", "odoo.addons.isp_base.wizards.isp_subscriber_import"):
            wizard.action_import()
        lines = self._lines_by_row(wizard)
        self.assertEqual(lines[2].status, "imported")
        self.assertEqual(lines[3].status, "invalid")
        self.assertIn("username", lines[3].message)
        self.assertEqual(lines[4].status, "invalid")
        self.assertIn("ipv4", lines[4].message)
        self.assertEqual(wizard.count_imported, 1)
        self.assertTrue(self._partners(["+8801812000021"]).isp_subscription_ids)
        self.assertFalse(self._partners(["+8801812000022", "+8801812000023"]))
        self.assertFalse(self.Subscription.search([("username", "in", ["imp.race22", "imp.ip23"])]))

    def test_unreadable_file(self):
        wizard = self.env["isp.subscriber.import"].with_user(self.user_staff).create({})
        with self.assertRaises(UserError) as cm:
            wizard.action_validate()
        self.assertIn("cannot be read", str(cm.exception))
        wizard = self._wizard(b"name;mobile\nKarim;017", "bad.csv")
        with self.assertRaises(UserError) as cm:
            wizard.action_validate()
        self.assertIn("required column(s) missing", str(cm.exception))

    def _attachment_of(self, action):
        self.assertEqual(action["type"], "ir.actions.act_url")
        match = re.fullmatch(r"/web/content/(\d+)\?download=true", action["url"])
        self.assertTrue(match, action["url"])
        return self.env["ir.attachment"].browse(int(match.group(1)))

    def test_template_downloads(self):
        # The buttons work on a new wizard, before any file is chosen: the form saves
        # the wizard before calling the button.
        wizard = Form(self.env["isp.subscriber.import"].with_user(self.user_staff)).save()
        xlsx = self._attachment_of(wizard.action_download_template_xlsx())
        self.assertEqual(xlsx.name, "subscriber_import_template.xlsx")
        rows = subscriber_import.read_xlsx(xlsx.raw)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["username"], subscriber_import.EXAMPLE_ROW["username"])
        self.assertEqual(rows[0]["mobile"], subscriber_import.EXAMPLE_ROW["mobile"])
        csv_file = self._attachment_of(wizard.action_download_template_csv())
        self.assertEqual(csv_file.mimetype, "text/csv")
        rows = subscriber_import.read_csv(csv_file.raw)
        self.assertEqual(rows[0]["name"], subscriber_import.EXAMPLE_ROW["name"])
        self.assertEqual(rows[0]["expiry_date"], "2025-02-14")

    def test_export_xlsx(self):
        expiry = datetime.date(2026, 2, 14)
        self.sub_karim.write(
            {
                "activation_date": datetime.date(2026, 1, 15),
                "expiry_at": self.Subscription._date_to_expiry_instant(expiry),
                "mac_address": "aa:bb:cc:00:11:22",
            }
        )
        subs = self.sub_karim | self.sub_sumon | self.sub_rahima
        action = subs.with_user(self.user_staff).action_export_xlsx()
        attachment = self._attachment_of(action)
        rows = subscriber_import.read_xlsx(attachment.raw)
        self.assertEqual(sorted(row["username"] for row in rows), sorted(subs.mapped("username")))
        self.assertEqual({row["password"] for row in rows}, {""})
        secrets = {sub._isp_get_secret("password_encrypted") for sub in subs}
        cells = {str(value) for row in rows for value in row.values()}
        self.assertFalse(secrets & cells, "no password is exported")
        karim = next(row for row in rows if row["username"] == "karim.mir")
        self.assertEqual(karim["mobile"], self.subscriber_karim.mobile)
        self.assertEqual(karim["zone"], "T-MIR")
        self.assertEqual(karim["package"], "T-HOME-10")
        self.assertEqual(karim["mac_address"], "AA:BB:CC:00:11:22")
        self.assertEqual(subscriber_import.parse_date(karim["expiry_date"]), expiry)
        self.assertEqual(
            subscriber_import.parse_date(karim["activation_date"]), datetime.date(2026, 1, 15)
        )
        audit = self._audit_rows(subs, "export")
        self.assertEqual(sorted(audit.mapped("res_id")), sorted(subs.ids))
        self.assertEqual(audit.user_id, self.user_staff)

        # The export reads back through the import wizard: all already there.
        wizard = self._wizard(attachment.raw, attachment.name)
        wizard.action_validate()
        self.assertEqual(wizard.count_invalid, 3)
        self.assertTrue(all("already" in line.message for line in wizard.line_ids))
