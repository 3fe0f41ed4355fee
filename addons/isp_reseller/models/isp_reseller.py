from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_round

from ..lib import tree, wallet

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
        help="Easy resell: recharges are debited without a limit and settled later. "
        "Prepaid: the wallet never goes below zero. Postpaid: it may go down to minus "
        "the credit limit.",
    )
    credit_limit = fields.Monetary(tracking=True)
    billing_cycle = fields.Selection(
        [("monthly", "Monthly"), ("daily", "Daily")],
        required=True,
        default="monthly",
        string="Subscriber Billing",
    )
    prorate = fields.Boolean(string="Pro-rated Billing", default=True)
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
        return res

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open_wallet_entries(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Wallet of %s", self.display_name),
            "res_model": "account.move.line",
            "view_mode": "list",
            "domain": self._isp_get_wallet_line_domain(),
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
        accounts = self.company_id.mapped(
            lambda company: company._isp_get_reseller_wallet_account().id
        )
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
        accounts = {
            company.id: company.sudo()._isp_get_reseller_wallet_account().id
            for company in self.company_id
        }
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
                accounts=list(accounts.values()),
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

    def _isp_prepare_wallet_top_up_move_vals(self, amount, journal, reference):
        self.ensure_one()
        account = self.company_id._isp_get_reseller_wallet_account()
        label = _("Wallet top-up of %(reseller)s", reseller=self.display_name)
        if reference:
            label = f"{label} ({reference})"
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "company_id": self.company_id.id,
            "date": fields.Date.context_today(self),
            "ref": label,
            "partner_id": self.partner_id.id,
            "isp_reseller_wallet_id": self.id,
            "line_ids": [
                Command.create(
                    {
                        "name": label,
                        "account_id": journal.default_account_id.id,
                        "partner_id": self.partner_id.id,
                        "debit": amount,
                    }
                ),
                Command.create(
                    {
                        "name": label,
                        "account_id": account.id,
                        "partner_id": self.partner_id.id,
                        "credit": amount,
                    }
                ),
            ],
        }

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

    def _isp_get_buying_price(self, package, units):
        """What the reseller pays the ISP for ``units`` of ``package``."""
        self.ensure_one()
        price = package.lst_price * units * (1 - self.share_percent / 100.0)
        return self.currency_id.round(price)

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
        self.ensure_one()
        label = _(
            "Recharge of %(subscription)s: %(package)s x %(units)s",
            subscription=subscription.display_name,
            package=package.display_name,
            units=units,
        )
        return {
            "move_type": "entry",
            "journal_id": self.company_id._isp_get_reseller_wallet_journal().id,
            "company_id": self.company_id.id,
            "date": fields.Date.context_today(self),
            "ref": label,
            "partner_id": self.partner_id.id,
            "isp_reseller_wallet_id": self.id,
            "line_ids": [
                Command.create(
                    {
                        "name": label,
                        "account_id": self.company_id._isp_get_reseller_wallet_account().id,
                        "partner_id": self.partner_id.id,
                        "debit": amount,
                    }
                ),
                Command.create(
                    {
                        "name": label,
                        "account_id": self._isp_get_revenue_account(package).id,
                        "partner_id": self.partner_id.id,
                        "credit": amount,
                    }
                ),
            ],
        }

    def _isp_check_can_recharge(self, subscription):
        self.ensure_one()
        if self.env.su:
            return
        user = self.env.user
        if user.has_group("isp_billing.group_isp_billing"):
            return
        if user.isp_reseller_id:
            user._isp_check_reseller_permission("renew_client")
        in_scope = self.search_count(
            [("id", "child_of", user.isp_reseller_id.ids), ("id", "=", self.id)]
        )
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
        subscription.sudo()._isp_extend_after_reseller_recharge(package, units, move)
        return move
