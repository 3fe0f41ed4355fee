"""Pure-Python network code of isp_network: no Odoo import here (tested in tests/network)."""
