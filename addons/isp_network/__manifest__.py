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
        "views/isp_network_menus.xml",
    ],
}
