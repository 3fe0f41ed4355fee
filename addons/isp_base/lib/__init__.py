"""Pure-Python helpers of the ISP suite; nothing in this package may import odoo."""
