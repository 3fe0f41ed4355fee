from odoo import api, models, tools

# What the monetary widget reads of a currency to format an amount.
CURRENCY_FORMAT_FIELDS = frozenset({"symbol", "position", "rounding"})


class IspCurrencyFormat:
    """What ``ir.qweb.field.monetary`` reads of its ``display_currency``, from the
    registry's cache instead of a read of the currency on every page."""

    __slots__ = ("decimal_places", "id", "position", "rounding", "symbol")

    def __init__(self, currency_id, symbol, position, rounding, decimal_places):
        self.id = currency_id
        self.symbol = symbol
        self.position = position
        self.rounding = rounding
        self.decimal_places = decimal_places

    def round(self, amount):
        return tools.float_round(amount, precision_rounding=self.rounding)

    def __bool__(self):
        return bool(self.id)


class ResCurrency(models.Model):
    _inherit = "res.currency"

    @api.model
    def _isp_portal_currency_format(self, currency_id):
        """The format of ``currency_id`` for the monetary widget (the same for every
        subscriber; cached in the registry, cleared when the currency's symbol,
        position or rounding is written)."""
        return IspCurrencyFormat(currency_id, *self._isp_portal_get_currency_format(currency_id))

    @api.model
    @tools.ormcache("currency_id")
    def _isp_portal_get_currency_format(self, currency_id):
        currency = self.sudo().browse(currency_id)
        if not currency.exists():
            return ("", "after", 0.01, 2)
        return (
            currency.symbol or "",
            currency.position,
            currency.rounding,
            currency.decimal_places,
        )

    def write(self, vals):
        result = super().write(vals)
        if not CURRENCY_FORMAT_FIELDS.isdisjoint(vals):
            self.env.registry.clear_cache()
        return result
