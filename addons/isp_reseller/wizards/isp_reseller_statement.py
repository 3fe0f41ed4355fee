from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..lib import statement
from ..models.isp_reseller_report import INVOICE_TYPES


class IspResellerStatement(models.TransientModel):
    """The statement of a reseller over a period: its wallet movements with a running
    balance, and what its subscribers were invoiced, paid and still owe."""

    _name = "isp.reseller.statement"
    _description = "Reseller Statement"

    reseller_id = fields.Many2one("isp.reseller", required=True)
    company_id = fields.Many2one(related="reseller_id.company_id")
    currency_id = fields.Many2one(related="reseller_id.currency_id")
    date_from = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self).replace(day=1)
    )
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    computed = fields.Boolean(readonly=True)
    line_ids = fields.One2many("isp.reseller.statement.line", "statement_id", readonly=True)
    opening_balance = fields.Monetary(readonly=True)
    total_in = fields.Monetary(readonly=True)
    total_out = fields.Monetary(readonly=True)
    closing_balance = fields.Monetary(readonly=True)
    invoiced = fields.Monetary(
        readonly=True, help="Posted invoices of its subscribers less credit notes."
    )
    collected = fields.Monetary(readonly=True, help="Payments reconciled with those invoices.")
    due = fields.Monetary(
        string="Due at the End", readonly=True, help="Invoiced up to the end less collected."
    )
    commission = fields.Monetary(string="Commission Earned", readonly=True)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if "reseller_id" in fields_list and not res.get("reseller_id"):
            if self.env.context.get("active_model") == "isp.reseller":
                res["reseller_id"] = self.env.context.get("active_id")
            else:
                res["reseller_id"] = self.env.user.isp_reseller_id.id
        return res

    # ------------------------------------------------------------------ figures
    def _check_statement_access(self):
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(_("The period ends before it starts."))
        self.reseller_id.check_access("read")
        if not self.env.su:
            self.env.user._isp_check_reseller_scope(self.reseller_id.ids)

    def _get_wallet_lines(self, domain):
        reseller = self.reseller_id.sudo()
        return (
            self.env["account.move.line"]
            .sudo()
            .search(reseller._isp_get_wallet_line_domain() + domain, order="date, id")
        )

    def _get_line_kind(self, line, wallet_journal, commission_line_ids):
        """Commission (a line of an ``isp.reseller.commission`` row), top-up, transfer
        between wallets, or spending (recharges, card sales, SMS credit)."""
        if line.id in commission_line_ids:
            return "commission"
        if line.debit:
            return "spending"
        if line.move_id.journal_id != wallet_journal:
            return "top_up"
        return "transfer"

    def _get_opening_balance(self):
        lines = self._get_wallet_lines([("date", "<", self.date_from)])
        return -sum(lines.mapped("balance"))

    def _get_invoiced(self, date_from, date_to):
        domain = [
            ("state", "=", "posted"),
            ("move_type", "in", INVOICE_TYPES),
            ("commercial_partner_id.reseller_id", "=", self.reseller_id.id),
            ("invoice_date", "<=", date_to),
        ]
        if date_from:
            domain.append(("invoice_date", ">=", date_from))
        moves = self.env["account.move"].sudo().search(domain)
        return sum(moves.mapped("amount_total_signed"))

    def _get_collected(self, date_from, date_to):
        domain = [
            ("debit_move_id.move_id.state", "=", "posted"),
            ("debit_move_id.move_id.move_type", "=", "out_invoice"),
            ("debit_move_id.move_id.commercial_partner_id.reseller_id", "=", self.reseller_id.id),
            ("credit_move_id.move_id.state", "=", "posted"),
            ("credit_move_id.move_id.move_type", "=", "entry"),
            ("max_date", "<=", date_to),
        ]
        if date_from:
            domain.append(("max_date", ">=", date_from))
        partials = self.env["account.partial.reconcile"].sudo().search(domain)
        return sum(partials.mapped("amount"))

    def _prepare_statement_vals(self):
        self.ensure_one()
        wallet_journal = self.company_id.sudo()._isp_get_reseller_wallet_journal()
        lines = self._get_wallet_lines(
            [("date", ">=", self.date_from), ("date", "<=", self.date_to)]
        )
        commission_line_ids = set(
            self.env["isp.reseller.commission"]
            .sudo()
            .search([("move_line_id", "in", lines.ids)])
            .move_line_id.ids
        )
        kinds = {
            line.id: self._get_line_kind(line, wallet_journal, commission_line_ids)
            for line in lines
        }
        digits = self.currency_id.decimal_places
        result = statement.build_statement(
            self._get_opening_balance(),
            [
                (
                    line.id,
                    line.date,
                    line.move_id.ref or line.name or line.move_id.name,
                    line.credit,
                    line.debit,
                )
                for line in lines
            ],
            digits=digits,
        )
        by_id = {line.id: line for line in lines}
        before = self.date_from - timedelta(days=1)
        totals = statement.period_totals(
            self._get_invoiced(None, before),
            self._get_invoiced(self.date_from, self.date_to),
            self._get_collected(None, before),
            self._get_collected(self.date_from, self.date_to),
        )
        commission = sum(
            line.credit for line in lines if kinds[line.id] == "commission" and line.credit
        )
        return {
            "computed": True,
            "opening_balance": float(result.opening),
            "closing_balance": float(result.closing),
            "total_in": float(result.total_credit),
            "total_out": float(result.total_debit),
            "invoiced": float(totals["invoiced"]),
            "collected": float(totals["collected"]),
            "due": float(totals["due"]),
            "commission": commission,
            "line_ids": [Command.clear()]
            + [
                Command.create(
                    {
                        "sequence": index,
                        "move_line_id": row.key,
                        "move_id": by_id[row.key].move_id.id,
                        "date": row.date,
                        "kind": kinds[row.key],
                        "ref": row.ref,
                        "credit": float(row.credit),
                        "debit": float(row.debit),
                        "balance": float(row.balance),
                    }
                )
                for index, row in enumerate(result.lines)
            ],
        }

    def _isp_compute_statement(self):
        for wizard in self:
            wizard._check_statement_access()
            wizard.write(wizard._prepare_statement_vals())

    # ------------------------------------------------------------------ actions
    def action_compute(self):
        self._isp_compute_statement()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Reseller Statement"),
        }

    def action_print(self):
        self._isp_compute_statement()
        return self.env.ref("isp_reseller.action_report_isp_reseller_statement").report_action(self)
