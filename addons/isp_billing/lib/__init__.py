"""Pure-Python billing rules of the ISP suite (periods, proration, usage, VAT, vouchers).

Nothing in this package may import odoo: the models call these functions, and the tests
run them without a database. Money is ``decimal.Decimal`` throughout, dates are
``datetime.date`` and instants are naive UTC ``datetime.datetime`` as Odoo stores them.
"""
