import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import notify_clients
from .isp_secret_mixin import WRITE_ONLY_HELP, write_only_secret

# Write-only credential fields (the form) and the encrypted column each one fills.
NOTIFY_SECRET_FIELDS = {
    "api_key": "api_key_encrypted",
    "api_secret": "api_secret_encrypted",
    "whatsapp_token": "whatsapp_token_encrypted",
    "telegram_token": "telegram_token_encrypted",
}
PROVIDER_CHANNEL = {
    "generic_http": "sms",
    "bulksmsbd": "sms",
    "ssl_wireless": "sms",
    "odoo_sms": "sms",
    "whatsapp_cloud": "whatsapp",
    "telegram_bot": "telegram",
    "odoo_mail": "email",
}
# The lib client class of each provider (delivery report parsing).
NOTIFY_CLIENT_CLASSES = {
    "generic_http": notify_clients.GenericHttpClient,
    "bulksmsbd": notify_clients.BulkSmsBdClient,
    "ssl_wireless": notify_clients.SslWirelessClient,
    "whatsapp_cloud": notify_clients.WhatsAppCloudClient,
    "telegram_bot": notify_clients.TelegramBotClient,
}
DEFAULT_BASE_URLS = {
    "bulksmsbd": "https://bulksmsbd.net/api",
    "ssl_wireless": "https://smsplus.sslwireless.com",
    "whatsapp_cloud": "https://graph.facebook.com",
    "telegram_bot": "https://api.telegram.org",
}


