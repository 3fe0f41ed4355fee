from decimal import Decimal

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_round

from ..lib import commission, tree, wallet

RESELLER_KIND_SELECTION = [
    ("reseller", "Reseller"),
    ("sub_reseller", "Sub-reseller"),
    ("card_partner", "Card Partner"),
]
PERMISSIONS = (
    "add_client",
    "view_all_clients",
    "renew_client",
    "edit_payment",
    "give_discount",
    "send_sms",
    "reseller_module",
)


class IspReseller(models.Model):
    """A node of the reseller tree: reseller, sub-reseller or card partner.

    One record per reseller partner (1-1). ``_parent_store`` keeps ``parent_path``
    so that record rules confine a reseller's users with ``child_of``.
    """

    _name = "isp.reseller"
    _description = "ISP Reseller"
    _inherit = ["mail.thread"]
    _parent_store = True
    _order = "parent_path, id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="restrict", index=True, tracking=True
    )
    name = fields.Char(related="partner_id.name", store=True, readonly=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(
        RESELLER_KIND_SELECTION, required=True, default="reseller", tracking=True
    )
    parent_id = fields.Many2one(
        "isp.reseller",
        string="Parent Reseller",
        index=True,
        ondelete="restrict",
        tracking=True,
        check_company=True,
        help="Empty for a reseller working directly under the ISP.",
    )
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("isp.reseller", "parent_id", string="Sub-resellers")
    depth = fields.Integer(compute="_compute_depth", store=True, recursive=True)
    # modes
    wallet_mode = fields.Selection(
        [
            ("easy", "Easy Resell"),
            ("prepaid", "Prepaid Wallet"),
            ("postpaid", "Postpaid Wallet"),
        ],
        required=True,
        default="prepaid",
        tracking=True,
        help="Easy resell: the reseller only recharges its subscribers; each recharge "
        "is debited from the wallet without any limit (the balance may go negative) and "
        "the reseller settles the balance with the ISP later. "
        "Prepaid: the wallet never goes below zero. Postpaid: it may go down to minus "
        "the credit limit.",
    )
    credit_limit = fields.Monetary(tracking=True)
    billing_cycle = fields.Selection(
        [("monthly", "Monthly"), ("daily", "Daily")],
        required=True,
        default="monthly",
        string="Subscriber Billing",
        help="New subscriptions of this reseller's subscribers get the company's billing "
        "profile of this cycle (see Billing Profile). Changing it does not change the "
        "existing subscriptions.",
    )
    prorate = fields.Boolean(
        string="Pro-rated Billing",
        default=True,
        help="Monthly billing: the first bill of a new subscription is pro-rated to the "
        "days used (a profile whose first bill is not a full month); off, the first bill "
        "is a full month. Daily billing is never pro-rated. Changing it does not change "
        "the existing subscriptions.",
    )
    share_percent = fields.Float(
        string="Reseller Share (%)",
        help="The reseller buys a package at its price less this share.",
    )
    # permissions
    perm_add_client = fields.Boolean(string="add clients", default=True)
    perm_view_all_clients = fields.Boolean(
        string="view the clients of its sub-resellers", default=True
    )
    perm_renew_client = fields.Boolean(string="renew clients", default=True)
    perm_edit_payment = fields.Boolean(string="edit payments")
    perm_give_discount = fields.Boolean(string="give discounts")
    perm_send_sms = fields.Boolean(string="send SMS")
    perm_reseller_module = fields.Boolean(string="create sub-resellers")
    user_ids = fields.One2many("res.users", "isp_reseller_id", string="Users")
    subscriber_ids = fields.One2many("res.partner", "reseller_id", string="Subscribers")
    wallet_balance = fields.Monetary(
        compute="_compute_wallet_balance",
        help="Sum of the posted entries of this reseller on the reseller wallet account.",
    )
    # bumped under the row lock by every wallet debit: see _isp_lock_wallet
    wallet_version = fields.Integer(readonly=True, copy=False, default=0)
    price_ids = fields.One2many("isp.reseller.price", "reseller_id", string="Prices")
    commission_ids = fields.One2many("isp.reseller.commission", "reseller_id", string="Commissions")
    commission_count = fields.Integer(compute="_compute_commission_count")
    commission_on_collection = fields.Boolean(
        tracking=True,
        help="When the ISP collects an invoice of a subscriber of this reseller's "
        "network, credit this reseller's wallet with its margin on the collected amount.",
    )
    sms_balance = fields.Integer(
        string="SMS Balance",
        compute="_compute_sms_balance",
        help="SMS segments left: credit granted or sold less the segments sent.",
    )
    # bumped under the row lock by every SMS debit: see _isp_lock_sms
    sms_version = fields.Integer(readonly=True, copy=False, default=0)
    subscriber_billing_profile_id = fields.Many2one(
        "isp.billing.profile",
        string="Billing Profile",
        compute="_compute_subscriber_billing_profile_id",
        help="The billing profile given to new subscriptions of this reseller's subscribers "
        "(unless one is chosen): the company's profile of the reseller's billing cycle and "
        "proration, the default profile first.",
    )

    _sql_constraints = [
        ("partner_uniq", "unique(partner_id)", "A partner is at most one reseller."),
        ("credit_limit_positive", "CHECK(credit_limit >= 0)", "The credit limit is >= 0."),
        (
            "share_percent_range",
            "CHECK(share_percent >= 0 AND share_percent <= 100)",
            "The share is between 0 and 100%.",
        ),
    ]

    @api.depends("parent_id.depth")
    def _compute_depth(self):
        for reseller in self:
            reseller.depth = reseller.parent_id.depth + 1 if reseller.parent_id else 1

    def _compute_wallet_balance(self):
        balances = self._isp_get_wallet_balances()
        for reseller in self:
            reseller.wallet_balance = balances.get(reseller.id, 0.0)

    @api.constrains("kind", "parent_id", "company_id")
    def _check_placement(self):
        if self._has_cycle():
            raise ValidationError(_("A reseller cannot be under itself."))
        messages = {
            "unknown_kind": _("Unknown reseller kind."),
            "sub_reseller_needs_parent": _("A sub-reseller works under a reseller."),
            "reseller_is_root": _("A reseller works directly under the ISP."),
            "card_partner_is_leaf": _("A card partner has no resellers under it."),
            "too_deep": _("The reseller tree is limited to %s levels."),
        }
        for reseller in self:
            error = tree.placement_error(
                reseller.kind,
                reseller.parent_id.kind or None,
                reseller.depth,
                reseller.company_id.isp_reseller_max_depth,
            )
            if error == "too_deep":
                raise ValidationError(messages[error] % reseller.company_id.isp_reseller_max_depth)
            if error:
                raise ValidationError(messages[error])

    @api.constrains("child_ids")
    def _check_children_depth(self):
        self.child_ids._check_placement()

    @api.model_create_multi
    def create(self, vals_list):
        user = self.env.user
        if not self.env.su and user.isp_reseller_id:
            user._isp_check_reseller_permission("reseller_module")
            for vals in vals_list:
                vals.setdefault("parent_id", user.isp_reseller_id.id)
                vals.setdefault("kind", "sub_reseller")
            user._isp_check_reseller_scope([vals.get("parent_id") for vals in vals_list])
        return super().create(vals_list)

    def write(self, vals):
        if "parent_id" in vals:
            user = self.env.user
            if not self.env.su and user.isp_reseller_id:
                if not vals["parent_id"]:
                    raise AccessError(_("Only the ISP places resellers at the top of the tree."))
                user._isp_check_reseller_scope([vals["parent_id"]])
        res = super().write(vals)
        if {"perm_view_all_clients", "active"} & set(vals):
            # record rules read these through user.isp_reseller_id: cached per user
            self.env.registry.clear_cache()
        if "kind" in vals:
            self.user_ids._isp_apply_reseller_group()
        if any(name.startswith("perm_") for name in vals):
            self.with_context(active_test=False).user_ids._isp_apply_reseller_permission_groups()
        return res

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_isp_login_as(self):
        """Open the panel as one of this reseller's users (see controllers/login_as.py).

        The page asks the manager to confirm; the switch itself is a POST with CSRF.
        """
        self.ensure_one()
        self._isp_check_login_as()
        return {
            "type": "ir.actions.act_url",
            "url": f"/isp_reseller/login_as/{self.id}",
            "target": "self",
        }

    def _isp_get_login_as_user(self):
        """The user a manager works as: the first active internal user of the reseller."""
        self.ensure_one()
        return self.sudo().user_ids.filtered(lambda user: user.active and not user.share)[:1]

    def _isp_check_login_as(self, impersonating=False):
        """Refuse a login-as the current user may not start on this reseller."""
        self.ensure_one()
        if impersonating:
            raise AccessError(_("Return to your own session before working as another user."))
        user = self.env.user
        if not user.has_group("isp_base.group_isp_manager") or user.isp_reseller_id:
            raise AccessError(_("Only ISP managers may work as a reseller's user."))
        if not self.active or not self._isp_get_login_as_user():
            raise UserError(
                _("%(reseller)s has no active user to work as.", reseller=self.display_name)
            )

    def action_isp_open_transfers(self):
        self.ensure_one()
        return self.env["isp.reseller.transfer"]._isp_get_transfers_action(
            ["|", ("from_reseller_id", "=", self.id), ("to_reseller_id", "=", self.id)],
            _("Transfers of %(reseller)s", reseller=self.display_name),
        )

    @api.model
    def _isp_action_open_sub_resellers(self):
        """The panel's "Sub-resellers": the strict descendants of the user's reseller."""
        own = self.env.user.isp_reseller_id
        domain = [("parent_id", "!=", False)]
        if own:
            domain = [("id", "child_of", own.ids), ("id", "not in", own.ids)]
        return {
            "type": "ir.actions.act_window",
            "name": _("Sub-resellers"),
            "res_model": self._name,
            "view_mode": "list,form",
            "domain": domain,
            "context": {"default_kind": "sub_reseller"},
        }

    @api.model
    def get_view(self, view_id=None, view_type="form", **options):
        res = super().get_view(view_id, view_type, **options)
        return self.env.user._isp_panel_restrict_view(res, view_type, "reseller_module")

    def action_open_wallet_entries(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Wallet of %s", self.display_name),
            "res_model": "account.move.line",
            "view_mode": "list",
            "domain": self._isp_get_wallet_line_domain(),
            "views": [
                (
                    self.env.ref("isp_reseller.account_move_line_view_list_reseller_wallet").id,
                    "list",
                )
            ],
            "context": {"create": False},
        }

    @api.model
    def _isp_demo_assign_subscribers(self, reseller_ids, count):
        """Demo data: give ``count`` subscribers of the ISP to each reseller."""
        resellers = self.browse(reseller_ids)
        subscribers = self.env["res.partner"].search(
            [("is_isp_subscriber", "=", True), ("reseller_id", "=", False)],
            order="id",
            limit=count * len(resellers),
        )
        for index, reseller in enumerate(resellers):
            subscribers[index * count : (index + 1) * count].write({"reseller_id": reseller.id})

    # ------------------------------------------------------------------
    # Wallet: a ledger balance
    # ------------------------------------------------------------------
    def _isp_get_wallet_line_domain(self):
        # reading never creates the account: no account yet means no wallet line yet
        accounts = self.company_id.sudo().isp_reseller_wallet_account_id.ids
        return [
            ("account_id", "in", accounts),
            ("partner_id", "in", self.partner_id.ids),
            ("parent_state", "=", "posted"),
        ]

    def _isp_get_wallet_balances(self):
        """{reseller id: balance}: credit minus debit of its posted wallet lines."""
        if not self.ids:
            return {}
        self.env["account.move.line"].flush_model(
            ["account_id", "partner_id", "parent_state", "balance", "company_id"]
        )
        self.flush_model(["partner_id", "company_id"])
        # reading never creates the account (a read-only request may compute this)
        accounts = self.company_id.sudo().isp_reseller_wallet_account_id.ids
        if not accounts:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT r.id, -COALESCE(SUM(l.balance), 0)
                  FROM isp_reseller r
                  JOIN account_move_line l
                    ON l.partner_id = r.partner_id
                   AND l.company_id = r.company_id
                   AND l.parent_state = 'posted'
                   AND l.account_id = ANY(%(accounts)s)
                 WHERE r.id = ANY(%(ids)s)
                 GROUP BY r.id
                """,
                accounts=accounts,
                ids=list(self.ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def _isp_lock_wallet(self):
        """Serialise wallet debits of this reseller; return the version taken.

        ``SELECT ... FOR UPDATE`` makes a concurrent debit wait for this transaction;
        the version bump in the same statement makes that waiter fail with a
        serialization error once this one commits (Odoo runs in REPEATABLE READ, so a
        waiter that only locked would compute the balance on its stale snapshot). The
        request is then retried by Odoo with a fresh snapshot that sees our entry.
        """
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """
                UPDATE isp_reseller SET wallet_version = wallet_version + 1
                 WHERE id = (SELECT id FROM isp_reseller WHERE id = %(id)s FOR UPDATE)
             RETURNING wallet_version
                """,
                id=self.id,
            )
        )
        row = self.env.cr.fetchone()
        self.invalidate_recordset(["wallet_version"])
        return row[0]

    def _isp_check_wallet_debit(self, amount):
        """Lock the wallet, then refuse ``amount`` if the mode does not allow it."""
        self.ensure_one()
        self._isp_lock_wallet()
        currency = self.currency_id
        balance = self._isp_get_wallet_balances().get(self.id, 0.0)
        try:
            wallet.check_debit(
                float_round(balance, precision_rounding=currency.rounding),
                float_round(amount, precision_rounding=currency.rounding),
                self.wallet_mode,
                self.credit_limit,
            )
        except wallet.WalletRefused as refused:
            raise UserError(
                _(
                    "The wallet of %(reseller)s allows %(available)s; %(amount)s is needed.",
                    reseller=self.display_name,
                    available=currency.format(float(refused.available)),
                    amount=currency.format(amount),
                )
            ) from None

    def _isp_prepare_wallet_move_vals(self, label, lines, journal=None, date=None):
        """An entry on this reseller's wallet: ``lines`` are (account, reseller or
        partner, debit, credit[, name]) tuples, each line named ``label`` unless it
        names itself; the wallet journal unless ``journal``."""
        self.ensure_one()
        journal = journal or self.company_id._isp_get_reseller_wallet_journal()
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "company_id": self.company_id.id,
            "date": date or fields.Date.context_today(self),
            "ref": label,
            "partner_id": self.partner_id.id,
            "isp_reseller_wallet_id": self.id,
            "line_ids": [
                Command.create(self._isp_prepare_wallet_line_vals(label, *line)) for line in lines
            ],
        }

    def _isp_prepare_wallet_line_vals(
        self, label, account, owner, debit=0.0, credit=0.0, name=None
    ):
        partner = owner.partner_id if owner._name == "isp.reseller" else owner
        return {
            "name": name or label,
            "account_id": account.id,
            "partner_id": partner.id,
            "debit": debit,
            "credit": credit,
        }

    def _isp_prepare_wallet_top_up_move_vals(self, amount, journal, reference):
        self.ensure_one()
        label = _("Wallet top-up of %(reseller)s", reseller=self.display_name)
        if reference:
            label = f"{label} ({reference})"
        wallet_account = self.company_id._isp_get_reseller_wallet_account()
        return self._isp_prepare_wallet_move_vals(
            label,
            [
                (journal.default_account_id, self, amount, 0.0),
                (wallet_account, self, 0.0, amount),
            ],
            journal=journal,
        )

    def _isp_wallet_top_up(self, amount, method="cash", reference=None):
        """Post a top-up of ``amount`` received by ``method`` (cash, bank, bKash, Nagad).

        Debits the method's journal account, credits the reseller's wallet. Returns the
        posted entry.
        """
        self.ensure_one()
        self._isp_check_manage_wallet()
        if self.currency_id.compare_amounts(amount, 0) <= 0:
            raise UserError(_("A top-up is a positive amount."))
        journal = self.env["account.journal"]._isp_get_payment_journal(method, self.company_id)
        move = (
            self.env["account.move"]
            .sudo()
            .create(self._isp_prepare_wallet_top_up_move_vals(amount, journal, reference))
        )
        move.action_post()
        return move

    def _isp_check_manage_wallet(self):
        if not (self.env.su or self.env.user.has_group("isp_billing.group_isp_billing")):
            raise AccessError(_("Only billing officers top up reseller wallets."))

    def _isp_get_revenue_account(self, package):
        accounts = (
            package.product_tmpl_id.sudo().with_company(self.company_id)._get_product_accounts()
        )
        account = accounts.get("income")
        if not account:
            raise UserError(
                _("Set an income account on %(package)s.", package=package.display_name)
            )
        return account

    def _isp_prepare_wallet_recharge_move_vals(self, subscription, package, units, amount):
        """Debit the wallet ``amount``; credit the ISP's revenue its share and each
        ancestor its commission (see :meth:`_isp_get_sale_commissions`)."""
        self.ensure_one()
        isp_amount, earnings = self._isp_get_sale_commissions(package, units)
        label = _(
            "Recharge of %(subscription)s: %(package)s x %(units)s",
            subscription=subscription.display_name,
            package=package.display_name,
            units=units,
        )
        wallet_account = self.company_id._isp_get_reseller_wallet_account()
        return self._isp_prepare_wallet_move_vals(
            label,
            [
                (wallet_account, self, amount, 0.0),
                (
                    self._isp_get_revenue_account(package),
                    self,
                    0.0,
                    isp_amount if earnings else amount,
                ),
                *self._isp_get_commission_lines(earnings, label),
            ],
        )

    def _isp_check_can_recharge(self, subscription):
        self.ensure_one()
        if self.env.su:
            return
        user = self.env.user
        if user.has_group("isp_billing.group_isp_billing"):
            return
        if user.isp_reseller_id:
            user._isp_check_reseller_permission("renew_client")
        # a reseller's user spends from its own wallet only, never from a sub-reseller's
        in_scope = user.isp_reseller_id == self
        if (
            not in_scope
            or not subscription.reseller_id
            or not self.search_count(
                [("id", "child_of", self.ids), ("id", "=", subscription.reseller_id.id)]
            )
        ):
            raise AccessError(
                _(
                    "%(reseller)s cannot recharge %(subscription)s.",
                    reseller=self.display_name,
                    subscription=subscription.display_name,
                )
            )

    def _isp_wallet_recharge(self, subscription, package=None, units=1):
        """Recharge ``subscription`` from this reseller's wallet.

        Under the wallet lock: the buying price is checked against the wallet mode,
        an entry debits the wallet and credits the ISP's revenue, then the validity
        is extended as for a counter recharge. Returns the posted entry.
        """
        self.ensure_one()
        subscription.ensure_one()
        self._isp_check_can_recharge(subscription)
        package = package or subscription.package_id
        subscription._isp_check_rechargeable(package, units)
        reseller = self.sudo()
        amount = reseller._isp_get_buying_price(package, units)
        reseller._isp_check_wallet_debit(amount)
        move = (
            self.env["account.move"]
            .sudo()
            .create(
                reseller._isp_prepare_wallet_recharge_move_vals(
                    subscription, package, units, amount
                )
            )
        )
        move.action_post()
        reseller._isp_record_commissions(move, "recharge", package, units, subscription)
        subscription.sudo()._isp_extend_after_reseller_recharge(package, units, move)
        return move

    # ------------------------------------------------------------------
    # Prices, commissions and wallet transfers
    # ------------------------------------------------------------------

    def _compute_commission_count(self):
        counts = dict(
            self.env["isp.reseller.commission"]._read_group(
                [("reseller_id", "in", self.ids)], ["reseller_id"], ["__count"]
            )
        )
        for reseller in self:
            reseller.commission_count = counts.get(reseller, 0)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open_commissions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_reseller.action_isp_reseller_commission"
        )
        action["domain"] = [("reseller_id", "=", self.id)]
        return action

    def action_open_wallet_top_up(self):
        self.ensure_one()
        return self._isp_wizard_action(
            "isp.reseller.wallet.top.up.wizard",
            _("Top Up Wallet"),
            {"default_reseller_id": self.id},
        )

    def action_open_wallet_transfer(self):
        self.ensure_one()
        user_reseller = self.env.user.isp_reseller_id
        source = user_reseller if user_reseller and user_reseller != self else self.parent_id
        return self._isp_wizard_action(
            "isp.reseller.wallet.transfer.wizard",
            _("Transfer to Sub-reseller"),
            {"default_reseller_id": source.id, "default_child_id": self.id},
        )

    @api.model
    def _isp_wizard_action(self, model, name, context):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": context,
        }

    # ------------------------------------------------------------------
    # Prices
    # ------------------------------------------------------------------
    def _isp_get_chain(self):
        """The resellers from the top of the tree down to ``self`` (sudo)."""
        self.ensure_one()
        reseller = self.sudo()
        ids = [int(rid) for rid in (reseller.parent_path or "").split("/") if rid]
        chain = reseller.browse(ids) if ids else reseller
        return chain if chain[-1:] == reseller else chain | reseller

    def _isp_get_price_rows(self, package):
        """{reseller id: its isp.reseller.price row for ``package``} over ``self``."""
        rows = (
            self.env["isp.reseller.price"]
            .sudo()
            .search([("reseller_id", "in", self.ids), ("package_id", "=", package.id)])
        )
        return {row.reseller_id.id: row for row in rows}

    def _isp_get_chain_prices(self, package, units):
        """[(reseller, buying price)] from the top of the tree down to ``self``.

        A reseller's price row wins (a fixed price per unit, or a share); without one
        its ``share_percent`` applies: off the list price at the top of the tree, off
        its parent's margin below. A node priced below its parent is refused.
        """
        self.ensure_one()
        chain = self._isp_get_chain()
        rows = chain._isp_get_price_rows(package)
        rounding = str(self.currency_id.rounding)
        list_price = Decimal(str(package.lst_price)) * Decimal(str(units))
        result = []
        parent_price = None
        for node in chain:
            row = rows.get(node.id)
            if row and row.price_mode == "fixed":
                price = commission.round_amount(
                    Decimal(str(row.buying_price)) * Decimal(str(units)), rounding
                )
            else:
                share = row.share_percent if row else node.share_percent
                price = commission.share_price(list_price, share, parent_price, rounding)
            result.append((node, price))
            parent_price = price
        try:
            commission.check_chain([price for _node, price in result])
        except commission.PriceBelowParent as refused:
            node, parent = result[refused.index][0], result[refused.index - 1][0]
            raise UserError(
                _(
                    "%(reseller)s buys %(package)s at %(price)s, below its parent %(parent)s "
                    "(%(parent_price)s): fix the price list.",
                    reseller=node.display_name,
                    package=package.display_name,
                    price=self.currency_id.format(float(refused.price)),
                    parent=parent.display_name,
                    parent_price=self.currency_id.format(float(refused.parent_price)),
                )
            ) from None
        return result

    def _isp_get_buying_price(self, package, units):
        """What the reseller pays for ``units`` of ``package``: see _isp_get_chain_prices."""
        self.ensure_one()
        return float(self._isp_get_chain_prices(package, units)[-1][1])

    def _isp_get_subscriber_price(self, package, units=1):
        """What the reseller's subscribers pay for ``units`` of ``package``."""
        self.ensure_one()
        row = self._isp_get_price_rows(package).get(self.id)
        unit_price = row.subscriber_price if row and row.subscriber_price else package.lst_price
        return self.currency_id.round(unit_price * units)

    # ------------------------------------------------------------------
    # Commissions of a wallet recharge
    # ------------------------------------------------------------------
    def _isp_get_sale_commissions(self, package, units):
        """(ISP amount, [(ancestor, amount, base)]) when ``self`` pays its buying price."""
        chain_prices = self._isp_get_chain_prices(package, units)
        split = commission.split([price for _node, price in chain_prices])
        earnings = [
            (node, float(amount), float(chain_prices[index + 1][1]))
            for index, ((node, _price), amount) in enumerate(
                zip(chain_prices, split.earnings, strict=True)
            )
            if node != self.sudo() and amount > 0
        ]
        return float(split.isp_amount), earnings

    def _isp_get_commission_lines(self, earnings, label):
        """The wallet lines crediting each ancestor its commission (see
        :meth:`_isp_prepare_wallet_move_vals`)."""
        wallet_account = self.company_id._isp_get_reseller_wallet_account()
        name = _("Commission: %(label)s", label=label)
        return [(wallet_account, node, 0.0, amount, name) for node, amount, _base in earnings]

    def _isp_record_commissions(self, move, kind, package=None, units=0, subscription=None):
        """Create the trail rows of the commission lines of the posted ``move``.

        Each credit line on the wallet account for another reseller than ``self`` is an
        ancestor's commission on a sale by ``self``.
        """
        self.ensure_one()
        account = self.company_id._isp_get_reseller_wallet_account()
        lines = move.line_ids.filtered(
            lambda line: (
                line.account_id == account and line.credit and line.partner_id != self.partner_id
            )
        )
        if not lines:
            return self.env["isp.reseller.commission"]
        chain = self._isp_get_chain()
        by_partner = {node.partner_id: node for node in chain}
        bases = {}
        if package:
            prices = dict(self._isp_get_chain_prices(package, units))
            for index, node in enumerate(chain[:-1]):
                bases[node] = float(prices[chain[index + 1]])
        # one row per reseller and entry, even when an entry pays it on several lines
        per_reseller = {}
        for line in lines:
            node = by_partner[line.partner_id]
            first, amount = per_reseller.get(node, (line, 0.0))
            per_reseller[node] = (first, amount + line.credit)
        return (
            self.env["isp.reseller.commission"]
            .sudo()
            .create(
                [
                    {
                        "reseller_id": node.id,
                        "company_id": move.company_id.id,
                        "kind": kind,
                        "source_move_id": move.id,
                        "move_line_id": line.id,
                        "subscription_id": subscription.id if subscription else False,
                        "seller_id": self.id,
                        "package_id": package.id if package else False,
                        "units": units,
                        "base": bases.get(node, 0.0),
                        "amount": self.currency_id.round(amount),
                        "date": move.date,
                    }
                    for node, (line, amount) in per_reseller.items()
                ]
            )
        )

    # ------------------------------------------------------------------
    # Commissions on collections
    # ------------------------------------------------------------------
    @api.model
    def _isp_post_collection_commissions(self, invoices):
        """Credit the reseller chain its margin on each paid invoice, once per invoice.

        The invoice row is locked first: a concurrent or retried paid notification
        waits, then sees the rows of the first one and posts nothing.
        """
        invoices = invoices.sudo().filtered(
            lambda move: (
                move.move_type == "out_invoice"
                and move.state == "posted"
                and move.payment_state in ("paid", "in_payment")
                and move.partner_id.commercial_partner_id.reseller_id
            )
        )
        moves = self.env["account.move"]
        for invoice in invoices:
            reseller = invoice.partner_id.commercial_partner_id.reseller_id
            chain = reseller._isp_get_chain()
            if not any(chain.mapped("commission_on_collection")):
                continue
            self.env.cr.execute(
                SQL("SELECT id FROM account_move WHERE id = %s FOR UPDATE", invoice.id)
            )
            Commission = self.env["isp.reseller.commission"].sudo()
            if Commission.search_count([("invoice_id", "=", invoice.id)], limit=1):
                continue
            try:
                earnings = reseller._isp_get_collection_earnings(invoice)
            except UserError as error:
                # a price list to fix never blocks the payment itself
                reseller.message_post(
                    body=_(
                        "Commission on the collection of %(invoice)s not posted: %(error)s",
                        invoice=invoice.name,
                        error=error.args[0],
                    )
                )
                continue
            if not earnings:
                continue
            moves |= reseller._isp_post_collection_entry(invoice, earnings)
        return moves

    def _isp_get_collection_earnings(self, invoice):
        """{reseller: amount} earned on ``invoice``'s package lines by the chain of ``self``."""
        self.ensure_one()
        chain = self._isp_get_chain()
        totals = dict.fromkeys(chain, Decimal(0))
        rounding = str(self.currency_id.rounding)
        for line in invoice.invoice_line_ids.filtered(
            lambda line: line.product_id.is_isp_package and line.quantity > 0
        ):
            prices = self._isp_get_chain_prices(line.product_id, line.quantity)
            sale = commission.round_amount(-line.balance, rounding)
            split = commission.split([price for _node, price in prices], sale)
            for (node, _price), amount in zip(prices, split.earnings, strict=True):
                totals[node] += amount
        return {
            node: float(amount)
            for node, amount in totals.items()
            if node.commission_on_collection and amount > 0
        }

    def _isp_prepare_collection_move_vals(self, invoice, earnings):
        self.ensure_one()
        company = self.company_id
        label = _("Commission on collection of %(invoice)s", invoice=invoice.name)
        total = company.currency_id.round(sum(earnings.values()))
        wallet_account = company._isp_get_reseller_wallet_account()
        return self._isp_prepare_wallet_move_vals(
            label,
            [
                (company._isp_get_reseller_commission_account(), self, total, 0.0),
                *((wallet_account, node, 0.0, amount) for node, amount in earnings.items()),
            ],
        )

    def _isp_post_collection_entry(self, invoice, earnings):
        self.ensure_one()
        # Paid hooks run inside account's reconciliation, which switches the invoice
        # line sync off for the whole cursor (a recursion stack): push a clean frame.
        stack = self.env.cr.cache.get("account_disable_recursion_stack")
        if stack is not None:
            stack.pushmap({"skip_invoice_sync": False, "check_move_validity": True})
        try:
            move = (
                self.env["account.move"]
                .sudo()
                .with_company(self.company_id)
                .create(self._isp_prepare_collection_move_vals(invoice, earnings))
            )
            move.action_post()
        finally:
            if stack is not None:
                stack.popmap()
        account = self.company_id._isp_get_reseller_wallet_account()
        by_partner = {node.partner_id: node for node in earnings}
        self.env["isp.reseller.commission"].sudo().create(
            [
                {
                    "reseller_id": by_partner[line.partner_id].id,
                    "company_id": move.company_id.id,
                    "kind": "collection",
                    "source_move_id": move.id,
                    "move_line_id": line.id,
                    "invoice_id": invoice.id,
                    "subscription_id": invoice.isp_subscription_id.id,
                    "seller_id": self.id,
                    "base": -sum(
                        invoice.invoice_line_ids.filtered("product_id.is_isp_package").mapped(
                            "balance"
                        )
                    ),
                    "amount": line.credit,
                    "date": move.date,
                }
                for line in move.line_ids
                if line.account_id == account and line.credit
            ]
        )
        return move

    # ------------------------------------------------------------------
    # Wallet transfers to sub-resellers
    # ------------------------------------------------------------------
    def _isp_check_can_transfer(self, child):
        self.ensure_one()
        is_descendant = (
            child.id != self.id
            and self.sudo().search_count([("id", "child_of", self.ids), ("id", "=", child.id)]) > 0
        )
        if not is_descendant:
            raise AccessError(
                _(
                    "%(child)s is not a sub-reseller of %(reseller)s.",
                    child=child.sudo().display_name,
                    reseller=self.sudo().display_name,
                )
            )
        if self.env.su or self.env.user.has_group("isp_billing.group_isp_billing"):
            return
        user = self.env.user
        if user.isp_reseller_id != self:
            raise AccessError(_("You may only transfer from your own wallet."))
        user._isp_check_reseller_permission("reseller_module")

    def _isp_prepare_wallet_transfer_move_vals(self, child, amount, reference):
        """The entry of a transfer to ``child``: it belongs to the child's wallet."""
        self.ensure_one()
        label = _(
            "Wallet transfer from %(reseller)s to %(child)s",
            reseller=self.display_name,
            child=child.display_name,
        )
        if reference:
            label = f"{label} ({reference})"
        account = self.company_id._isp_get_reseller_wallet_account()
        return child._isp_prepare_wallet_move_vals(
            label, [(account, self, amount, 0.0), (account, child, 0.0, amount)]
        )

    def _isp_wallet_transfer(self, child, amount, reference=None):
        """Top up the sub-reseller ``child`` from this reseller's wallet; return the entry.

        Both wallets are locked in id order (two opposite transfers never deadlock),
        then this wallet's mode is checked as for any debit.
        """
        self.ensure_one()
        child.ensure_one()
        self._isp_check_can_transfer(child)
        if self.currency_id.compare_amounts(amount, 0) <= 0:
            raise UserError(_("A transfer is a positive amount."))
        reseller, child = self.sudo(), child.sudo()
        for node in (reseller | child).sorted("id"):
            node._isp_lock_wallet()
        reseller._isp_check_wallet_debit(amount)
        move = (
            self.env["account.move"]
            .sudo()
            .create(reseller._isp_prepare_wallet_transfer_move_vals(child, amount, reference))
        )
        move.action_post()
        return move

    # ------------------------------------------------------------------
    # Demo
    # ------------------------------------------------------------------
    @api.model
    def _isp_demo_commissions(self, reseller_id, sub_reseller_id):
        """Demo data: prices on two packages, a top-up and a recharge by the sub-reseller."""
        reseller, sub_reseller = self.browse(reseller_id), self.browse(sub_reseller_id)
        packages = self.env["product.product"].search(
            [("is_isp_package", "=", True), ("isp_validity_days", ">", 0)],
            order="list_price, id",
            limit=2,
        )
        if len(packages) < 2:
            return
        currency = reseller.currency_id
        first, second = packages
        self.env["isp.reseller.price"].create(
            [
                {
                    "reseller_id": reseller.id,
                    "package_id": first.id,
                    "buying_price": currency.round(first.lst_price * 0.8),
                },
                {
                    "reseller_id": sub_reseller.id,
                    "package_id": first.id,
                    "price_mode": "share",
                    "share_percent": 50,
                    "subscriber_price": first.lst_price,
                },
                {
                    "reseller_id": reseller.id,
                    "package_id": second.id,
                    "price_mode": "share",
                    "share_percent": 25,
                },
                {
                    "reseller_id": sub_reseller.id,
                    "package_id": second.id,
                    "buying_price": currency.round(second.lst_price * 0.9),
                },
            ]
        )
        sub_reseller._isp_wallet_top_up(2000, "bkash", "DEMO-BKASH-0001")
        subscription = self.env["isp.subscription"].search(
            [
                ("reseller_id", "=", sub_reseller.id),
                ("billing_profile_id.billing_type", "=", "daily"),
                ("state", "!=", "terminated"),
            ],
            limit=1,
        )
        if subscription:
            sub_reseller._isp_wallet_recharge(subscription, first, 1)

    # ------------------------------------------------------------------
    # Voucher card sales
    # ------------------------------------------------------------------

    def _isp_get_card_sale_price(self, card):
        """The price the holder sells ``card`` at when the seller gives none."""
        self.ensure_one()
        return card.price

    def _isp_prepare_card_sale_move_vals(self, cards, buying):
        """Entry of a card sale: the wallet pays the ISP ``buying[card id]`` per card."""
        self.ensure_one()
        wallet_account = self.company_id._isp_get_reseller_wallet_account()
        lines = []
        for card in cards:
            label = _(
                "Card %(serial)s sold by %(reseller)s",
                serial=card.serial,
                reseller=self.display_name,
            )
            amount = buying[card.id]
            # the chain above the seller earns its commission out of the ISP's share
            isp_amount, earnings = self._isp_get_sale_commissions(card.package_id, 1)
            revenue = self._isp_get_revenue_account(card.package_id)
            lines += [
                (wallet_account, self, amount, 0.0, label),
                (revenue, self, 0.0, isp_amount if earnings else amount, label),
                *self._isp_get_commission_lines(earnings, label),
            ]
        ref = _(
            "Card sale of %(reseller)s: %(count)s card(s)",
            reseller=self.display_name,
            count=len(cards),
        )
        return self._isp_prepare_wallet_move_vals(
            ref, lines, date=self.env["isp.subscription"]._isp_today()
        )

    def _isp_apply_card_sale_commissions(self, cards, move):
        """The trail rows of the commissions the chain earned in the card sale ``move``.

        ``cards`` are of one package (one entry per holder and package).
        """
        self.ensure_one()
        return self._isp_record_commissions(move, "card", cards.package_id[:1], len(cards))

    # ------------------------------------------------------------------
    # SMS balance
    # ------------------------------------------------------------------

    def _compute_sms_balance(self):
        balances = self._isp_get_sms_balances()
        for reseller in self:
            reseller.sms_balance = balances.get(reseller.id, 0)

    def _isp_get_sms_balances(self):
        """{reseller id: SMS segments left} summed by SQL."""
        if not self.ids:
            return {}
        self.env["isp.reseller.sms.move"].flush_model(["reseller_id", "qty"])
        self.env.cr.execute(
            SQL(
                "SELECT reseller_id, COALESCE(SUM(qty), 0) FROM isp_reseller_sms_move "
                "WHERE reseller_id = ANY(%(ids)s) GROUP BY reseller_id",
                ids=list(self.ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def _isp_lock_sms(self):
        """Serialise the SMS debits of these resellers (rows locked in id order).

        As for the wallet: the version bump makes a waiter fail with a serialization
        error once we commit, and Odoo retries it on a snapshot that sees our debits.
        """
        if not self.ids:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE isp_reseller SET sms_version = sms_version + 1
                 WHERE id IN (SELECT id FROM isp_reseller WHERE id = ANY(%(ids)s)
                               ORDER BY id FOR UPDATE)
                """,
                ids=sorted(self.ids),
            )
        )
        self.invalidate_recordset(["sms_version"])

    def action_open_sms_moves(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("SMS balance of %(reseller)s", reseller=self.display_name),
            "res_model": "isp.reseller.sms.move",
            "view_mode": "list,form",
            "domain": [("reseller_id", "=", self.id)],
            "context": {"create": False},
        }

    def _isp_prepare_sms_credit_move_vals(self, amount, account):
        self.ensure_one()
        label = _("SMS credit sold to %(reseller)s", reseller=self.display_name)
        wallet_account = self.company_id._isp_get_reseller_wallet_account()
        return self._isp_prepare_wallet_move_vals(
            label, [(wallet_account, self, amount, 0.0), (account, self, 0.0, amount)]
        )

    def _isp_add_sms_credit(self, qty, price=0.0, account=None, note=None):
        """Grant (``price`` 0) or sell ``qty`` SMS segments; a sale debits the wallet.

        Returns the SMS movement.
        """
        self.ensure_one()
        self._isp_check_manage_wallet()
        if qty <= 0:
            raise UserError(_("Add a positive number of SMS."))
        reseller = self.sudo()
        move = self.env["account.move"]
        if self.currency_id.compare_amounts(price, 0) > 0:
            if not account:
                raise UserError(_("Choose the SMS income account."))
            reseller._isp_check_wallet_debit(price)
            move = move.sudo().create(reseller._isp_prepare_sms_credit_move_vals(price, account))
            move.action_post()
        return (
            self.env["isp.reseller.sms.move"]
            .sudo()
            .create(
                {
                    "reseller_id": self.id,
                    "kind": "purchase" if move else "grant",
                    "qty": qty,
                    "price": price if move else 0.0,
                    "account_move_id": move.id,
                    "note": note,
                }
            )
        )

    def _isp_sms_exhausted_reason(self):
        self.ensure_one()
        return _("SMS balance of %(reseller)s exhausted", reseller=self.display_name)

    @api.depends("billing_cycle", "prorate", "company_id")
    def _compute_subscriber_billing_profile_id(self):
        for reseller in self:
            reseller.subscriber_billing_profile_id = reseller._isp_find_billing_profile()

    def _isp_get_billing_profile_domain(self):
        """The company's active profiles of the reseller's cycle and proration."""
        self.ensure_one()
        domain = [
            ("company_id", "=", self.company_id.id),
            ("billing_type", "=", self.billing_cycle),
        ]
        if self.billing_cycle == "monthly":
            operator = "!=" if self.prorate else "="
            domain.append(("first_bill_type", operator, "full_month"))
        return domain

    def _isp_find_billing_profile(self):
        """The profile for this reseller's subscriptions, or an empty recordset."""
        self.ensure_one()
        return (
            self.env["isp.billing.profile"]
            .sudo()
            .search(
                self._isp_get_billing_profile_domain(),
                order="is_default desc, sequence, id",
                limit=1,
            )
        )

    def _isp_get_billing_profile(self):
        """The profile for this reseller's subscriptions; refuse when the company has none."""
        self.ensure_one()
        profile = self._isp_find_billing_profile()
        if profile:
            return profile
        cycle = dict(self._fields["billing_cycle"]._description_selection(self.env))[
            self.billing_cycle
        ]
        if self.billing_cycle != "monthly":
            what = _("an active billing profile of type %(cycle)s", cycle=cycle)
        elif self.prorate:
            what = _(
                "an active billing profile of type %(cycle)s whose first bill is not a full month",
                cycle=cycle,
            )
        else:
            what = _(
                "an active billing profile of type %(cycle)s whose first bill is a full month",
                cycle=cycle,
            )
        raise UserError(
            _(
                "%(reseller)s bills its subscribers %(cycle)s but %(company)s has no matching "
                "billing profile: create %(what)s (ISP > Billing > Configuration > Billing "
                "Profiles), or change the reseller's billing.",
                reseller=self.display_name,
                cycle=cycle.lower(),
                company=self.company_id.name,
                what=what,
            )
        )
