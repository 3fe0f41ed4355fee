from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import IspResellerCommon


@tagged("post_install", "-at_install")
class TestResellerTransfer(IspResellerCommon):
    """Subscribers move between resellers with their history and their open items."""

    def _transfer(self, user, partners, reseller, reason="Moved"):
        wizard = (
            self.env["isp.reseller.transfer.wizard"]
            .with_user(user)
            .with_context(active_model="res.partner", active_ids=partners.ids)
            .create({"reseller_id": reseller.id if reseller else False, "reason": reason})
        )
        self.assertEqual(wizard.partner_ids, partners)
        return wizard.action_transfer()

    def _transfers(self, partner):
        return self.env["isp.reseller.transfer"].search([("partner_id", "=", partner.id)])

    def test_staff_transfer_keeps_invoices_and_records_history(self):
        self._transfer(self.user_staff, self.subscriber_a, self.reseller_b, "Area handover")
        self.assertEqual(self.subscriber_a.reseller_id, self.reseller_b)
        self.assertEqual(self.sub_of_a.reseller_id, self.reseller_b)
        self.assertEqual(self.invoice_a.partner_id, self.subscriber_a)
        self.assertEqual(self.invoice_a.state, "posted")
        transfer = self._transfers(self.subscriber_a)
        self.assertRecordValues(
            transfer,
            [
                {
                    "from_reseller_id": self.reseller_a.id,
                    "to_reseller_id": self.reseller_b.id,
                    "user_id": self.user_staff.id,
                    "reason": "Area handover",
                }
            ],
        )
        self.assertEqual(self.subscriber_a.isp_transfer_count, 1)
        log = self.env["isp.audit.log"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.subscriber_a.id)],
            limit=1,
        )
        self.assertEqual(log.user_id, self.user_staff)
        self.assertEqual(log.old_value, self.reseller_a.display_name)
        self.assertEqual(log.new_value, self.reseller_b.display_name)
        # the ISP takes a subscriber back as a direct subscriber
        self._transfer(self.user_staff, self.subscriber_a, False)
        self.assertFalse(self.subscriber_a.reseller_id)
        self.assertEqual(len(self._transfers(self.subscriber_a)), 2)
        action = self.reseller_b.action_isp_open_transfers()
        self.assertEqual(
            self.env["isp.reseller.transfer"].search(action["domain"]),
            self._transfers(self.subscriber_a),
        )

    def test_direct_write_records_a_transfer_once(self):
        self.subscriber_karim.write({"reseller_id": self.reseller_a.id})
        transfer = self._transfers(self.subscriber_karim)
        self.assertEqual(len(transfer), 1)
        self.assertFalse(transfer.from_reseller_id)
        self.assertEqual(transfer.to_reseller_id, self.reseller_a)
        # writing the same reseller again is no move
        self.subscriber_karim.write({"reseller_id": self.reseller_a.id, "name": "Karim R."})
        self.assertEqual(len(self._transfers(self.subscriber_karim)), 1)

    def test_reseller_transfers_within_its_subtree_only(self):
        self._transfer(self.user_a, self.subscriber_a, self.sub_a1)
        self.assertEqual(self.subscriber_a.reseller_id, self.sub_a1)
        self.assertEqual(self._transfers(self.subscriber_a).user_id, self.user_a)
        with self.assertRaises(AccessError):
            self._transfer(self.user_a, self.subscriber_a1, self.reseller_b)
        with self.assertRaises(AccessError):
            self._transfer(self.user_a, self.subscriber_a1, False)
        # B's subscriber is not A's to move
        with self.assertRaises(AccessError):
            self.env["isp.reseller.transfer.wizard"].with_user(self.user_a).create(
                {
                    "partner_ids": [Command.set(self.subscriber_b.ids)],
                    "reseller_id": self.sub_a1.id,
                    "reason": "Steal",
                }
            ).action_transfer()
        self.assertEqual(self.subscriber_b.reseller_id, self.reseller_b)

    def test_reseller_sees_only_its_subtree_transfers(self):
        self._transfer(self.user_staff, self.subscriber_a1, self.sub_a2)
        self._transfer(self.user_staff, self.subscriber_b, False)
        Transfer = self.env["isp.reseller.transfer"]
        transfers = Transfer.search([])
        self.assertEqual(
            Transfer.with_user(self.user_a).search([("id", "in", transfers.ids)]),
            self._transfers(self.subscriber_a1),
        )
        self.assertEqual(
            Transfer.with_user(self.user_b).search([("id", "in", transfers.ids)]),
            self._transfers(self.subscriber_b),
        )
        with self.assertRaises(AccessError):
            self._transfers(self.subscriber_a1).with_user(self.user_b).read(["reason"])
        with self.assertRaises(AccessError):
            self._transfers(self.subscriber_a1).with_user(self.user_a).write({"reason": "x"})

    def test_wizard_form_from_subscriber_list(self):
        partners = self.subscriber_a | self.subscriber_a2
        form = Form(
            self.env["isp.reseller.transfer.wizard"].with_context(
                active_model="res.partner", active_ids=partners.ids
            )
        )
        form.reseller_id = self.sub_a1
        form.reason = "Merge of areas"
        form.save().action_transfer()
        self.assertEqual(partners.reseller_id, self.sub_a1)
        self.assertEqual(
            len(self.env["isp.reseller.transfer"].search([("partner_id", "in", partners.ids)])), 2
        )

    def test_transfer_count_without_access_to_transfers(self):
        self._transfer(self.user_staff, self.subscriber_a, self.reseller_b)
        plain = self._create_user("isp_plain_user", self.env.ref("base.group_user"))
        self.assertEqual(self.subscriber_a.with_user(plain).isp_transfer_count, 0)
        self.assertEqual(self.subscriber_a.with_user(self.user_b).isp_transfer_count, 1)
