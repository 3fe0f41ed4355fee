# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

{
    "name": "ISP Network",
    "summary": "Network engineering workspace of the ISP app, with background job monitoring",
    "version": "18.0.1.0.0",
    "author": "ISP Suite contributors",
    "website": "https://github.com/isp-suite/isp-suite",
    "license": "LGPL-3",
    "category": "Services/ISP",
    "development_status": "Alpha",
    "depends": ["isp_base", "queue_job"],
    "data": [
        "security/isp_network_groups.xml",
        "security/ir.model.access.csv",
        "security/isp_network_security.xml",
        "data/isp_network_queue.xml",
        "data/isp_network_cron.xml",
        "views/res_config_settings_views.xml",
        "views/product_template_views.xml",
        "views/isp_ip_pool_views.xml",
        "views/isp_subscription_views.xml",
        "views/isp_network_sync_views.xml",
        "views/isp_network_drift_views.xml",
        "views/isp_router_views.xml",
        "views/isp_router_health_views.xml",
        "wizards/isp_router_browse_views.xml",
        "wizards/isp_router_setup_views.xml",
        "views/isp_router_port_forward_views.xml",
        "views/isp_walled_garden_views.xml",
        "views/isp_network_menus.xml",
    ],
    "demo": ["demo/isp_network_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "isp_network/static/src/live_traffic/*",
        ],
    },
}
