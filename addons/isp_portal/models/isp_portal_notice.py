from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.osv import expression

from ..lib import notices as notice_lib


class IspPortalNotice(models.Model):
    _name = "isp.portal.notice"
    _description = "Subscriber Portal Notice"
    _order = "sequence, start_date desc, id desc"

    name = fields.Char(string="Title", required=True, translate=True)
    body = fields.Html(translate=True, sanitize=True)
    sequence = fields.Integer(default=10)
    level = fields.Selection(
        [("info", "Information"), ("warning", "Warning"), ("danger", "Outage")],
        default="info",
        required=True,
    )
    start_date = fields.Datetime(string="Shown From", default=fields.Datetime.now)
    end_date = fields.Datetime(string="Shown Until")
    target = fields.Selection(
        list(notice_lib.TARGETS.items()),
        default="all",
        required=True,
        help="Subscribers who see the notice: all, those of some zones or packages, "
        "or those with an unpaid invoice past its due date.",
    )
    zone_ids = fields.Many2many("isp.zone", string="Zones")
    package_ids = fields.Many2many(
        "product.product", string="Packages", domain=[("is_isp_package", "=", True)]
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )

    @api.constrains("start_date", "end_date")
    def _check_dates(self):
        for notice in self:
            if notice.start_date and notice.end_date and notice.end_date < notice.start_date:
                raise ValidationError(
                    _("The notice %(title)s ends before it starts.", title=notice.name)
                )

    @api.model
    def _get_current_domain(self, companies, now=None):
        now = now or fields.Datetime.now()
        return expression.AND(
            [
                [("company_id", "in", companies.ids)],
                ["|", ("start_date", "=", False), ("start_date", "<=", now)],
                ["|", ("end_date", "=", False), ("end_date", ">=", now)],
            ]
        )

    @api.model
    def _get_current_notices(self, companies, now=None):
        """The notices of ``companies`` shown at ``now`` (sudo), in their order: the
        same as a search of ``_get_current_domain``, from the registry's cache of the
        companies' active notices and their dates (cleared on any notice change)."""
        now = now or fields.Datetime.now()
        return self.sudo().browse(
            [
                notice_id
                for notice_id, start, end in self._get_active_notice_dates(
                    tuple(sorted(companies.ids))
                )
                if (not start or start <= now) and (not end or end >= now)
            ]
        )

    @api.model
    @tools.ormcache("company_ids")
    def _get_active_notice_dates(self, company_ids):
        notices = self.sudo().search_fetch(
            [("company_id", "in", list(company_ids))], ["start_date", "end_date"]
        )
        return tuple((notice.id, notice.start_date, notice.end_date) for notice in notices)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.model
    def _get_notices_for_subscriptions(self, subscriptions, now=None):
        """Current notices that target any of ``subscriptions`` (a sudo recordset)."""
        if not subscriptions:
            return self.browse()
        notices = self._get_current_notices(subscriptions.company_id, now)
        if not notices:
            return notices
        overdue_ids = set(subscriptions._isp_portal_overdue_ids())
        profiles = [
            notice_lib.SubscriberProfile(
                company_id=sub.company_id.id,
                zone_id=sub.zone_id.id,
                package_id=sub.package_id.id,
                overdue=sub.id in overdue_ids,
            )
            for sub in subscriptions
        ]
        return notices.filtered(
            lambda notice: notice_lib.targets_any(
                notice_lib.NoticeTarget(
                    company_id=notice.company_id.id,
                    target=notice.target,
                    zone_ids=frozenset(notice.zone_ids.ids),
                    package_ids=frozenset(notice.package_ids.ids),
                ),
                profiles,
            )
        )
