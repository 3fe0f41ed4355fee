from odoo.tests import tagged

from ..models.isp_subscription import TRACKING_BATCH_THRESHOLD
from .common import IspBaseCommon


@tagged("post_install", "-at_install")
class TestTrackingBatch(IspBaseCommon):
    """A bulk status change logs the same tracking messages as one change at a time."""

    def _tracking(self, subscription):
        messages = self.env["mail.message"].search(
            [
                ("model", "=", "isp.subscription"),
                ("res_id", "=", subscription.id),
                ("tracking_value_ids", "!=", False),
            ],
            order="id desc",
            limit=1,
        )
        return messages, {
            (value.field_id.name, value.old_value_char, value.new_value_char)
            for value in messages.tracking_value_ids
        }

    def _suspend(self, subscriptions):
        subscriptions._change_state("suspend", "Unpaid")
        self._flush_tracking()

    def test_bulk_change_logs_one_message_per_subscription(self):
        single = self._create_subscription_in_state("active")
        bulk = self.env["isp.subscription"]
        for _i in range(TRACKING_BATCH_THRESHOLD + 5):
            bulk |= self._create_subscription_in_state("active")
        self._flush_tracking()

        self._suspend(single)
        self._suspend(bulk)

        single_message, expected = self._tracking(single)
        self.assertIn(("state", "Active", "Suspended"), expected)
        self.assertIn(("state_reason", False, "Unpaid"), expected)
        for subscription in bulk:
            message, values = self._tracking(subscription)
            self.assertEqual(values, expected, subscription.name)
            self.assertEqual(message.author_id, single_message.author_id)
            self.assertEqual(message.subtype_id, single_message.subtype_id)
            self.assertEqual(message.message_type, "notification")
        suspensions = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", "isp.subscription"),
                ("mail_message_id.res_id", "in", bulk.ids),
                ("field_id.name", "=", "state"),
                ("new_value_char", "=", "Suspended"),
            ]
        )
        self.assertEqual(sorted(suspensions.mail_message_id.mapped("res_id")), sorted(bulk.ids))
        self.assertEqual(len(suspensions), len(bulk))
