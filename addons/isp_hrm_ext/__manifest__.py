# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

{
    "name": "ISP HRM Extension",
    "summary": "Field work and staff of the ISP app, on top of Odoo HR, Project and OCA Payroll",
    "version": "18.0.1.0.0",
    "author": "ISP Suite contributors",
    "website": "https://github.com/isp-suite/isp-suite",
    "license": "LGPL-3",
    "category": "Services/ISP",
    "development_status": "Alpha",
    "depends": [
        "isp_base",
        "hr",
        "hr_attendance",
        "hr_holidays",
        "hr_expense",
        "payroll",
        "project",
    ],
    "data": [
        "security/isp_hrm_ext_groups.xml",
        "views/isp_hrm_ext_menus.xml",
    ],
}
