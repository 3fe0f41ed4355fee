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
        "security/ir.model.access.csv",
        "views/res_config_settings_views.xml",
        "security/isp_portal_notice_security.xml",
        "views/isp_portal_notice_views.xml",
        "views/portal_connection_templates.xml",
        "security/isp_paybill_key_security.xml",
        "views/isp_paybill_key_views.xml",
        "views/hotspot_templates.xml",
        "data/isp_portal_login_cron.xml",
        "views/portal_login_templates.xml",
        "views/isp_package_change_views.xml",
        "views/helpdesk_ticket_views.xml",
        "views/portal_action_templates.xml",
        "views/portal_otp_login_templates.xml",
        "views/portal_tickets_templates.xml",
        "views/portal_validity_templates.xml",
        "data/isp_referral_data.xml",
        "security/isp_referral_reward_security.xml",
        "views/portal_referral_templates.xml",
        "views/isp_referral_reward_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "isp_portal/static/tests/tours/*.js",
        ],
    },
}
