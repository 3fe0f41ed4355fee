import base64
import datetime
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import subscriber_import
from ..lib.phone import InvalidPhone, normalize_bd_mobile

_logger = logging.getLogger(__name__)


class IspSubscriberImport(models.TransientModel):
    """Import subscribers with their subscriptions from the CSV/XLSX template.

    Every row is validated before anything is written. By default a file with a
    bad row imports nothing, and every bad row is listed with its reasons; with
    *Import valid rows only* the good rows import and the bad ones are listed.
    Either way a subscriber and its subscriptions are written together or not
    at all.
    """

    _name = "isp.subscriber.import"
    _description = "Import Subscribers"

    # Not required: the template buttons must work before a file is chosen.
    file = fields.Binary()
    filename = fields.Char()
    skip_invalid = fields.Boolean(
        string="Import valid rows only",
        help="Import the good rows and report the bad ones, instead of refusing the whole file.",
    )
    state = fields.Selection(
        [("draft", "Upload"), ("validated", "Validated"), ("done", "Imported")], default="draft"
    )
    line_ids = fields.One2many("isp.subscriber.import.line", "wizard_id", readonly=True)
    count_valid = fields.Integer(readonly=True)
    count_invalid = fields.Integer(readonly=True)
    count_imported = fields.Integer(readonly=True)

    # ------------------------------------------------------------------
    # Templates
    # ------------------------------------------------------------------
    def _download(self, filename, content, mimetype):
        attachment = self.env["ir.attachment"].create(
            {
                "name": filename,
                "raw": content,
                "mimetype": mimetype,
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    def action_download_template_xlsx(self):
        return self._download(
            "subscriber_import_template.xlsx",
            subscriber_import.build_template_xlsx(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def action_download_template_csv(self):
        return self._download(
            "subscriber_import_template.csv", subscriber_import.build_template_csv(), "text/csv"
        )

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------
    def _read_rows(self):
        data = base64.b64decode(self.file or b"")
        name = (self.filename or "").lower()
        try:
            if name.endswith(".xlsx") or data[:2] == b"PK":
                return subscriber_import.read_xlsx(data)
            return subscriber_import.read_csv(data)
        except subscriber_import.ImportFileError as exc:
            raise UserError(_("The file cannot be read: %s", exc)) from exc

    @api.model
    def _get_known_packages(self):
        packages = self.env["product.product"].search_read(
            [("is_isp_package", "=", True)], ["name", "default_code"]
        )
        known = {}
        for package in packages:
            for key in (package["name"], package["default_code"]):
                if key:
                    known[key.strip().lower()] = package["id"]
        return known

    @api.model
    def _get_known_zones(self):
        known = {}
        for zone in self.env["isp.zone"].search_read([], ["name", "code"]):
            for key in (zone["name"], zone["code"]):
                if key:
                    known[key.strip().lower()] = zone["id"]
        return known

    @api.model
    def _get_existing_usernames(self, usernames):
        if not usernames:
            return set()
        self.env.cr.execute(
            """SELECT lower(username) FROM isp_subscription
               WHERE company_id = %s AND lower(username) = ANY(%s)""",
            (self.env.company.id, [u.lower() for u in usernames]),
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _get_existing_mobiles(self, mobiles):
        partners = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search_read(
                [("is_isp_subscriber", "=", True), ("mobile", "in", list(mobiles))], ["mobile"]
            )
        )
        return {partner["mobile"] for partner in partners}

    @api.model
    def _get_existing_ipv4(self, addresses):
        if not addresses:
            return set()
        subscriptions = (
            self.env["isp.subscription"]
            .with_context(active_test=False)
            .search_read([("ipv4_address", "in", list(addresses))], ["ipv4_address"])
        )
        return {subscription["ipv4_address"] for subscription in subscriptions}

    @api.model
    def _resolve_geography(self, data):
        """Return ``(vals, errors)`` for the division/district/thana of a row."""
        vals, errors = {}, []
        checks = (
            ("division", "isp.division", "isp_division_id", None),
            ("district", "isp.district", "isp_district_id", "division_id"),
            ("thana", "isp.thana", "isp_thana_id", "district_id"),
        )
        parent = None
        for column, model, field_name, parent_field in checks:
            name = data.get(column)
            if not name:
                continue
            domain = ["|", ("name", "=ilike", name), ("local_name", "=", name)]
            if parent and parent_field:
                domain.append((parent_field, "=", parent.id))
            record = self.env[model].search(domain, limit=1)
            if not record:
                errors.append(
                    _("%(column)s: unknown %(column)s %(name)r.", column=column, name=name)
                )
                continue
            vals[field_name] = record.id
            parent = record
        return vals, errors

    def action_validate(self):
        self.ensure_one()
        rows = self._read_rows()
        usernames = {str(r.get("username") or "").strip() for r in rows} - {""}
        mobiles = set()
        for row in rows:
            try:
                mobiles.add(normalize_bd_mobile(str(row.get("mobile") or "")))
            except InvalidPhone:
                continue
        result = subscriber_import.validate_rows(
            rows,
            known_packages=self._get_known_packages(),
            known_zones=self._get_known_zones(),
            existing_usernames=self._get_existing_usernames(usernames),
            existing_mobiles=self._get_existing_mobiles(mobiles),
            today=fields.Date.context_today(self),
        )
        errors = {error.row: list(error.messages) for error in result.errors}
        taken_ips = self._get_existing_ipv4(
            {row.data["ipv4_address"] for row in result.valid if row.data.get("ipv4_address")}
        )
        valid = []
        for valid_row in result.valid:
            geo_vals, geo_errors = self._resolve_geography(valid_row.data)
            if valid_row.data.get("ipv4_address") in taken_ips:
                geo_errors.append(
                    _(
                        "ipv4_address: %s is already assigned to another subscription.",
                        valid_row.data["ipv4_address"],
                    )
                )
            if geo_errors:
                errors[valid_row.row] = geo_errors
            else:
                valid_row.data.update(geo_vals)
                valid.append(valid_row)
        line_vals = [
            {
                "wizard_id": self.id,
                "row": row.row,
                "status": "valid",
                "name": row.data.get("name"),
                "username": row.data.get("username"),
                "payload": _json_safe(row.data),
            }
            for row in valid
        ] + [
            {
                "wizard_id": self.id,
                "row": row,
                "status": "invalid",
                "name": rows[row - subscriber_import.FIRST_DATA_ROW].get("name"),
                "username": rows[row - subscriber_import.FIRST_DATA_ROW].get("username"),
                "message": "\n".join(messages),
            }
            for row, messages in errors.items()
        ]
        self.line_ids.unlink()
        self.env["isp.subscriber.import.line"].create(line_vals)
        self.write({"state": "validated", "count_valid": len(valid), "count_invalid": len(errors)})
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    # ------------------------------------------------------------------
    # Import
    # ------------------------------------------------------------------
    @api.model
    def _prepare_partner_vals(self, data):
        vals = {
            "name": data["name"],
            "is_isp_subscriber": True,
            "mobile": data["mobile"],
            "email": data.get("email") or False,
            "isp_nid": data.get("nid") or False,
            "isp_birth_registration": data.get("birth_registration") or False,
            "isp_passport": data.get("passport") or False,
            "isp_father_name": data.get("father_name") or False,
            "isp_mother_name": data.get("mother_name") or False,
            "isp_date_of_birth": data.get("date_of_birth") or False,
            "isp_zone_id": data["zone_key"],
            "isp_area": data.get("area") or False,
            "street": data.get("street") or False,
            "city": data.get("district") or False,
        }
        for field_name in ("isp_division_id", "isp_district_id", "isp_thana_id"):
            if data.get(field_name):
                vals[field_name] = data[field_name]
        return vals

    @api.model
    def _prepare_subscription_vals(self, data, partner):
        subscription_model = self.env["isp.subscription"]
        vals = {
            "partner_id": partner.id,
            "package_id": data["package_key"],
            "username": data["username"],
            "connection_type": data.get("connection_type") or "pppoe",
            "mac_address": data.get("mac_address") or False,
            "ipv4_address": data.get("ipv4_address") or False,
            "activation_date": data.get("activation_date") or False,
        }
        if data.get("password"):
            vals["password"] = data["password"]
        if data.get("expiry_date"):
            vals["expiry_at"] = subscription_model._date_to_expiry_instant(data["expiry_date"])
        return vals

    def _import_group(self, lines):
        """Create one subscriber and its subscriptions; raise to roll the group back."""
        payloads = [line.payload for line in lines]
        partner = self.env["res.partner"].create(self._prepare_partner_vals(payloads[0]))
        subscriptions = self.env["isp.subscription"].create(
            [self._prepare_subscription_vals(data, partner) for data in payloads]
        )
        today = fields.Date.context_today(self)
        for subscription, data in zip(subscriptions, payloads, strict=True):
            activation = data.get("activation_date")
            if activation and _as_date(activation) <= today:
                subscription.action_activate()
                expiry = data.get("expiry_date")
                if expiry and _as_date(expiry) < today:
                    subscription.action_expire(_("Expired before import"))
        return partner

    def action_import(self):
        self.ensure_one()
        if self.state != "validated":
            self.action_validate()
        invalid = self.line_ids.filtered(lambda line: line.status == "invalid")
        if invalid and not self.skip_invalid:
            raise UserError(
                _(
                    "%s rows have errors, so nothing was imported. Correct them and upload the "
                    "file again, or tick 'Import valid rows only'.",
                    len(invalid),
                )
            )
        groups = {}
        for line in self.line_ids.filtered(lambda line: line.status == "valid").sorted("row"):
            groups.setdefault(line.payload["mobile"], self.env["isp.subscriber.import.line"])
            groups[line.payload["mobile"]] |= line
        partners = self.env["res.partner"]
        for lines in groups.values():
            try:
                with self.env.cr.savepoint():
                    partners |= self._import_group(lines)
                lines.write({"status": "imported"})
            except Exception as exc:
                _logger.info("Import of rows %s failed: %s", lines.mapped("row"), exc)
                lines.write({"status": "invalid", "message": str(exc.args[0] if exc.args else exc)})
        self.env["isp.audit.log"]._log(
            partners, "import", _("Imported from %s", self.filename or _("a file"))
        )
        self.write({"state": "done", "count_imported": len(partners)})
        return self._reopen()


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return value


def _json_safe(data):
    return {
        key: value.isoformat() if isinstance(value, datetime.date) else value
        for key, value in data.items()
    }
