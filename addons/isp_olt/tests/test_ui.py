# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIspOltScreens(HttpCase):
    """An OLT Operator opens the network workspace in a real browser."""

    def test_background_jobs_open_for_olt_operator(self):
        operator = new_test_user(
            self.env, login="isp_olt_ui_operator", groups="isp_olt.group_isp_olt"
        )
        self.browser_js(
            "/odoo/action-queue_job.action_queue_job",
            "console.log('test successful')",
            "!!document.querySelector('.o_action_manager .o_view_controller')",
            login=operator.login,
            timeout=120,
        )
