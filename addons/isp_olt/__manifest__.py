# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

{
    "name": "ISP OLT",
    "summary": "OLT operator role for GPON/EPON access networks of the ISP app",
    "version": "18.0.1.0.0",
    "author": "ISP Suite contributors",
    "website": "https://github.com/isp-suite/isp-suite",
    "license": "LGPL-3",
    "category": "Services/ISP",
    "development_status": "Alpha",
    "depends": ["isp_network"],
    "data": [
        "security/isp_olt_groups.xml",
    ],
}