class IspNotifyGateway(models.Model):
    """A configured endpoint of one notification channel (SMS, WhatsApp, Telegram, e-mail)."""

    _name = "isp.notify.gateway"
    _description = "Notification Gateway"
    _inherit = ["mail.thread", "isp.secret.mixin"]
    _isp_write_only_secrets = tuple(NOTIFY_SECRET_FIELDS)
    _order = "sequence, id"

    name = fields.Char(required=True, tracking=True)
    channel = fields.Selection(
        [("sms", "SMS"), ("whatsapp", "WhatsApp"), ("telegram", "Telegram"), ("email", "E-mail")],
        required=True,
        default="sms",
        tracking=True,
    )
    provider = fields.Selection(
        [
            ("generic_http", "Generic HTTP gateway"),
            ("bulksmsbd", "BulkSMSBD"),
            ("ssl_wireless", "SSL Wireless SMS Plus"),
            ("odoo_sms", "Odoo SMS"),
            ("whatsapp_cloud", "WhatsApp Cloud API"),
            ("telegram_bot", "Telegram Bot"),
            ("odoo_mail", "Odoo e-mail"),
        ],
        required=True,
        default="generic_http",
        tracking=True,
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    base_url = fields.Char(
        string="Base URL", tracking=True, help="API root; empty: the provider's public one."
    )
    sender_id = fields.Char(
        string="Sender ID", tracking=True, help="Masking name or long number the SMS comes from."
    )
    # Generic HTTP gateway
    http_method = fields.Selection(
        [("GET", "GET"), ("POST", "POST")], string="HTTP Method", default="POST"
    )
    body_format = fields.Selection(
        [("form", "Form"), ("json", "JSON")], default="form", help="Body of a POST request."
    )
    parameter_template = fields.Text(
        help="One name=value a line. Placeholders: {to} {message} {sender} {api_key} {reference}."
    )
    success_regex = fields.Char(help="The answer is a success when this pattern matches it.")
    message_id_regex = fields.Char(
        string="Message ID Regex", help="First group: the provider's id of the message."
    )
    balance_url = fields.Char(string="Balance URL", help="Same placeholders as the parameters.")
    balance_regex = fields.Char(help="First group: the balance in the balance answer.")
    # Credentials (write-only; stored encrypted)
    api_key_encrypted = fields.Char(copy=False, groups="base.group_system")
    api_secret_encrypted = fields.Char(copy=False, groups="base.group_system")
    whatsapp_token_encrypted = fields.Char(copy=False, groups="base.group_system")
    telegram_token_encrypted = fields.Char(copy=False, groups="base.group_system")
    api_key = write_only_secret("API Key / Token")
    api_secret = write_only_secret(
        "API Secret",
        help="WhatsApp: the app secret that signs the status webhooks. " + WRITE_ONLY_HELP,
    )
    whatsapp_token = write_only_secret("WhatsApp Access Token")
    telegram_token = write_only_secret("Telegram Bot Token")
    has_credentials = fields.Boolean(compute="_compute_has_credentials")
    whatsapp_phone_number_id = fields.Char(string="WhatsApp Phone Number ID")
    telegram_chat_ids = fields.Char(
        string="Staff Chat IDs", help="Telegram chats that receive staff alerts, comma separated."
    )
    dlr_token = fields.Char(
        string="Delivery Report Token",
        copy=False,
        groups="base.group_system",
        help="Shared secret in the delivery report URL the provider calls "
        "(WhatsApp: the webhook verify token).",
    )
    rate_per_second = fields.Float(
        default=10.0, help="Most messages a second the provider accepts; 0: no limit."
    )
    timeout = fields.Integer(default=10, help="Seconds to wait for the provider.")
    cost_per_segment = fields.Monetary(
        currency_field="currency_id", help="Price of one SMS segment (or one message)."
    )
    last_balance = fields.Float(readonly=True, copy=False)
    balance_checked_at = fields.Datetime(readonly=True, copy=False)
    # not "message_ids": that is the chatter field of mail.thread
    notify_message_ids = fields.One2many("isp.notify.message", "gateway_id")
    queued_count = fields.Integer(compute="_compute_message_counts")
    failed_count = fields.Integer(compute="_compute_message_counts")

    @api.depends()
    def _compute_has_credentials(self):
        rows = (
            self.sudo()
            .with_context(active_test=False)
            .search_read([("id", "in", self.ids)], list(NOTIFY_SECRET_FIELDS.values()))
        )
        by_id = {row["id"]: row for row in rows}
        for gateway in self:
            row = by_id.get(gateway.id, {})
            gateway.has_credentials = any(row.get(col) for col in NOTIFY_SECRET_FIELDS.values())

    def _compute_message_counts(self):
        groups = self.env["isp.notify.message"]._read_group(
            [("gateway_id", "in", self.ids), ("state", "in", ("queued", "failed"))],
            ["gateway_id", "state"],
            ["__count"],
        )
        counts = {(gateway.id, state): count for gateway, state, count in groups}
        for gateway in self:
            gateway.queued_count = counts.get((gateway.id, "queued"), 0)
            gateway.failed_count = counts.get((gateway.id, "failed"), 0)

    @api.onchange("provider")
    def _onchange_provider(self):
        for gateway in self:
            gateway.channel = PROVIDER_CHANNEL.get(gateway.provider, gateway.channel)

    # ------------------------------------------------------------------ actions
    def action_check_balance(self):
        self.ensure_one()
        client = self._isp_get_client()
        result = client.balance()
        if not result.ok:
            raise UserError(
                _("Balance of %(gateway)s: %(error)s", gateway=self.name, error=result.error)
            )
        self.sudo().write(
            {"last_balance": result.balance, "balance_checked_at": fields.Datetime.now()}
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("Balance: %(balance)s", balance=result.balance),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_send_test(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Send a test message"),
            "res_model": "isp.notify.gateway.test",
            "view_mode": "form",
            "target": "new",
            "context": {"default_gateway_id": self.id},
        }

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_base.action_isp_notify_message")
        action["domain"] = [("gateway_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------ business
    @api.model
    def _isp_pick(self, channel, company=None):
        """The first active gateway of ``channel`` for ``company`` (or an empty recordset)."""
        company = company or self.env.company
        return self.sudo().search(
            [("channel", "=", channel), ("company_id", "=", company.id)],
            order="sequence, id",
            limit=1,
        )

    def _isp_get_secrets(self):
        self.ensure_one()
        return {
            field: self._isp_get_secret(col) or "" for field, col in NOTIFY_SECRET_FIELDS.items()
        }

    def _isp_get_client(self, session=None):
        """The lib client of this gateway (None for odoo_mail / odoo_sms, sent by Odoo)."""
        self.ensure_one()
        secrets = self._isp_get_secrets()
        base_url = self.base_url or DEFAULT_BASE_URLS.get(self.provider, "")
        kwargs = {"session": session or requests.Session(), "timeout": self.timeout or 10}
        if self.provider == "bulksmsbd":
            return notify_clients.BulkSmsBdClient(
                base_url, secrets["api_key"], self.sender_id, **kwargs
            )
        if self.provider == "ssl_wireless":
            return notify_clients.SslWirelessClient(
                base_url, secrets["api_key"], self.sender_id, **kwargs
            )
        if self.provider == "generic_http":
            return notify_clients.GenericHttpClient(
                base_url,
                method=self.http_method,
                body_format=self.body_format,
                parameter_template=self.parameter_template,
                success_regex=self.success_regex,
                message_id_regex=self.message_id_regex,
                balance_url=self.balance_url,
                balance_regex=self.balance_regex,
                api_key=secrets["api_key"],
                sender=self.sender_id,
                **kwargs,
            )
        if self.provider == "whatsapp_cloud":
            return notify_clients.WhatsAppCloudClient(
                base_url, secrets["whatsapp_token"], self.whatsapp_phone_number_id, **kwargs
            )
        if self.provider == "telegram_bot":
            return notify_clients.TelegramBotClient(base_url, secrets["telegram_token"], **kwargs)
        return None

    def _isp_staff_chat_ids(self):
        self.ensure_one()
        return [c.strip() for c in (self.telegram_chat_ids or "").split(",") if c.strip()]
