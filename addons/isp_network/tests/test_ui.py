# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIspNetworkScreens(HttpCase):
    """Background Jobs opens in a real browser for a Network Engineer."""

    def test_background_jobs_open_for_network_engineer(self):
        engineer = new_test_user(
            self.env, login="isp_network_ui_engineer", groups="isp_network.group_isp_network"
        )
        partner = self.env["res.partner"].create({"name": "Router R2 owner"})
        job = (
            partner.with_delay(description="Sync PPPoE secrets of router R2")
            .write({"comment": "synced"})
            .db_record()
        )
        for path in (
            "/odoo/action-queue_job.action_queue_job",
            f"/odoo/action-queue_job.action_queue_job/{job.id}",
        ):
            with self.subTest(path=path):
                self.browser_js(
                    path,
                    "console.log('test successful')",
                    "!!document.querySelector('.o_action_manager .o_view_controller')",
                    login=engineer.login,
                    timeout=120,
                )
