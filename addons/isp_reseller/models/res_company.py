from odoo import Command, _, fields, models

WALLET_ACCOUNT_CODE_PREFIX = "1219"
WALLET_JOURNAL_CODE = "RSWLT"
COMMISSION_ACCOUNT_CODE_PREFIX = "6219"


class ResCompany(models.Model):
    _inherit = "res.company"

    isp_reseller_max_depth = fields.Integer(
        string="Reseller Tree Depth",
        default=3,
        help="Levels of resellers under the ISP (reseller = 1, its sub-resellers = 2, ...); "
        "0 = no limit.",
    )
    isp_reseller_wallet_account_id = fields.Many2one(
        "account.account", string="Reseller Wallet Account", copy=False
    )
    isp_reseller_wallet_journal_id = fields.Many2one(
        "account.journal", string="Reseller Wallet Journal", copy=False
    )
    isp_reseller_pays_sms = fields.Boolean(
        string="Resellers Pay for Their Subscribers' SMS",
        help="SMS sent to a reseller's subscribers are debited from that reseller's SMS "
        "balance; when the balance is exhausted they are cancelled, not sent.",
    )
    isp_reseller_commission_account_id = fields.Many2one(
        "account.account", string="Reseller Commission Account", copy=False
    )

    def _isp_prepare_reseller_wallet_account_vals(self, code):
        self.ensure_one()
        return {
            "name": _("Reseller wallets"),
            "code": code,
            "account_type": "asset_receivable",
            "reconcile": True,
            "company_ids": [Command.set(self.ids)],
        }

    def _isp_get_reseller_wallet_account(self):
        """The receivable account holding every reseller's wallet (one per company).

        Each line carries the reseller's partner, so a wallet is the balance of that
        partner's posted lines on this account. Created with the chart of accounts
        (see account.chart.template), else on first use.
        """
        return self._isp_get_or_create_account(
            "isp_reseller_wallet_account_id",
            WALLET_ACCOUNT_CODE_PREFIX,
            self._isp_prepare_reseller_wallet_account_vals,
        )

    def _isp_get_or_create_account(self, field_name, code_prefix, prepare_vals):
        """The account in ``field_name``; else one created with the first free code
        ``<code_prefix>NN`` from ``prepare_vals(code)`` and stored there."""
        self.ensure_one()
        if self[field_name]:
            return self[field_name]
        Account = self.env["account.account"].sudo().with_company(self)
        used = set(
            Account.search(
                [*Account._check_company_domain(self), ("code", "=like", f"{code_prefix}%")]
            ).mapped("code")
        )
        code = next(
            f"{code_prefix}{n:02d}" for n in range(100) if f"{code_prefix}{n:02d}" not in used
        )
        account = Account.create(prepare_vals(code))
        self.sudo()[field_name] = account
        return account

    def _isp_prepare_reseller_wallet_journal_vals(self):
        self.ensure_one()
        return {
            "name": _("Reseller Wallets"),
            "code": WALLET_JOURNAL_CODE,
            "type": "general",
            "company_id": self.id,
        }

    def _isp_get_reseller_wallet_journal(self):
        """The miscellaneous journal of wallet debits (recharges), created on first use."""
        self.ensure_one()
        if self.isp_reseller_wallet_journal_id:
            return self.isp_reseller_wallet_journal_id
        Journal = self.env["account.journal"].sudo().with_context(active_test=False)
        journal = Journal.search(
            [("company_id", "=", self.id), ("code", "=", WALLET_JOURNAL_CODE)], limit=1
        ) or Journal.create(self._isp_prepare_reseller_wallet_journal_vals())
        self.sudo().isp_reseller_wallet_journal_id = journal
        return journal

    def _isp_prepare_reseller_commission_account_vals(self, code):
        self.ensure_one()
        return {
            "name": _("Reseller commissions"),
            "code": code,
            "account_type": "expense",
            "company_ids": [Command.set(self.ids)],
        }

    def _isp_get_reseller_commission_account(self):
        """The expense account of commissions paid on collections."""
        return self._isp_get_or_create_account(
            "isp_reseller_commission_account_id",
            COMMISSION_ACCOUNT_CODE_PREFIX,
            self._isp_prepare_reseller_commission_account_vals,
        )

    def _isp_setup_reseller_accounts(self):
        """Create the wallet account and journal and the commission account up front.

        Done at install for the companies that have a chart of accounts, so that no
        request writes the company on the fly (the ``_isp_get_*`` getters still create
        them for a company set up later).
        """
        for company in self:
            company._isp_get_reseller_wallet_account()
            company._isp_get_reseller_wallet_journal()
            company._isp_get_reseller_commission_account()
