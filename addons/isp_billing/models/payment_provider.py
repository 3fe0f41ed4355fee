import logging

import requests

from odoo import _, api, fields, models
from odoo.addons.isp_base.models.isp_secret_mixin import WRITE_ONLY_HELP, write_only_secret
from odoo.exceptions import ValidationError
from odoo.tools import float_repr

from ..lib.gateway_bkash import BkashClient, TokenCache

_logger = logging.getLogger(__name__)

# Codes of the Bangladeshi gateways; each has a section below. A vendor without a
# section yet is only a name: its provider cannot be enabled usefully.
ISP_PROVIDER_CODES = ("bkash", "nagad", "sslcommerz", "aamarpay", "shurjopay")
# Odoo payment.method code of each provider (data/payment_provider_data.xml).
ISP_DEFAULT_PAYMENT_METHOD_CODES = {
    "bkash": {"bkash"},
    "sslcommerz": {"sslcommerz"},
    "aamarpay": {"aamarpay"},
    "shurjopay": {"shurjopay"},
    "nagad": {"nagad"},
}
# Where the provider's client talks to when the system parameter is set (tests, a
# local sandbox); otherwise the client's own sandbox/live URL from ``state``.
BASE_URL_PARAM = "isp_billing.%s_base_url"
TIMEOUT_PARAM = "isp_billing.%s_timeout"
DEFAULT_TIMEOUT = 10
# Write-only credential fields (the form) and the encrypted column each one fills.
ISP_SECRET_FIELDS = {
    "bkash_app_key": "bkash_app_key_encrypted",
    "bkash_app_secret": "bkash_app_secret_encrypted",
    "bkash_username": "bkash_username_encrypted",
    "bkash_password": "bkash_password_encrypted",
    "sslcommerz_store_passwd": "sslcommerz_store_passwd_encrypted",
    "aamarpay_signature_key": "aamarpay_signature_key_encrypted",
    "shurjopay_username": "shurjopay_username_encrypted",
    "shurjopay_password": "shurjopay_password_encrypted",
    "nagad_private_key": "nagad_private_key_encrypted",
}
# What each gateway needs before it can be used (its <code>_has_credentials flag).
ISP_REQUIRED_CREDENTIALS = {
    "bkash": (
        "bkash_app_key_encrypted",
        "bkash_app_secret_encrypted",
        "bkash_username_encrypted",
        "bkash_password_encrypted",
    ),
    "sslcommerz": ("sslcommerz_store_id", "sslcommerz_store_passwd_encrypted"),
    "aamarpay": ("aamarpay_store_id", "aamarpay_signature_key_encrypted"),
    "shurjopay": (
        "shurjopay_prefix",
        "shurjopay_username_encrypted",
        "shurjopay_password_encrypted",
    ),
    "nagad": (
        "nagad_merchant_id",
        "nagad_merchant_number",
        "nagad_public_key",
        "nagad_private_key_encrypted",
    ),
}
# One token cache per worker process: bKash limits how often tokens are granted.
_BKASH_TOKEN_CACHE = TokenCache()


