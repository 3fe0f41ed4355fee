import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib.errors import NetworkError, RouterCommandError

_logger = logging.getLogger(__name__)


class IspRouterBackup(models.Model):
    """One configuration backup of a router.

    The binary backup stays on the router (``/system/backup/save``); the text
    export (``/export``) is kept here as an attachment. Attachments hang on this
    model, not on the router, so only network engineers can read them: an
    export can hold addresses and, on RouterOS 6, PPPoE passwords.
    """

    _name = "isp.router.backup"
    _description = "Router Backup"
    _order = "date desc, id desc"

    name = fields.Char(required=True, readonly=True, help="Name of the backup file on the router.")
    router_id = fields.Many2one(
        "isp.router", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="router_id.company_id", store=True, index=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True, readonly=True)
    state = fields.Selection(
        [("done", "Done"), ("partial", "Partial"), ("failed", "Failed")],
        required=True,
        readonly=True,
    )
    error = fields.Text(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="Export", readonly=True)
    export_size = fields.Integer(string="Export Size (bytes)", readonly=True)

    @api.model
    def _get_backup_name(self, router, when):
        return f"isp-{when.strftime('%Y%m%d-%H%M%S')}"

    @api.model
    def _fetch(self, router, name):
        """Save the backup on the router and read the export: ``(export_text, errors)``."""
        errors = []
        with router._get_client() as client:
            client.call("/system/backup/save", name=name, **{"dont-encrypt": "yes"})
            try:
                rows = client.call("/export")
            except RouterCommandError as exc:
                # RouterOS 6 cannot always export over the API; the .backup is kept.
                errors.append(_("Export failed: %(error)s", error=exc.message))
                rows = []
        text = "".join(row.get("ret", "") for row in rows)
        if rows and not text:
            errors.append(_("The router returned an empty export."))
        return text, errors

    @api.model
    def _backup_routers(self, routers):
        """Back up each router in its own savepoint; one dead router never stops the rest."""
        backups = self.browse()
        for router in routers:
            try:
                with self.env.cr.savepoint():
                    backups |= self._backup_router(router)
            except Exception:
                _logger.exception("Backing up router %s failed", router.name)
        return backups

    @api.model
    def _backup_router(self, router):
        when = fields.Datetime.now()
        name = self._get_backup_name(router, when)
        try:
            text, errors = self._fetch(router, name)
        except NetworkError as exc:
            router._isp_record_unreachable(exc)
            return self.create(
                {
                    "name": name,
                    "router_id": router.id,
                    "date": when,
                    "state": "failed",
                    "error": router._isp_error_text(exc),
                }
            )
        backup = self.create(
            {
                "name": name,
                "router_id": router.id,
                "date": when,
                "state": "partial" if errors else "done",
                "error": "\n".join(errors) or False,
            }
        )
        if text:
            data = text.encode("utf-8")
            attachment = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": f"{router.name}-{name}.rsc",
                        "raw": data,
                        "mimetype": "text/plain",
                        "res_model": self._name,
                        "res_id": backup.id,
                        "company_id": router.company_id.id,
                    }
                )
            )
            backup.write({"attachment_id": attachment.id, "export_size": len(data)})
        return backup

    @api.model
    def _cron_backup(self):
        routers = self.env["isp.router"].sudo().search([("active", "=", True)])
        self._backup_routers(routers)
        self._prune()

    @api.model
    def _prune(self):
        """Remove backups (and their exports) older than each company's retention."""
        now = fields.Datetime.now()
        removed = self.browse()
        for company in self.env["res.company"].sudo().search([]):
            days = max(company.isp_router_backup_retention_days or 30, 1)
            removed |= self.sudo().search(
                [("company_id", "=", company.id), ("date", "<", now - timedelta(days=days))]
            )
        removed.mapped("attachment_id").sudo().unlink()
        count = len(removed)
        removed.unlink()
        return count

    def action_download(self):
        self.ensure_one()
        if not self.attachment_id:
            raise UserError(_("This backup has no export to download."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "self",
        }

    def unlink(self):
        attachments = self.mapped("attachment_id")
        result = super().unlink()
        attachments.sudo().unlink()
        return result
