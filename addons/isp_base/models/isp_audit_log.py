from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.http import request


class IspAuditLog(models.Model):
    """Append-only record of sensitive actions.

    Rows are written with ``sudo()`` through :meth:`_log` only; the ORM refuses
    updates and deletions, and a database trigger refuses them for everyone
    else, so the log survives a careless script as well as a careless user.
    """

    _name = "isp.audit.log"
    _description = "ISP Audit Log"
    _order = "id desc"
    _log_access = True

    user_id = fields.Many2one("res.users", readonly=True, index=True, ondelete="restrict")
    user_name = fields.Char(readonly=True, help="Name of the user when the action happened.")
    company_id = fields.Many2one("res.company", readonly=True, index=True, ondelete="restrict")
    action = fields.Selection(
        [
            ("state_change", "Status Change"),
            ("secret_reveal", "Secret Revealed"),
            ("secret_change", "Secret Changed"),
            ("bulk_action", "Bulk Action"),
            ("import", "Import"),
            ("export", "Export"),
            ("package_change", "Package Change"),
            ("kyc", "KYC Verification"),
            ("other", "Other"),
        ],
        required=True,
        readonly=True,
        index=True,
    )
    res_model = fields.Char(string="Model", readonly=True, index=True)
    res_id = fields.Many2oneReference(string="Record ID", model_field="res_model", readonly=True)
    record_name = fields.Char(readonly=True)
    description = fields.Text(readonly=True)
    old_value = fields.Char(readonly=True)
    new_value = fields.Char(readonly=True)
    ip_address = fields.Char(string="IP Address", readonly=True)
    impersonator_id = fields.Many2one(
        "res.users",
        string="Impersonated By",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The manager who was working as the user (login as) when the action happened.",
    )

    def init(self):
        # Refuse UPDATE and DELETE at the database level too.
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION isp_audit_log_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'isp_audit_log is append-only';
            END;
            $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS isp_audit_log_immutable ON isp_audit_log;
            CREATE TRIGGER isp_audit_log_immutable BEFORE UPDATE OR DELETE ON isp_audit_log
                FOR EACH ROW EXECUTE FUNCTION isp_audit_log_immutable();
            """
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(_("Audit log entries are written by the system only."))
        return super().create(vals_list)

    def write(self, vals):
        if vals:
            raise UserError(_("The audit log cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("The audit log cannot be deleted."))

    @api.model
    def _prepare_log_vals(self, record, action, description="", old_value=None, new_value=None):
        user = self.env.user
        return {
            "user_id": user.id,
            "user_name": user.name,
            "company_id": record.company_id.id
            if "company_id" in record._fields and record.company_id
            else self.env.company.id,
            "action": action,
            "res_model": record._name,
            "res_id": record.id,
            "record_name": record.display_name,
            "description": description,
            "old_value": old_value,
            "new_value": new_value,
            "ip_address": self._get_request_ip(),
            "impersonator_id": self._get_request_impersonator_id(),
        }

    @api.model
    def _get_request_ip(self):
        try:
            return request.httprequest.remote_addr if request else None
        except RuntimeError:
            return None

    @api.model
    def _get_request_impersonator_id(self):
        """The manager working as the current user (``isp_impersonator_uid``), if any."""
        try:
            return (request and request.session.get("isp_impersonator_uid")) or False
        except (RuntimeError, AttributeError):
            return False

    @api.model
    def _log(self, records, action, description="", old_values=None, new_value=None):
        """Append one row per record; ``old_values`` maps record id to its old value."""
        old_values = old_values or {}
        vals_list = [
            self._prepare_log_vals(
                record, action, description, old_values.get(record.id), new_value
            )
            for record in records
        ]
        return self.sudo().create(vals_list)
