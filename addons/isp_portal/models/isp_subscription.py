import hmac

from odoo import Command, _, api, fields, models
from odoo.addons.isp_billing.lib import periods as isp_periods
from odoo.addons.isp_billing.lib import proration
from odoo.addons.isp_billing.lib import validity as isp_validity
from odoo.tools import SQL, split_every

from ..lib import portal_actions, portal_login

PORTAL_USER_BATCH = 500
PORTAL_USER_CRON_BATCH = 5000


class IspSubscription(models.Model):
    _inherit = "isp.subscription"

    # ---- subscriber home
    def _isp_portal_overdue_ids(self, today=None):
        """Ids of these subscriptions with an unpaid invoice past its due date."""
        if not self:
            return []
        today = today or fields.Date.context_today(self)
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(self._get_overdue_invoice_domain(today), ["isp_subscription_id"])
        )
        overdue = {subscription.id for (subscription,) in groups}
        overdue.update(self.filtered("billing_suspended").ids)
        return list(overdue)

    # ---- subscriber actions
    def _isp_portal_get_packages(self):
        """The packages the subscriber of ``self`` may change to (current one excluded)."""
        self.ensure_one()
        return (
            self.env["product.product"]
            .sudo()
            .search(
                [
                    ("is_isp_package", "=", True),
                    ("sale_ok", "=", True),
                    ("company_id", "in", (False, self.company_id.id)),
                    ("isp_connection_type", "=", self.connection_type),
                    ("id", "!=", self.package_id.id),
                ],
                order="list_price, name",
            )
        )

    def _isp_portal_get_period(self, today):
        """The billing period the pro-rated difference covers: the current month."""
        return isp_periods.monthly_period(today)

    def _isp_portal_package_preview(self, new_package, today=None):
        """The pro-rated effect of changing to ``new_package`` for the rest of the period.

        Credit of the old package's unused days, charge of the new package's days, with
        the subscription's discount; VAT as the invoice computes it on the difference.
        """
        self.ensure_one()
        today = today or self._isp_today()
        period = self._isp_portal_get_period(today)
        days_left, days_total = portal_actions.remaining_days(today, period.start, period.end)
        currency = self.company_id.currency_id
        rounding = str(currency.rounding)
        credit = proration.prorate(
            str(self.package_id.list_price), days_left, days_total, rounding=rounding
        )
        charge = proration.prorate(
            str(new_package.list_price), days_left, days_total, rounding=rounding
        )
        net = currency.round(float(charge - credit) * (1 - self.discount_percent / 100.0))
        taxes = self.sudo().vat_tax_ids.compute_all(
            net, currency=currency, product=new_package.sudo(), partner=self.partner_id.sudo()
        )
        return {
            "period_start": period.start,
            "period_end": period.end,
            "days_left": days_left,
            "days_total": days_total,
            "credit": float(credit),
            "charge": float(charge),
            "discount": self.discount_percent,
            "net": net,
            "tax": taxes["total_included"] - taxes["total_excluded"],
            "total": taxes["total_included"],
            # ---- prepaid validity
            **self._isp_portal_validity_preview(new_package),
        }

    # ---- prepaid validity
    def _isp_portal_is_validity_billed(self):
        """Whether this subscription is prepaid: paid per validity period (daily)."""
        self.ensure_one()
        return self.sudo().billing_profile_id.billing_type == "daily"

    def _isp_portal_validity_preview(self, new_package, now=None):
        """The validity one recharge of ``new_package`` buys, for prepaid subscriptions.

        ``validity_days`` and ``validity_expiry`` (naive UTC, as a recharge now would
        set it: the days are added to the current expiry while it runs, else to now),
        with the current expiry and the recharge price; empty when not prepaid.
        """
        self.ensure_one()
        if not self._isp_portal_is_validity_billed() or new_package.isp_validity_days < 1:
            return {}
        now = now or fields.Datetime.now()
        days = new_package.isp_validity_days
        return {
            "validity_days": days,
            "validity_current_expiry": self.expiry_at or False,
            "validity_expiry": isp_validity.extend_expiry(self.expiry_at or None, now, days),
            "validity_price": self._isp_get_recharge_total(new_package, 1),
        }

    def _isp_portal_request_package_change(self, new_package, auto_apply=False):
        """Record the subscriber's request; applied at once when ``auto_apply``."""
        self.ensure_one()
        preview = self._isp_portal_package_preview(new_package)
        change = (
            self.env["isp.package.change"]
            .sudo()
            .create(
                {
                    "subscription_id": self.id,
                    "new_package_id": new_package.id,
                    "effective_date": self._isp_today(),
                    "portal_requested": True,
                    "proration_amount": preview["net"],
                    # a request waits for staff; a scheduled change of today applies now
                    "state": "scheduled" if auto_apply else "requested",
                    "note": _("Requested in the portal"),
                }
            )
        )
        if auto_apply and change.state == "scheduled":
            change.action_apply_now()
        return change

    def _isp_portal_check_password(self, password):
        """Whether ``password`` is the current PPPoE password (constant time)."""
        self.ensure_one()
        current = self._isp_get_passwords().get(self.id) or ""
        return bool(password) and hmac.compare_digest(
            current.encode("utf-8"), (password or "").encode("utf-8")
        )

    def _isp_portal_set_password(self, password):
        """Store the new password encrypted (the secret mixin audits it): isp_network
        rewrites the RADIUS rows in this transaction and queues the session kick."""
        self.ensure_one()
        self.sudo().write({"password": password})
        return True

    # ---- portal login
    # Each subscriber gets a portal user without staff work: creating or activating a
    # subscription wakes the cron up, which creates the missing users in batches (no
    # invitation mail, no password: the PPPoE account logs in, see res_users.py).
    @api.model_create_multi
    def create(self, vals_list):
        subscriptions = super().create(vals_list)
        subscriptions._isp_portal_trigger_user_creation()
        return subscriptions

    def _on_state_changed(self, action, old_states):
        result = super()._on_state_changed(action, old_states)
        if self.filtered(lambda sub: sub.state == "active"):
            self._isp_portal_trigger_user_creation()
        return result

    def _isp_portal_trigger_user_creation(self):
        if not self.sudo().company_id.filtered("isp_portal_auto_users"):
            return
        cron = self.env.ref("isp_portal.ir_cron_isp_portal_create_users", raise_if_not_found=False)
        if cron and cron.sudo().active:
            cron.sudo()._trigger()

    @api.model
    def _isp_portal_missing_user_query(self, limit=None):
        """First live subscription of each subscriber that has no user yet."""
        return SQL(
            """SELECT MIN(s.id)
                 FROM isp_subscription s
                 JOIN res_company c ON c.id = s.company_id
                WHERE s.partner_id IS NOT NULL
                  AND s.state != 'terminated'
                  AND c.isp_portal_auto_users
                  AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = s.partner_id)
             GROUP BY s.partner_id
             ORDER BY s.partner_id
                %s""",
            SQL("LIMIT %s", limit) if limit else SQL(""),
        )

    @api.model
    def _isp_portal_create_missing_users(self, limit=PORTAL_USER_CRON_BATCH):
        """Create up to ``limit`` missing portal users; ``(created, remaining)``."""
        self.env.flush_all()
        self.env.cr.execute(self._isp_portal_missing_user_query(limit))
        subscriptions = self.browse([row[0] for row in self.env.cr.fetchall()])
        users = subscriptions._isp_portal_create_users()
        self.env.cr.execute(
            SQL("SELECT COUNT(*) FROM (%s) AS missing", self._isp_portal_missing_user_query())
        )
        return len(users), self.env.cr.fetchone()[0]

    @api.model
    def _cron_isp_portal_create_users(self):
        created, remaining = self._isp_portal_create_missing_users()
        self.env["ir.cron"]._notify_progress(done=created, remaining=remaining)

    def _isp_portal_create_users(self):
        """Portal users for the partners of ``self`` that have none; idempotent."""
        subscriptions = self.sudo().filtered(
            lambda sub: (
                sub.partner_id
                and sub.state != "terminated"
                and sub.company_id.isp_portal_auto_users
            )
        )
        partners = subscriptions.partner_id
        if not partners:
            return self.env["res.users"]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT partner_id FROM res_users WHERE partner_id = ANY(%s)",
                partners.ids,
            )
        )
        with_user = {row[0] for row in self.env.cr.fetchall()}
        partners = partners.filtered(lambda partner: partner.id not in with_user)
        if not partners:
            return self.env["res.users"]
        first_usernames = self._isp_portal_first_usernames(partners.ids)
        candidates = list(portal_login.login_candidates(first_usernames))
        self.env.cr.execute(
            SQL("SELECT login FROM res_users WHERE lower(login) = ANY(%s)", candidates)
        )
        taken = {row[0] for row in self.env.cr.fetchall()}
        logins = portal_login.choose_logins(first_usernames, taken)
        company_of = {}
        for subscription in subscriptions.sorted("id"):
            company_of.setdefault(subscription.partner_id.id, subscription.company_id.id)
        vals_list = [
            self._prepare_isp_portal_user_vals(partner, logins[partner.id], company_of[partner.id])
            for partner in partners
        ]
        Users = (
            self.env["res.users"]
            .sudo()
            .with_context(
                no_reset_password=True,
                mail_create_nosubscribe=True,
                mail_create_nolog=True,
                mail_notrack=True,
                tracking_disable=True,
            )
        )
        users = Users.browse()
        for batch in split_every(PORTAL_USER_BATCH, vals_list, list):
            users |= Users.create(batch)
        return users

    @api.model
    def _isp_portal_first_usernames(self, partner_ids):
        first = dict.fromkeys(partner_ids)
        self.env.cr.execute(
            SQL(
                """SELECT DISTINCT ON (partner_id) partner_id, username
                     FROM isp_subscription
                    WHERE partner_id = ANY(%s) AND COALESCE(username, '') != ''
                 ORDER BY partner_id, id""",
                list(partner_ids),
            )
        )
        first.update(dict(self.env.cr.fetchall()))
        return first

    @api.model
    def _prepare_isp_portal_user_vals(self, partner, login, company_id):
        return {
            "partner_id": partner.id,
            "login": login,
            "company_id": company_id,
            "company_ids": [Command.set([company_id])],
            "groups_id": [Command.set([self.env.ref("base.group_portal").id])],
        }
