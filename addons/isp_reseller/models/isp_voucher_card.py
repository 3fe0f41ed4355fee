from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..lib import cards as card_rules

STAFF_GROUP = "isp_billing.group_isp_billing"


class IspVoucherCard(models.Model):
    """Voucher cards handed down the reseller tree, sold by their holder.

    Every transition appends an :class:`isp.voucher.card.event`; assignments and sales
    are conditional UPDATEs, so two users never take or sell the same card.
    """

    _inherit = "isp.voucher.card"

    isp_reseller_id = fields.Many2one(
        "isp.reseller",
        string="Holder",
        index="btree_not_null",
        readonly=True,
        ondelete="restrict",
        help="The reseller, sub-reseller or card partner holding the card.",
    )
    assigned_by_reseller_id = fields.Many2one(
        "isp.reseller",
        string="Passed On By",
        readonly=True,
        ondelete="set null",
        help="The reseller that passed the card to its holder; empty when the ISP did.",
    )
    assigned_at = fields.Datetime(readonly=True)
    sold_at = fields.Datetime(readonly=True, copy=False, index="btree_not_null")
    sold_by_reseller_id = fields.Many2one(
        "isp.reseller", string="Sold By", readonly=True, index="btree_not_null"
    )
    sale_price = fields.Monetary(readonly=True, copy=False)
    buying_price = fields.Monetary(
        readonly=True, copy=False, help="What the seller's wallet paid the ISP for the card."
    )
    sale_margin = fields.Monetary(
        string="Margin", readonly=True, copy=False, help="Sale price less the buying price."
    )
    sale_move_id = fields.Many2one(
        "account.move", string="Sale Entry", readonly=True, copy=False, ondelete="restrict"
    )
    buyer_phone = fields.Char(readonly=True, copy=False)
    buyer_name = fields.Char(readonly=True, copy=False)
    event_ids = fields.One2many("isp.voucher.card.event", "card_id", string="History")

    def write(self, vals):
        if not self.env.su and set(vals) == {"assigned_partner_id"} and vals["assigned_partner_id"]:
            reseller = (
                self.env["isp.reseller"]
                .sudo()
                .search([("partner_id", "=", vals["assigned_partner_id"])], limit=1)
            )
            if reseller:
                # the agent of the staff's card form is a reseller: a real assignment
                self._isp_assign_cards(reseller, cards=self)
                return True
        if not self.env.su and "assigned_partner_id" in vals and self.filtered("isp_reseller_id"):
            raise UserError(_("Cards held by a reseller are moved with Assign or Unassign."))
        expiring = (
            self.filtered(lambda card: card.state != "expired")
            if vals.get("state") == "expired"
            else self.browse()
        )
        res = super().write(vals)
        if expiring:
            self.env["isp.voucher.card.event"]._isp_log(
                expiring,
                "expired",
                per_card={c.id: {"from_reseller_id": c.isp_reseller_id.id} for c in expiring},
            )
        return res

    # ------------------------------------------------------------------
    # History of the isp_billing transitions
    # ------------------------------------------------------------------
    @api.model
    def _generate_for_batch(self, batch):
        cards = super()._generate_for_batch(batch)
        self.env["isp.voucher.card.event"]._isp_log(cards, "generated")
        return cards

    def _apply_to_subscription(self, subscription):
        res = super()._apply_to_subscription(subscription)
        self.env["isp.voucher.card.event"]._isp_log(
            self,
            "redeemed",
            from_reseller_id=self.sudo().isp_reseller_id.id,
            subscription_id=subscription.id,
        )
        return res

    # ------------------------------------------------------------------
    # Assignment
    # ------------------------------------------------------------------
    @api.model
    def _isp_is_card_staff(self):
        return self.env.su or self.env.user.has_group(STAFF_GROUP)

    @api.model
    def _isp_get_assigner(self, target):
        """The reseller node assigning to ``target`` (empty for the ISP's staff)."""
        Reseller = self.env["isp.reseller"].sudo()
        if self._isp_is_card_staff():
            return Reseller
        user = self.env.user
        if not user.isp_reseller_id:
            raise AccessError(_("Only the ISP's staff and resellers assign voucher cards."))
        if target == user.isp_reseller_id or not Reseller.search_count(
            [("id", "child_of", user.isp_reseller_id.ids), ("id", "=", target.id)]
        ):
            raise AccessError(
                _(
                    "%(reseller)s may only pass cards on to its own network.",
                    reseller=user.isp_reseller_id.sudo().display_name,
                )
            )
        return user.isp_reseller_id.sudo()

    @api.model
    def _isp_get_card_source_condition(self, assigner, target, states):
        """SQL condition on ``c`` of the cards ``assigner`` may hand to ``target``."""
        today = self.env["isp.subscription"]._isp_today()
        conditions = [
            SQL("c.company_id = %s", target.company_id.id),
            SQL("c.sold_at IS NULL"),
            SQL("c.state IN %s", tuple(states)),
            SQL("(c.expires_on IS NULL OR c.expires_on >= %s)", today),
            SQL("c.isp_reseller_id IS DISTINCT FROM %s", target.id),
        ]
        if assigner:
            subtree = self.env["isp.reseller"].sudo().search([("id", "child_of", assigner.ids)])
            conditions.append(SQL("c.isp_reseller_id = ANY(%s)", subtree.ids))
        return SQL(" AND ").join(conditions)

    @api.model
    def _isp_assign_cards(self, target, cards=None, batch=None, count=0, serials=None):
        """Hand cards to the reseller node ``target``; return the cards taken.

        Cards are ``cards``, or the ``count`` first available cards of ``batch`` in
        serial order, or the cards of the serial range ``serials`` (first, last). One
        conditional UPDATE takes them: a card taken meanwhile by another assigner is
        not taken twice (the count falls short and the whole assignment is refused).
        """
        target = target.sudo()
        target.ensure_one()
        if not target.active:
            raise UserError(_("%(reseller)s is archived.", reseller=target.display_name))
        assigner = self._isp_get_assigner(target)
        limit = None
        if cards is not None:
            wanted = cards.sudo()
            where = SQL("c.id = ANY(%s)", wanted.ids)
            states = ("assigned",) if assigner else ("available", "assigned")
        elif serials:
            try:
                first, last = card_rules.serial_range(*serials)
            except card_rules.InvalidSerialRange as exc:
                raise UserError(
                    _("This serial range cannot be used (%(code)s).", code=exc.code)
                ) from None
            wanted = self.sudo().search(
                [
                    ("company_id", "=", target.company_id.id),
                    ("serial", ">=", first),
                    ("serial", "<=", last),
                    *([("batch_id", "=", batch.id)] if batch else []),
                ]
            )
            where = SQL("c.id = ANY(%s)", wanted.ids)
            states = ("assigned",) if assigner else ("available", "assigned")
        elif batch and count > 0:
            wanted = None
            where = SQL("c.batch_id = %s", batch.id)
            states = ("assigned",) if assigner else ("available",)
            limit = count
        else:
            raise UserError(_("Choose the cards to assign: a batch and a count, or serials."))
        if wanted is not None and not wanted:
            raise UserError(_("No voucher card matches."))
        source = self._isp_get_card_source_condition(assigner, target, states)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """WITH s AS MATERIALIZED (
                        SELECT c.id, c.isp_reseller_id AS old_holder
                          FROM isp_voucher_card c
                         WHERE %(where)s AND %(source)s
                      ORDER BY c.serial
                         LIMIT %(limit)s
                           FOR UPDATE)
                   UPDATE isp_voucher_card c
                      SET state = 'assigned', isp_reseller_id = %(target)s,
                          assigned_partner_id = %(partner)s,
                          assigned_by_reseller_id = %(assigner)s,
                          assigned_at = now() AT TIME ZONE 'UTC',
                          write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                     FROM s
                    WHERE c.id = s.id AND c.state IN %(states)s AND c.sold_at IS NULL
                RETURNING c.id, s.old_holder""",
                target=target.id,
                partner=target.partner_id.id,
                assigner=assigner.id or None,
                uid=self.env.uid,
                where=where,
                source=source,
                limit=limit,
                states=tuple(states),
            )
        )
        rows = self.env.cr.fetchall()
        expected = limit if limit else len(wanted)
        if len(rows) != expected:
            raise UserError(
                _(
                    "Only %(taken)s of the %(expected)s cards can be assigned to %(reseller)s: "
                    "the others are sold, used, expired, held elsewhere or already taken.",
                    taken=len(rows),
                    expected=expected,
                    reseller=target.display_name,
                )
            )
        taken = self.browse([row[0] for row in rows]).sudo()
        taken.invalidate_recordset()
        old_holders = dict(rows)
        self.env["isp.voucher.card.event"]._isp_log(
            taken,
            "assigned",
            per_card={cid: {"from_reseller_id": old} for cid, old in old_holders.items()},
            to_reseller_id=target.id,
        )
        return taken.with_env(self.env)

    def _isp_check_can_unassign(self):
        if self._isp_is_card_staff():
            return
        user = self.env.user
        scope = (
            self.env["isp.reseller"].sudo().search([("id", "child_of", user.isp_reseller_id.ids)])
        )
        for card in self.sudo():
            if not user.isp_reseller_id or card.assigned_by_reseller_id not in scope:
                raise AccessError(
                    _(
                        "Only the ISP or who passed %(serial)s on may take it back.",
                        serial=card.serial,
                    )
                )

    def action_isp_unassign(self):
        """Give unsold, unused cards back to who passed them on (the ISP: available)."""
        self._isp_check_can_unassign()
        Event = self.env["isp.voucher.card.event"]
        for card in self.sudo():
            back_to = card.assigned_by_reseller_id
            previous = (
                Event.sudo().search(
                    [
                        ("card_id", "=", card.id),
                        ("event", "=", "assigned"),
                        ("to_reseller_id", "=", back_to.id),
                    ],
                    limit=1,
                )
                if back_to
                else Event
            )
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """UPDATE isp_voucher_card
                          SET state = %(state)s, isp_reseller_id = %(holder)s,
                              assigned_partner_id = %(partner)s,
                              assigned_by_reseller_id = %(by)s,
                              write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                        WHERE id = %(id)s AND state = 'assigned' AND sold_at IS NULL
                          AND isp_reseller_id = %(holder_now)s
                    RETURNING id""",
                    state="assigned" if back_to else "available",
                    holder=back_to.id or None,
                    partner=back_to.partner_id.id or None,
                    by=previous.from_reseller_id.id or None,
                    uid=self.env.uid,
                    id=card.id,
                    holder_now=card.isp_reseller_id.id,
                )
            )
            if not self.env.cr.fetchone():
                raise UserError(
                    _("%(serial)s is sold, used or expired: it stays.", serial=card.serial)
                )
            Event._isp_log(
                card,
                "unassigned",
                from_reseller_id=card.isp_reseller_id.id,
                to_reseller_id=back_to.id,
            )
            card.invalidate_recordset()
        return True

    def action_isp_open_assign_wizard(self):
        return self._isp_open_wizard("isp.voucher.card.assign.wizard", _("Assign Cards"))

    def action_isp_open_sell_wizard(self):
        return self._isp_open_wizard("isp.voucher.card.sell.wizard", _("Sell Cards"))

    def _isp_open_wizard(self, model, name):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_card_ids": [Command.set(self.ids)]},
        }

    # ------------------------------------------------------------------
    # Sale by the holder
    # ------------------------------------------------------------------
    def _isp_check_can_sell(self, holder):
        if self._isp_is_card_staff():
            return
        if self.env.user.isp_reseller_id != holder:
            raise AccessError(_("Only the holder of a card sells it."))

    def _isp_sell(self, sale_price=None, buyer_phone=None, buyer_name=None):
        """Sell the cards: each holder's wallet pays its buying price to the ISP.

        Per holder and package, under the holder's wallet lock: the mode is checked,
        one conditional UPDATE (``sold_at IS NULL``) claims the cards, and one posted
        entry debits the wallet, credits the revenue and the commissions of the chain
        above the holder. A card is sold once. Returns the entries.
        """
        if not self:
            raise UserError(_("Select the cards to sell."))
        cards = self.sudo()
        for card in cards:
            if card.state != "assigned" or not card.isp_reseller_id or card.sold_at:
                raise UserError(
                    _(
                        "%(serial)s cannot be sold: only unsold cards held by a reseller are.",
                        serial=card.serial,
                    )
                )
        moves = self.env["account.move"]
        for holder in cards.isp_reseller_id:
            holder_cards = cards.filtered(lambda c, h=holder: c.isp_reseller_id == h)
            holder_cards.with_env(self.env)._isp_check_can_sell(holder)
            # one entry per package: the chain's commissions are per package
            for package in holder_cards.package_id:
                moves |= holder_cards.filtered(lambda c, p=package: c.package_id == p)._isp_sell_as(
                    holder, sale_price, buyer_phone, buyer_name
                )
        return moves

    def _isp_sell_as(self, holder, sale_price, buyer_phone, buyer_name):
        """Sell ``self`` (sudo, of one package, held by ``holder``); return the entry."""
        buying = {card.id: holder._isp_get_buying_price(card.package_id, 1) for card in self}
        selling = {
            card.id: sale_price if sale_price is not None else holder._isp_get_card_sale_price(card)
            for card in self
        }
        holder._isp_check_wallet_debit(sum(buying.values()))
        today = self.env["isp.subscription"]._isp_today()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """UPDATE isp_voucher_card
                      SET sold_at = now() AT TIME ZONE 'UTC', sold_by_reseller_id = %(holder)s
                    WHERE id = ANY(%(ids)s) AND sold_at IS NULL AND state = 'assigned'
                      AND isp_reseller_id = %(holder)s
                      AND (expires_on IS NULL OR expires_on >= %(today)s)
                RETURNING id""",
                holder=holder.id,
                ids=self.ids,
                today=today,
            )
        )
        if len(self.env.cr.fetchall()) != len(self):
            raise UserError(_("Some of these cards were sold, used or expired meanwhile."))
        self.invalidate_recordset()
        move = (
            self.env["account.move"]
            .sudo()
            .create(holder._isp_prepare_card_sale_move_vals(self, buying))
        )
        move.action_post()
        margins = {
            cid: holder.currency_id.round(float(card_rules.card_margin(selling[cid], buying[cid])))
            for cid in self.ids
        }
        for card in self:
            card.write(
                {
                    "sale_price": selling[card.id],
                    "buying_price": buying[card.id],
                    "sale_margin": margins[card.id],
                    "sale_move_id": move.id,
                    "buyer_phone": buyer_phone or False,
                    "buyer_name": buyer_name or False,
                }
            )
        self.env["isp.voucher.card.event"]._isp_log(
            self,
            "sold",
            per_card={cid: {"amount": selling[cid], "margin": margins[cid]} for cid in self.ids},
            from_reseller_id=holder.id,
            move_id=move.id,
            note=buyer_phone or buyer_name or False,
        )
        holder._isp_apply_card_sale_commissions(self, move)
        return move

    # ------------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------------
    @api.model
    def _isp_demo_reseller_cards(self, reseller_id, assign=10, sell=3):
        """Demo: a batch partly assigned to ``reseller_id``, a few sold, one redeemed."""
        package = self.env["product.product"].search(
            [("is_isp_package", "=", True), ("isp_connection_type", "=", "hotspot")],
            order="list_price, id",
            limit=1,
        )
        if not package:
            return
        reseller = self.env["isp.reseller"].browse(reseller_id)
        batch = self.env["isp.voucher.batch"].create(
            {"package_id": package.id, "quantity": assign * 2, "serial_prefix": "RC"}
        )
        batch.action_generate()
        cards = self._isp_assign_cards(reseller, batch=batch, count=assign)
        reseller._isp_wallet_top_up(package.lst_price * sell, "cash", "DEMO-CARDS")
        sold = cards[:sell]
        sold._isp_sell(buyer_phone="01711000999", buyer_name="Walk-in customer")
        guest = self.env["res.partner"].create(
            {"name": "Hotspot guest (demo card)", "company_id": batch.company_id.id}
        )
        self._redeem(sold[0]._isp_get_secret("pin_encrypted"), partner=guest)
