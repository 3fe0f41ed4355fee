# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

{
    "name": "ISP Billing",
    "summary": "Invoices, payments and credit notes of ISP subscribers",
    "version": "18.0.1.0.0",
    "author": "ISP Suite contributors",
    "website": "https://github.com/isp-suite/isp-suite",
    "license": "LGPL-3",
    "category": "Services/ISP",
    "development_status": "Alpha",
    "depends": ["isp_base", "account", "payment"],
    "external_dependencies": {"python": ["qrcode"]},
    "data": [
        "security/isp_billing_groups.xml",
        "security/ir.model.access.csv",
        "security/isp_voucher_security.xml",
        "views/isp_billing_actions.xml",
        "data/isp_billing_cron.xml",
        "views/isp_billing_profile_views.xml",
        "views/isp_billing_run_views.xml",
        "views/isp_subscription_views.xml",
        "views/res_config_settings_views.xml",
        "data/isp_voucher_data.xml",
        "views/isp_voucher_views.xml",
        "report/isp_voucher_card_report.xml",
        "views/isp_billing_menus.xml",
    ],
}
