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

    def test_network_screens_open_for_network_engineer(self):
        engineer = new_test_user(
            self.env, login="isp_network_ui_screens", groups="isp_network.group_isp_network"
        )
        router = self.env["isp.router"].create(
            {"name": "UI BRAS", "host": "192.0.2.77", "management_mode": "api"}
        )
        pool = self.env["isp.ip.pool"].create(
            {"name": "UI Pool", "cidr": "10.77.0.0/24", "router_id": router.id}
        )
        partner = self.env["res.partner"].create(
            {"name": "UI Network Subscriber", "is_isp_subscriber": True, "mobile": "01711999077"}
        )
        package = self.env["product.product"].create(
            {"name": "UI 10M", "is_isp_package": True, "type": "service"}
        )
        subscription = self.env["isp.subscription"].create(
            {
                "partner_id": partner.id,
                "package_id": package.id,
                "connection_type": "pppoe",
                "username": "ui.network",
                "router_id": router.id,
                "ip_pool_id": pool.id,
            }
        )
        for path in (
            "/odoo/action-isp_network.action_isp_router",
            f"/odoo/action-isp_network.action_isp_router/{router.id}",
            "/odoo/action-isp_network.action_isp_router/new",
            "/odoo/action-isp_network.action_isp_router_setup",
            "/odoo/action-isp_network.action_isp_router_port_forward",
            "/odoo/action-isp_network.action_isp_router_port_forward/new",
            "/odoo/action-isp_network.action_isp_walled_garden",
            "/odoo/action-isp_network.action_isp_ip_pool",
            f"/odoo/action-isp_network.action_isp_ip_pool/{pool.id}",
            "/odoo/action-isp_network.action_isp_ip_pool/new",
            "/odoo/action-isp_network.action_isp_subscription_online",
            "/odoo/action-isp_network.action_isp_network_drift",
            "/odoo/action-isp_network.action_isp_network_sync",
            "/odoo/action-isp_network.action_isp_router_health",
            "/odoo/action-isp_network.action_isp_router_backup",
            f"/odoo/action-isp_base.action_isp_subscription/{subscription.id}",
        ):
            with self.subTest(path=path):
                self.browser_js(
                    path,
                    "console.log('test successful')",
                    "!!document.querySelector('.o_view_controller')",
                    login=engineer.login,
                    timeout=120,
                )
