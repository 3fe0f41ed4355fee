# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

{
    "name": "ISP Reseller",
    "summary": "Reseller, sub-reseller and card partner roles of the ISP app",
    "version": "18.0.1.0.0",
    "author": "ISP Suite contributors",
    "website": "https://github.com/isp-suite/isp-suite",
    "license": "LGPL-3",
    "category": "Services/ISP",
    "development_status": "Alpha",
    "depends": ["isp_billing"],
    "data": [
        "security/isp_reseller_groups.xml",
        "security/ir.model.access.csv",
        "security/isp_reseller_security.xml",
        "views/isp_reseller_actions.xml",
        "views/isp_reseller_views.xml",
        "views/isp_reseller_menus.xml",
        "views/isp_reseller_panel_menus.xml",
    ],
    "demo": ["demo/isp_reseller_demo.xml"],
}