class PaymentProvider(models.Model):
    _name = "payment.provider"
    _inherit = ["payment.provider", "isp.secret.mixin"]
    _isp_write_only_secrets = tuple(ISP_SECRET_FIELDS)

    code = fields.Selection(
        selection_add=[
            ("bkash", "bKash"),
            ("nagad", "Nagad"),
            ("sslcommerz", "SSLCommerz"),
            ("aamarpay", "aamarPay"),
            ("shurjopay", "shurjoPay"),
        ],
        ondelete=dict.fromkeys(ISP_PROVIDER_CODES, "set default"),
    )

    # ------------------------------------------------------------------ bKash fields
    bkash_app_key_encrypted = fields.Char(copy=False, groups="base.group_system")
    bkash_app_secret_encrypted = fields.Char(copy=False, groups="base.group_system")
    bkash_username_encrypted = fields.Char(copy=False, groups="base.group_system")
    bkash_password_encrypted = fields.Char(copy=False, groups="base.group_system")
    bkash_app_key = write_only_secret("bKash App Key")
    bkash_app_secret = write_only_secret("bKash App Secret")
    bkash_username = write_only_secret("bKash Username")
    bkash_password = write_only_secret("bKash Password")
    bkash_has_credentials = fields.Boolean(
        compute="_compute_isp_has_credentials", groups="base.group_system"
    )

    # ------------------------------------------------------------------ SSLCommerz fields
    sslcommerz_store_id = fields.Char(
        string="SSLCommerz Store ID",
        required_if_provider="sslcommerz",
        groups="base.group_system",
    )
    sslcommerz_store_passwd_encrypted = fields.Char(copy=False, groups="base.group_system")
    sslcommerz_store_passwd = write_only_secret("SSLCommerz Store Password")
    sslcommerz_has_credentials = fields.Boolean(
        compute="_compute_isp_has_credentials", groups="base.group_system"
    )

    # ------------------------------------------------------------------ common

    @api.depends(*(name for names in ISP_REQUIRED_CREDENTIALS.values() for name in names))
    def _compute_isp_has_credentials(self):
        for provider in self:
            provider_sudo = provider.sudo()
            for code, names in ISP_REQUIRED_CREDENTIALS.items():
                provider[f"{code}_has_credentials"] = all(provider_sudo[name] for name in names)

    def _compute_feature_support_fields(self):
        """Override of `payment`: bKash refunds (full or partial)."""
        res = super()._compute_feature_support_fields()
        self.filtered(lambda p: p.code == "bkash").support_refund = "partial"
        self.filtered(lambda p: p.code == "sslcommerz").support_refund = "partial"
        return res

    def _get_default_payment_method_codes(self):
        """Override of `payment` to return the default payment method codes."""
        default_codes = super()._get_default_payment_method_codes()
        if self.code not in ISP_DEFAULT_PAYMENT_METHOD_CODES:
            return default_codes
        return ISP_DEFAULT_PAYMENT_METHOD_CODES[self.code]

    def _get_supported_currencies(self):
        """Override of `payment`: the Bangladeshi gateways take BDT only."""
        supported_currencies = super()._get_supported_currencies()
        if self.code in ISP_PROVIDER_CODES:
            supported_currencies = supported_currencies.filtered(lambda c: c.name == "BDT")
        return supported_currencies

    def _isp_gateway_base_url(self):
        """The base URL of the gateway API when a system parameter overrides it, else None."""
        self.ensure_one()
        return self.env["ir.config_parameter"].sudo().get_param(BASE_URL_PARAM % self.code) or None

    def _isp_gateway_timeout(self):
        self.ensure_one()
        value = self.env["ir.config_parameter"].sudo().get_param(TIMEOUT_PARAM % self.code)
        try:
            return float(value) if value else DEFAULT_TIMEOUT
        except ValueError:
            return DEFAULT_TIMEOUT

    # ------------------------------------------------------------------ bKash

    def _bkash_get_client(self):
        """A BkashClient with this provider's credentials; sandbox unless enabled."""
        self.ensure_one()
        return BkashClient(
            self._isp_get_secret("bkash_app_key_encrypted") or "",
            self._isp_get_secret("bkash_app_secret_encrypted") or "",
            self._isp_get_secret("bkash_username_encrypted") or "",
            self._isp_get_secret("bkash_password_encrypted") or "",
            sandbox=self.state != "enabled",
            base_url=self._isp_gateway_base_url(),
            timeout=self._isp_gateway_timeout(),
            token_cache=_BKASH_TOKEN_CACHE,
        )

    # ------------------------------------------------------------------ SSLCommerz

    def _sslcommerz_get_client(self):
        """An SSLCommerzClient of this provider's store; sandbox unless enabled."""
        self.ensure_one()
        from ..lib.gateway_sslcommerz import SSLCommerzClient

        return SSLCommerzClient(
            self.sudo().sslcommerz_store_id or "",
            self._isp_get_secret("sslcommerz_store_passwd_encrypted") or "",
            sandbox=self.state != "enabled",
            base_url=self._isp_gateway_base_url(),
            timeout=self._isp_gateway_timeout(),
        )

    # ------------------------------------------------------------------ aamarPay
    aamarpay_store_id = fields.Char(
        string="aamarPay Store ID",
        required_if_provider="aamarpay",
        groups="base.group_system",
    )
    aamarpay_signature_key_encrypted = fields.Char(copy=False, groups="base.group_system")
    aamarpay_signature_key = write_only_secret("aamarPay Signature Key")
    aamarpay_has_credentials = fields.Boolean(
        compute="_compute_isp_has_credentials", groups="base.group_system"
    )

    def _aamarpay_get_client(self):
        """An AamarPayClient of this provider's store; sandbox unless enabled."""
        self.ensure_one()
        from ..lib.gateway_aamarpay import AamarPayClient

        return AamarPayClient(
            self.sudo().aamarpay_store_id or "",
            self._isp_get_secret("aamarpay_signature_key_encrypted") or "",
            sandbox=self.state != "enabled",
            base_url=self._isp_gateway_base_url(),
            timeout=self._isp_gateway_timeout(),
        )

    # ------------------------------------------------------------------ shurjoPay
    shurjopay_prefix = fields.Char(
        string="shurjoPay Order Prefix",
        required_if_provider="shurjopay",
        groups="base.group_system",
        help="The order prefix shurjoPay assigned to the merchant account.",
    )
    shurjopay_username_encrypted = fields.Char(copy=False, groups="base.group_system")
    shurjopay_password_encrypted = fields.Char(copy=False, groups="base.group_system")
    shurjopay_username = write_only_secret("shurjoPay Username")
    shurjopay_password = write_only_secret("shurjoPay Password")
    shurjopay_has_credentials = fields.Boolean(
        compute="_compute_isp_has_credentials", groups="base.group_system"
    )

    def _shurjopay_get_client(self):
        """A ShurjoPayClient of this merchant account; sandbox unless enabled."""
        self.ensure_one()
        from ..lib.gateway_shurjopay import ShurjoPayClient

        return ShurjoPayClient(
            self._isp_get_secret("shurjopay_username_encrypted") or "",
            self._isp_get_secret("shurjopay_password_encrypted") or "",
            self.sudo().shurjopay_prefix or "",
            sandbox=self.state != "enabled",
            base_url=self._isp_gateway_base_url(),
            timeout=self._isp_gateway_timeout(),
        )

    # ------------------------------------------------------------------ Nagad
    nagad_merchant_id = fields.Char(
        string="Nagad Merchant ID", required_if_provider="nagad", groups="base.group_system"
    )
    nagad_merchant_number = fields.Char(
        required_if_provider="nagad",
        groups="base.group_system",
    )
    nagad_public_key = fields.Text(
        groups="base.group_system",
        help="Nagad's public key (PEM): it verifies Nagad's replies.",
    )
    nagad_private_key_encrypted = fields.Text(copy=False, groups="base.group_system")
    nagad_private_key = write_only_secret(
        "Nagad Merchant Private Key",
        help="The merchant's private key (PEM). " + WRITE_ONLY_HELP,
        field_type=fields.Text,
    )
    nagad_has_credentials = fields.Boolean(
        compute="_compute_isp_has_credentials", groups="base.group_system"
    )

    def _nagad_get_client(self):
        """A NagadClient of this merchant; sandbox unless enabled.

        Raises ``ValueError`` when the configuration (keys, ids) is unusable.
        """
        self.ensure_one()
        from ..lib.gateway_nagad import NagadClient

        provider_sudo = self.sudo()
        return NagadClient(
            provider_sudo.nagad_merchant_id or "",
            provider_sudo.nagad_merchant_number or "",
            self._isp_get_secret("nagad_private_key_encrypted") or "",
            provider_sudo.nagad_public_key or "",
            sandbox=self.state != "enabled",
            base_url=self._isp_gateway_base_url(),
            timeout=self._isp_gateway_timeout(),
        )

    # ---- Stripe and PayPal (Odoo's own providers)

    def _paypal_get_api_url(self):
        """Override of `payment_paypal`: the system parameter ``isp_billing.paypal_base_url``
        (tests, a local sandbox) wins over PayPal's sandbox/live URL."""
        return self._isp_gateway_base_url() or super()._paypal_get_api_url()

    def _stripe_make_request(self, endpoint, *args, **kwargs):
        """Override of `payment_stripe`: a Stripe timeout is a clear refusal, not a crash.

        Odoo catches connection errors only; a read timeout would escape as a traceback.
        Nothing was booked: the caller (portal, return, webhook) is refused and the
        transaction stays as it was (Stripe's webhook may still report the payment).
        """
        try:
            return super()._stripe_make_request(endpoint, *args, **kwargs)
        except requests.exceptions.Timeout as exc:
            _logger.warning("Stripe did not answer in time at %s: %s", endpoint, exc)
            raise ValidationError(
                _("Stripe: the API did not answer in time, please try again.")
            ) from exc

    # ---- gateway fees (gateway report)
    isp_fee_percent = fields.Float(
        string="Gateway Fee (%)",
        digits=(16, 4),
        help="Percentage of each payment the gateway keeps (e.g. 1.5 for bKash). The "
        "gateway report shows the fee and the net amount of each payment with it.",
    )
    isp_fee_fixed = fields.Monetary(
        string="Gateway Fee per Payment",
        currency_field="main_currency_id",
        help="Fixed amount the gateway keeps on each payment, on top of the percentage.",
    )

    @api.constrains("isp_fee_percent", "isp_fee_fixed")
    def _check_isp_fee(self):
        if any(p.isp_fee_percent < 0 or p.isp_fee_fixed < 0 for p in self):
            raise ValidationError(_("A gateway fee cannot be negative."))

    def _isp_compute_fee(self, amount, currency=None):
        """The fee of a payment of ``amount`` through this provider (a Decimal)."""
        self.ensure_one()
        from ..lib.gateway_fees import compute_fee

        currency = currency or self.main_currency_id
        digits = currency.decimal_places if currency else 2
        return compute_fee(
            float_repr(amount, digits),
            float_repr(self.isp_fee_percent, 4),
            float_repr(self.isp_fee_fixed, digits),
            digits,
        )
