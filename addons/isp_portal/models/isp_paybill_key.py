import time

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib import paybill


class IspPaybillKey(models.Model):
    """An API key of the public pay-bill lookup (bKash/Nagad/Rocket biller integrations).

    Only the sha256 hash and an indexed prefix of the key are stored; the key itself is
    shown once, when it is generated.
    """

    _name = "isp.paybill.key"
    _description = "Pay-Bill API Key"
    _inherit = ["mail.thread"]
    _order = "revoked, name, id"

    name = fields.Char(required=True, tracking=True, help="Who uses the key, e.g. bKash biller.")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
        tracking=True,
        help="The key only finds subscribers of this company.",
    )
    active = fields.Boolean(default=True, tracking=True)
    key_prefix = fields.Char(readonly=True, copy=False, index=True)
    key_hash = fields.Char(readonly=True, copy=False, groups="base.group_system")
    has_key = fields.Boolean(compute="_compute_has_key")
    revoked = fields.Boolean(readonly=True, copy=False, tracking=True)
    revoked_at = fields.Datetime(string="Revoked On", readonly=True, copy=False)
    revoked_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    rate_limit = fields.Integer(
        string="Requests per Minute",
        default=60,
        tracking=True,
        help="Requests allowed per minute with this key; 0 means no limit.",
    )
    ip_allowlist = fields.Text(
        string="IP Allow-List",
        tracking=True,
        help="Addresses or CIDR networks (comma or line separated) the key may be used "
        "from. Empty: any address.",
    )
    last_used_at = fields.Datetime(string="Last Used", readonly=True, copy=False)
    request_count = fields.Integer(string="Requests", readonly=True, copy=False)

    _sql_constraints = [
        ("rate_limit_positive", "CHECK(rate_limit >= 0)", "The rate limit cannot be negative."),
    ]

    def init(self):
        # Fixed-window request counters, one row per key and minute, shared by all workers.
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS isp_paybill_rate (
                key_id integer NOT NULL REFERENCES isp_paybill_key(id) ON DELETE CASCADE,
                window_start bigint NOT NULL,
                hits integer NOT NULL DEFAULT 0,
                PRIMARY KEY (key_id, window_start)
            )
            """
        )

    @api.depends("key_prefix")
    def _compute_has_key(self):
        for key in self:
            key.has_key = bool(key.key_prefix)

    @api.constrains("ip_allowlist")
    def _check_ip_allowlist(self):
        for key in self:
            try:
                paybill.parse_allowlist(key.ip_allowlist)
            except ValueError as exc:
                raise ValidationError(
                    _(
                        "The IP allow-list of %(key)s is invalid: %(error)s",
                        key=key.display_name,
                        error=str(exc),
                    )
                ) from exc

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _get_paybill_url(self, key):
        base_url = self.get_base_url()
        return f"{base_url}/api/paybill/v1/{key}"

    def action_generate_key(self):
        """Generate the key and show it once in a sticky notification."""
        self.ensure_one()
        if self.key_prefix:
            raise UserError(
                _("%(key)s already has a key; create a new one instead.", key=self.display_name)
            )
        if self.revoked:
            raise UserError(_("%(key)s is revoked.", key=self.display_name))
        key, prefix, digest = paybill.generate_key()
        self.sudo().write({"key_prefix": prefix, "key_hash": digest})
        self.message_post(body=_("API key generated (prefix %(prefix)s).", prefix=prefix))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Copy the API key now: it is shown only once"),
                "message": _(
                    "Key: %(key)s  URL: %(url)s?phone=01XXXXXXXXX",
                    key=key,
                    url=self._get_paybill_url(key),
                ),
                "type": "warning",
                "sticky": True,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_revoke(self):
        now = fields.Datetime.now()
        for key in self.filtered(lambda k: not k.revoked):
            key.write({"revoked": True, "revoked_at": now, "revoked_by_id": self.env.uid})
            key.message_post(
                body=_("API key revoked by %(user)s.", user=self.env.user.display_name)
            )
        return True

    # ------------------------------------------------------------------
    # API side (called with sudo from the public controller)
    # ------------------------------------------------------------------
    @api.model
    def _paybill_authenticate(self, key):
        """Return the usable key record matching *key*, or an empty recordset.

        Unknown, revoked and archived keys answer the same, after the same hash compare.
        """
        prefix = paybill.key_prefix(key) if paybill.is_key_shaped(key) else ""
        record = self.browse()
        if prefix:
            record = self.sudo().search(
                [("key_prefix", "=", prefix), ("revoked", "=", False)], limit=1
            )
        matched = paybill.verify_key(key or "", record.sudo().key_hash if record else None)
        return record if matched else self.browse()

    def _paybill_ip_allowed(self, address):
        self.ensure_one()
        return paybill.ip_allowed(address, paybill.parse_allowlist(self.ip_allowlist))

    def _paybill_hit(self, now=None):
        """Count a request in the key's current window; return ``(allowed, retry_after)``."""
        self.ensure_one()
        now = time.time() if now is None else now
        window_start, retry_after = paybill.rate_window(now)
        cr = self.env.cr
        cr.execute(
            """
            INSERT INTO isp_paybill_rate AS rate (key_id, window_start, hits)
            VALUES (%s, %s, 1)
            ON CONFLICT (key_id, window_start) DO UPDATE SET hits = rate.hits + 1
            RETURNING hits
            """,
            (self.id, window_start),
        )
        hits = cr.fetchone()[0]
        cr.execute(
            "DELETE FROM isp_paybill_rate WHERE key_id = %s AND window_start < %s",
            (self.id, window_start),
        )
        cr.execute(
            """
            UPDATE isp_paybill_key
               SET request_count = COALESCE(request_count, 0) + 1,
                   last_used_at = (now() AT TIME ZONE 'UTC')
             WHERE id = %s
            """,
            (self.id,),
        )
        self.invalidate_recordset(["request_count", "last_used_at"])
        if paybill.over_limit(hits, self.rate_limit):
            return False, retry_after
        return True, 0

    def _paybill_find_subscriptions(self, kind, value):
        """Subscriptions of the key's company matching a phone (E.164) or a username."""
        self.ensure_one()
        Subscription = self.env["isp.subscription"].sudo()
        domain = [("company_id", "=", self.company_id.id)]
        if kind == "phone":
            domain.append(("partner_id.commercial_partner_id.mobile", "=", value))
        else:
            domain.append(("username", "=", value))
        return Subscription.search(domain, order="id")

    def _paybill_get_dues(self, subscriptions):
        """``{subscription id: (amount due, oldest due date)}`` in company currency."""
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                self.env["isp.subscription"]._isp_get_open_invoices_domain(
                    subscriptions=subscriptions
                ),
                groupby=["isp_subscription_id"],
                aggregates=["amount_residual_signed:sum", "invoice_date_due:min"],
            )
        )
        return {sub.id: (amount, due) for sub, amount, due in groups}

    def _paybill_prepare_subscription(self, subscription, dues):
        """The answer for one subscription: no more personal data than a biller needs."""
        currency = subscription.company_id.currency_id
        amount, oldest_due = dues.get(subscription.id, (0.0, False))
        partner = subscription.partner_id.commercial_partner_id
        return {
            "name": partner.name,
            "customer_id": partner.isp_customer_code or False,
            "subscription": subscription.name,
            "username": subscription.username or False,
            "package": subscription.package_id.display_name or False,
            "status": subscription.state,
            "expiry": subscription.expiry_at.isoformat() if subscription.expiry_at else False,
            "amount_due": currency.round(amount or 0.0),
            "oldest_due_date": oldest_due.isoformat() if oldest_due else False,
            "currency": currency.name,
        }

    def _paybill_lookup(self, kind, value):
        self.ensure_one()
        subscriptions = self._paybill_find_subscriptions(kind, value)
        dues = self._paybill_get_dues(subscriptions) if subscriptions else {}
        return [self._paybill_prepare_subscription(sub, dues) for sub in subscriptions]
