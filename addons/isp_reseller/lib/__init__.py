"""Pure-Python rules of the reseller tree and wallets; nothing here may import odoo."""
