# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

{
    "name": "ISP Portal",
    "summary": "Subscriber self-care foundation: support tickets of the ISP app",
    "version": "18.0.1.0.0",
    "author": "ISP Suite contributors",
    "website": "https://github.com/isp-suite/isp-suite",
    "license": "LGPL-3",
    "category": "Services/ISP",
    "development_status": "Alpha",
    "depends": [
        "isp_billing",
        "isp_network",
        "website",
        "portal",
        "helpdesk_mgmt",
    ],
    "data": [
        "security/isp_portal_groups.xml",
        "views/isp_portal_menus.xml",
        # ---- settings
        "security/ir.model.access.csv",
        "views/res_config_settings_views.xml",
        # ---- subscriber home
        "security/isp_portal_notice_security.xml",
        "views/isp_portal_notice_views.xml",
        "views/portal_connection_templates.xml",
        # ---- pay-bill API
        "security/isp_paybill_key_security.xml",
        "views/isp_paybill_key_views.xml",
        # ---- hotspot
        "views/hotspot_templates.xml",
        # ---- portal login
        "data/isp_portal_login_cron.xml",
        "views/portal_login_templates.xml",
        # ---- subscriber actions
        "views/isp_package_change_views.xml",
        "views/helpdesk_ticket_views.xml",
        "views/portal_action_templates.xml",
    ],
}
