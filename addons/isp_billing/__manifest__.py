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
    "data": [
        "security/isp_billing_groups.xml",
        "views/isp_billing_actions.xml",
        "views/isp_billing_menus.xml",
    ],
}
