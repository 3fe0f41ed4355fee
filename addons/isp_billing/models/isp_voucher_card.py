import base64
import datetime
import io
import logging

import qrcode

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, config

from ..lib import validity, vouchers

_logger = logging.getLogger(__name__)

SERIAL_SEQUENCE_CODE = "isp.voucher.card.serial"
REDEEMABLE_STATES = ("available", "assigned")


class IspVoucherCard(models.Model):
    """One prepaid card: a serial number printed in clear and a secret PIN.

    The PIN is stored encrypted (to print the card) and as a keyed digest (to find the
    card from a typed PIN); never in plain. A card is redeemed once, by one conditional
    UPDATE (see :meth:`_claim_pin`).
    """

    _name = "isp.voucher.card"
    _description = "ISP Voucher Card"
    _inherit = ["isp.secret.mixin"]
    _order = "batch_id desc, serial"
    _rec_name = "serial"

    batch_id = fields.Many2one(
        "isp.voucher.batch", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    serial = fields.Char(required=True, readonly=True, index=True)
    pin_encrypted = fields.Char(copy=False, groups="base.group_system", readonly=True)
    pin_digest = fields.Char(copy=False, readonly=True, groups="base.group_system")
    state = fields.Selection(
        [
            ("available", "Available"),
            ("assigned", "Assigned"),
            ("used", "Used"),
            ("expired", "Expired"),
        ],
        default="available",
        required=True,
        readonly=True,
        index=True,
    )
    assigned_partner_id = fields.Many2one(
        "res.partner", string="Agent", index=True, help="Who sells this card."
    )
    used_by_subscription_id = fields.Many2one(
        "isp.subscription", string="Used By", readonly=True, index=True, ondelete="set null"
    )
    used_at = fields.Datetime(readonly=True)
    expires_on = fields.Date(readonly=True, index=True, help="Last day the card can be used.")
    price = fields.Monetary(readonly=True)
    package_id = fields.Many2one("product.product", readonly=True, ondelete="restrict")
    validity_days = fields.Integer(readonly=True)
    qr_image = fields.Binary(
        string="QR Code",
        compute="_compute_qr_image",
        groups="base.group_system",
        help="The formatted PIN and the serial, for scanning at the captive portal.",
    )

    _sql_constraints = [
        (
            "serial_company_uniq",
            "unique(company_id, serial)",
            "A card with this serial number already exists.",
        ),
        (
            "pin_digest_company_uniq",
            "unique(company_id, pin_digest)",
            "A card with this PIN already exists.",
        ),
    ]

    def _compute_qr_image(self):
        for card in self:
            pin = card._isp_get_secret("pin_encrypted") if card.id else False
            card.qr_image = self._qr_png_base64(card._qr_content(pin)) if pin else False

    def _qr_content(self, pin):
        self.ensure_one()
        return f"PIN:{vouchers.format_pin(pin)};SN:{self.serial}"

    @api.model
    def _qr_png_base64(self, content):
        code = qrcode.QRCode(box_size=4, border=1)
        code.add_data(content)
        code.make(fit=True)
        buffer = io.BytesIO()
        code.make_image().save(buffer, format="PNG")
        return base64.b64encode(buffer.getvalue())

    def write(self, vals):
        # Staff only hand cards to agents; the rest changes through the methods below.
        if not self.env.su and set(vals) - {"assigned_partner_id"}:
            raise UserError(_("Voucher cards change only by generation and redemption."))
        if "assigned_partner_id" in vals and not self.env.su:
            if any(card.state not in REDEEMABLE_STATES for card in self):
                raise UserError(_("A used or expired card cannot be handed to an agent."))
            vals = dict(vals, state="assigned" if vals["assigned_partner_id"] else "available")
            return super(IspVoucherCard, self.sudo()).write(vals)
        return super().write(vals)

    # ------------------------------------------------------------------
    # Keys and generation
    # ------------------------------------------------------------------
    @api.model
    def _get_pin_keys(self):
        """HMAC keys of the configured secret keys, current first.

        Every configured key (``isp_secret_key`` lists the current key first, then the
        ones being rotated out) is tried at redemption, so a rotation keeps old cards valid.
        """
        self._isp_secret_box()  # raises a clear UserError when no key is configured
        parts = [part.strip() for part in str(config.get("isp_secret_key")).split(",")]
        return [vouchers.derive_pin_key(part) for part in parts if part]

    @api.model
    def _pin_digests(self, pin):
        return [vouchers.pin_digest(pin, key) for key in self._get_pin_keys()]

    @api.model
    def _next_serial_start(self, count):
        """Reserve ``count`` serial numbers with one atomic update; return the first."""
        sequence = (
            self.env["ir.sequence"].sudo().search([("code", "=", SERIAL_SEQUENCE_CODE)], limit=1)
        )
        if not sequence:
            raise UserError(_("The voucher serial number sequence is missing."))
        self.env.cr.execute(
            SQL(
                """UPDATE ir_sequence SET number_next = number_next + %s
                   WHERE id = %s RETURNING number_next - %s""",
                count,
                sequence.id,
                count,
            )
        )
        sequence.invalidate_recordset(["number_next"])
        return self.env.cr.fetchone()[0]

    @api.model
    def _existing_digests(self, company, digests):
        self.env.cr.execute(
            SQL(
                "SELECT pin_digest FROM isp_voucher_card WHERE company_id = %s "
                "AND pin_digest = ANY(%s)",
                company.id,
                list(digests),
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _new_pins(self, company, count):
        """``count`` random PINs, with their digests, unused in ``company``."""
        key = self._get_pin_keys()[0]
        pins = {}
        for _attempt in range(10):
            while len(pins) < count:
                pin = vouchers.generate_pin()
                pins.setdefault(vouchers.pin_digest(pin, key), pin)
            taken = self._existing_digests(company, pins)
            if not taken:
                return [(pin, digest) for digest, pin in pins.items()]
            # A collision among ~2**59 PINs: draw new ones for the clashes.
            for digest in taken:
                del pins[digest]
        raise UserError(_("Could not draw unique PINs; try again."))

    @api.model
    def _prepare_card_vals(self, batch, serial, pin_token, digest, expires_on):
        return {
            "batch_id": batch.id,
            "company_id": batch.company_id.id,
            "serial": serial,
            "pin_encrypted": pin_token,
            "pin_digest": digest,
            "expires_on": expires_on,
            "price": batch.price,
            "package_id": batch.package_id.id,
            "validity_days": batch.validity_days,
        }

    @api.model
    def _generate_for_batch(self, batch):
        """Create the cards of ``batch`` in one batched create."""
        count = batch.quantity
        start = self._next_serial_start(count)
        try:
            serials = vouchers.serial_numbers(batch._get_serial_prefix(), start, count)
        except vouchers.InvalidVoucherConfig as exc:
            raise UserError(str(exc)) from exc
        pins = self._new_pins(batch.company_id, count)
        box = self._isp_secret_box()
        today = fields.Date.context_today(self)
        expires_on = (
            today + datetime.timedelta(days=batch.shelf_life_days)
            if batch.shelf_life_days
            else False
        )
        vals_list = [
            self._prepare_card_vals(batch, serial, box.encrypt(pin), digest, expires_on)
            for serial, (pin, digest) in zip(serials, pins, strict=True)
        ]
        return self.sudo().create(vals_list)

    # ------------------------------------------------------------------
    # Redemption
    # ------------------------------------------------------------------
    @api.model
    def _normalize_entered_pin(self, pin):
        try:
            return vouchers.normalize_pin(pin, length=vouchers.PIN_LENGTH)
        except vouchers.InvalidPin as exc:
            raise UserError(
                _(
                    "This is not a valid voucher PIN: it has %(length)s letters and digits, "
                    "without 0, O, 1, I or L.",
                    length=vouchers.PIN_LENGTH,
                )
            ) from exc

    @api.model
    def _claim_pin(self, pin, subscription=None):
        """Mark the card of ``pin`` used, atomically; return it or raise a UserError.

        One conditional UPDATE: of two concurrent redemptions, the second waits for the
        first and then finds the card no longer redeemable.
        """
        pin = self._normalize_entered_pin(pin)
        digests = self._pin_digests(pin)
        company = self.env.company
        today = self.env["isp.subscription"]._isp_today()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """UPDATE isp_voucher_card
                      SET state = 'used', used_at = now() AT TIME ZONE 'UTC',
                          used_by_subscription_id = %s,
                          write_uid = %s, write_date = now() AT TIME ZONE 'UTC'
                    WHERE company_id = %s AND pin_digest = ANY(%s)
                      AND state IN %s
                      AND (expires_on IS NULL OR expires_on >= %s)
                RETURNING id""",
                subscription.id if subscription else None,
                self.env.uid,
                company.id,
                digests,
                REDEEMABLE_STATES,
                today,
            )
        )
        row = self.env.cr.fetchone()
        if row:
            card = self.browse(row[0])
            card.invalidate_recordset()
            return card
        self._raise_unredeemable(company, digests, today)

    @api.model
    def _raise_unredeemable(self, company, digests, today):
        """Explain why no card was claimed (the lookup only words the message)."""
        card = self.sudo().search(
            [("company_id", "=", company.id), ("pin_digest", "in", digests)], limit=1
        )
        if not card:
            raise UserError(_("Unknown voucher PIN: check the card and type it again."))
        if card.state == "used":
            raise UserError(_("Voucher %s is already used.", card.serial))
        raise UserError(_("Voucher %s is expired.", card.serial))

    def _redeem(self, pin, subscription=None, partner=None):
        """Redeem ``pin`` for ``subscription``, or a new hotspot subscription of ``partner``.

        Callers check who may redeem (staff, agents, the captive portal); this method
        does the redemption itself. Returns the subscription.
        """
        if not subscription and not partner:
            raise UserError(_("Redeeming a voucher needs a subscription or a subscriber."))
        card = self._claim_pin(pin, subscription)
        if not subscription:
            subscription = self._create_hotspot_subscription(card, partner)
            card.sudo().write({"used_by_subscription_id": subscription.id})
        card._apply_to_subscription(subscription)
        self.env["isp.audit.log"]._log(
            card,
            "other",
            _(
                "Voucher %(serial)s redeemed for %(subscription)s",
                serial=card.serial,
                subscription=subscription.display_name,
            ),
            new_value=subscription.display_name,
        )
        return subscription

    def _prepare_hotspot_subscription_vals(self, partner):
        self.ensure_one()
        return {
            "partner_id": partner.id,
            "company_id": self.company_id.id,
            "package_id": self.package_id.id,
            "connection_type": "hotspot",
            "username": self.serial.lower(),
        }

    def _create_hotspot_subscription(self, card, partner):
        # The password is generated (and encrypted) by the subscription itself.
        return self.env["isp.subscription"].create(card._prepare_hotspot_subscription_vals(partner))

    def _apply_to_subscription(self, subscription):
        """Add the card's validity to ``subscription`` and bring it online."""
        self.ensure_one()
        now = fields.Datetime.now()
        subscription.write(
            {
                "expiry_at": validity.extend_expiry(
                    subscription.expiry_at or None, now, self.validity_days
                )
            }
        )
        if subscription.state in ("draft", "inactive", "expired"):
            subscription.action_activate()
        elif subscription.state == "suspended":
            subscription.action_restore()
        elif subscription.state != "active":
            raise UserError(
                _("%s is terminated; a voucher cannot renew it.", subscription.display_name)
            )

    # ------------------------------------------------------------------
    # Cron and printing
    # ------------------------------------------------------------------
    @api.model
    def _cron_expire_cards(self, batch_size=1000):
        """Mark unused cards past their last day expired, committing per batch."""
        today = self.env["isp.subscription"]._isp_today()
        domain = [("state", "in", REDEEMABLE_STATES), ("expires_on", "<", today)]
        total = self.search_count(domain)
        done = 0
        while True:
            cards = self.search(domain, limit=batch_size)
            if not cards:
                break
            cards.write({"state": "expired"})
            done += len(cards)
            self.env["ir.cron"]._notify_progress(done=done, remaining=max(total - done, 0))
            self.env.cr.commit()  # pylint: disable=invalid-commit
        _logger.info("Expired %s voucher cards", done)

    def action_print_cards(self):
        if not self:
            raise UserError(_("Select the cards to print."))
        return self.env.ref("isp_billing.action_report_isp_voucher_card").report_action(
            self, config=False
        )

    def _get_printable_pins(self):
        """``{card id: plain PIN}`` for the printed sheet: ISP staff only, audited."""
        if not self.env.user.has_group("isp_base.group_isp_staff"):
            raise AccessError(_("Only ISP staff may print voucher PINs."))
        self.check_access("read")
        box = self._isp_secret_box()
        pins = {card.id: box.decrypt(card.sudo().pin_encrypted) for card in self}
        self.env["isp.audit.log"]._log(self, "secret_reveal", _("Voucher PIN printed"))
        return pins
