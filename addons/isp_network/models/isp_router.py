import ipaddress
import logging

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib.errors import NetworkError, RouterUnreachable
from ..lib.radius_schema import ensure_schema
from ..lib.routeros import RouterAuthError, RouterOSClient

_logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
TIMEOUT_PARAM = "isp_network.router_timeout"


class IspRouter(models.Model):
    """A network access server (MikroTik RouterOS) the ISP manages.

    Secrets (API password, RADIUS shared secret) are stored encrypted through
    ``isp.secret.mixin``; only administrators can read the encrypted columns.
    """

    _name = "isp.router"
    _description = "Router"
    _inherit = ["mail.thread", "isp.secret.mixin"]
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True, tracking=True)
    host = fields.Char(
        required=True, tracking=True, help="Address the API connects to (IP or DNS name)."
    )
    api_port = fields.Integer(string="API Port", default=8728, tracking=True)
    api_tls = fields.Boolean(
        string="API over TLS", tracking=True, help="Use the api-ssl service (port 8729)."
    )
    api_username = fields.Char(string="API Username", default="admin", tracking=True)
    api_password_encrypted = fields.Char(copy=False, groups="base.group_system")
    api_password = fields.Char(
        string="New API Password",
        compute="_compute_secrets",
        inverse="_inverse_api_password",
        help="Type a new password to replace the current one. It is stored encrypted.",
    )
    radius_secret_encrypted = fields.Char(copy=False, groups="base.group_system")
    radius_secret = fields.Char(
        string="New RADIUS Secret",
        compute="_compute_secrets",
        inverse="_inverse_radius_secret",
        help="Shared secret of RADIUS and CoA/Disconnect with this router. Stored encrypted.",
    )
    has_api_password = fields.Boolean(compute="_compute_has_secrets")
    has_radius_secret = fields.Boolean(compute="_compute_has_secrets")
    nas_address = fields.Char(
        string="NAS Address",
        compute="_compute_nas_address",
        store=True,
        readonly=False,
        tracking=True,
        help="Source address of this router's RADIUS packets (defaults to the host).",
    )
    coa_port = fields.Integer(string="CoA Port", default=3799)
    management_mode = fields.Selection(
        [("radius", "RADIUS"), ("api", "API")],
        default="radius",
        required=True,
        tracking=True,
        help="RADIUS: the router authenticates subscribers against our FreeRADIUS. "
        "API: PPPoE secrets and queues are pushed to the router directly.",
    )
    routeros_version = fields.Char(string="RouterOS Version", readonly=True, copy=False)
    legacy_login = fields.Boolean(
        help="RouterOS older than 6.43 (challenge-response login).", tracking=True
    )
    zone_ids = fields.Many2many("isp.zone", string="Zones")
    state = fields.Selection(
        [("unknown", "Unknown"), ("up", "Up"), ("down", "Down")],
        default="unknown",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    last_seen_at = fields.Datetime(readonly=True, copy=False)
    interface_pppoe = fields.Char(string="PPPoE Interface", default="ether2")
    interface_wan = fields.Char(string="WAN Interface", default="ether1")
    note = fields.Html()
    # Last values seen by "Test connection" and the health cron.
    identity = fields.Char(readonly=True, copy=False, help="System identity of the router.")
    board_name = fields.Char(readonly=True, copy=False)
    last_error = fields.Char(readonly=True, copy=False)
    last_uptime = fields.Char(string="Uptime", readonly=True, copy=False)
    last_cpu_load = fields.Integer(string="CPU Load (%)", readonly=True, copy=False)
    last_memory_percent = fields.Float(
        string="Memory Used (%)", readonly=True, copy=False, digits=(5, 1)
    )
    last_temperature = fields.Float(string="Temperature (°C)", readonly=True, copy=False)
    last_voltage = fields.Float(string="Voltage (V)", readonly=True, copy=False)
    last_health_at = fields.Datetime(string="Last Health Check", readonly=True, copy=False)
    health_ids = fields.One2many("isp.router.health", "router_id", string="Health Samples")
    backup_ids = fields.One2many("isp.router.backup", "router_id", string="Backups")
    backup_count = fields.Integer(compute="_compute_backup_count")

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "Another router of this company already has this name.",
        ),
    ]

    # ------------------------------------------------------------------
    # Compute / inverse
    # ------------------------------------------------------------------
    @api.depends("host")
    def _compute_nas_address(self):
        for router in self:
            if not router.nas_address:
                router.nas_address = router.host

    def _compute_secrets(self):
        self.api_password = False
        self.radius_secret = False

    def _inverse_api_password(self):
        for router in self.filtered("api_password"):
            router._isp_set_secret("api_password_encrypted", router.api_password)

    def _inverse_radius_secret(self):
        for router in self.filtered("radius_secret"):
            router._isp_set_secret("radius_secret_encrypted", router.radius_secret)

    def _compute_has_secrets(self):
        rows = (
            self.sudo()
            .with_context(active_test=False)
            .search_read(
                [("id", "in", self.ids)], ["api_password_encrypted", "radius_secret_encrypted"]
            )
        )
        by_id = {row["id"]: row for row in rows}
        for router in self:
            row = by_id.get(router.id, {})
            router.has_api_password = bool(row.get("api_password_encrypted"))
            router.has_radius_secret = bool(row.get("radius_secret_encrypted"))

    def _compute_backup_count(self):
        counts = dict(
            self.env["isp.router.backup"]._read_group(
                [("router_id", "in", self.ids)], ["router_id"], ["__count"]
            )
        )
        for router in self:
            router.backup_count = counts.get(router, 0)

    @api.constrains("nas_address")
    def _check_nas_address(self):
        for router in self.filtered("nas_address"):
            try:
                ipaddress.ip_address(router.nas_address.strip())
            except ValueError as exc:
                raise ValidationError(
                    _(
                        "The NAS address of router %(name)s must be an IP address (the source "
                        "address of its RADIUS packets), not %(value)s.",
                        name=router.name,
                        value=router.nas_address,
                    )
                ) from exc

    @api.constrains("api_port", "coa_port")
    def _check_ports(self):
        for router in self:
            for port in (router.api_port, router.coa_port):
                if not 0 < port < 65536:
                    raise ValidationError(
                        _(
                            "Port %(port)s of router %(name)s is not valid.",
                            port=port,
                            name=router.name,
                        )
                    )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            for key in ("host", "nas_address"):
                if vals.get(key):
                    vals[key] = vals[key].strip()
            if vals.get("api_tls") and "api_port" not in vals:
                vals["api_port"] = 8729
        routers = super().create(vals_list)
        routers._sync_nas_row()
        return routers

    def write(self, vals):
        for key in ("host", "nas_address"):
            if vals.get(key):
                vals[key] = vals[key].strip()
        nas_fields = {
            "name",
            "active",
            "host",
            "nas_address",
            "management_mode",
            "radius_secret_encrypted",
            "company_id",
        }
        old_names = set()
        if nas_fields & set(vals):
            old_names = {name.strip() for name in self.mapped("nas_address") if name}
        result = super().write(vals)
        if nas_fields & set(vals):
            self._sync_nas_row(extra_names=old_names)
        return result

    def unlink(self):
        names = {name.strip() for name in self.mapped("nas_address") if name}
        result = super().unlink()
        self.env["isp.router"]._sync_nas_row(extra_names=names)
        return result

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_test_connection(self):
        """Log in, read identity and resources; store them; say what we saw."""
        self.ensure_one()
        try:
            with self._get_client() as client:
                info = client.resource()
        except NetworkError as exc:
            self._isp_record_unreachable(exc)
            return self._isp_notify(
                _("Connection to %(name)s failed", name=self.name),
                self._isp_error_text(exc),
                "danger",
            )
        self._isp_record_resource(info)
        message = _(
            "%(identity)s, RouterOS %(version)s, up %(uptime)s, CPU %(cpu)s%%, "
            "memory used %(memory)s%% of %(total)s MiB.",
            identity=info["identity"],
            version=info["version"],
            uptime=info["uptime"],
            cpu=info["cpu_load"],
            memory=info["memory_percent"],
            total=round(info["total_memory"] / 1048576),
        )
        return self._isp_notify(_("Connected to %(name)s", name=self.name), message, "success")

    def action_reveal_api_password(self):
        self.ensure_one()
        return self._isp_notify(
            _("API password of %(name)s", name=self.name),
            self._isp_reveal_secret("api_password_encrypted") or _("No password is set."),
            "warning",
            sticky=True,
        )

    def action_backup_now(self):
        self.ensure_one()
        backup = self.env["isp.router.backup"]._backup_router(self)
        if backup.state == "failed":
            return self._isp_notify(
                _("Backup of %(name)s failed", name=self.name), backup.error, "danger"
            )
        return self.action_view_backups()

    def action_view_health(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_network.action_isp_router_health"
        )
        action["domain"] = [("router_id", "=", self.id)]
        action["context"] = {"default_router_id": self.id}
        return action

    def action_view_backups(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_network.action_isp_router_backup"
        )
        action["domain"] = [("router_id", "=", self.id)]
        action["context"] = {"default_router_id": self.id}
        return action

    def action_browse_logs(self):
        return self._isp_open_browse("log")

    def action_browse_netwatch(self):
        return self._isp_open_browse("netwatch")

    def action_browse_sessions(self):
        return self._isp_open_browse("session")

    def _isp_open_browse(self, kind):
        self.ensure_one()
        wizard = self.env["isp.router.browse"].create({"router_id": self.id, "kind": kind})
        wizard._load_lines()
        return wizard._get_action()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @api.model
    def _isp_notify(self, title, message, kind="info", sticky=False):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": sticky},
        }

    @api.model
    def _isp_error_text(self, exc):
        if isinstance(exc, RouterAuthError):
            return _(
                "The router refused the API login: %(error)s. Check the API username and "
                "password (and the legacy login option for RouterOS older than 6.43).",
                error=exc.message,
            )
        return str(exc)

    def _isp_record_resource(self, info, health=None):
        """Store what the router told us and mark it up."""
        self.ensure_one()
        health = health or {}
        values = {
            "routeros_version": (info.get("version") or "").split(" ")[0] or False,
            "identity": info.get("identity") or False,
            "board_name": info.get("board") or False,
            "last_uptime": info.get("uptime") or False,
            "last_cpu_load": info.get("cpu_load", 0),
            "last_memory_percent": info.get("memory_percent", 0.0),
            "last_seen_at": fields.Datetime.now(),
            "last_error": False,
        }
        if health:
            values["last_temperature"] = health.get("temperature", 0.0)
            values["last_voltage"] = health.get("voltage", 0.0)
        self.sudo().write(values)
        self._isp_set_state("up")

    def _isp_record_unreachable(self, exc):
        self.sudo().write({"last_error": self._isp_error_text(exc)[:500]})
        if isinstance(exc, RouterUnreachable):
            self._isp_set_state("down", error=str(exc))

    def _isp_set_state(self, state, error=None):
        """Change the state; up->down and down->up raise one event each."""
        for router in self:
            old = router.state
            if old == state:
                continue
            router.sudo().write({"state": state})
            if old == "up" and state == "down":
                router._isp_emit_event("router_down", {"error": error or ""})
            elif old == "down" and state == "up":
                router._isp_emit_event("router_up")

    def _isp_get_event_message(self, code, values):
        values = values or {}
        if code == "router_down":
            return _(
                "Router %(name)s is down: %(error)s",
                name=self.name,
                error=values.get("error") or _("no answer"),
            )
        if code == "router_up":
            return _("Router %(name)s is back up.", name=self.name)
        return _("Router %(name)s: %(code)s", name=self.name, code=code)

    def _isp_emit_event(self, code, values=None):
        """A router event (``router_down``, ``router_up``): chatter note, then hooks.

        On ``router_up`` the network is reconciled and the outbox of this router
        drained; the staff are alerted through the notification layer.
        """
        for router in self:
            router.sudo().message_post(
                body=router._isp_get_event_message(code, values),
                message_type="notification",
                subtype_xmlid="mail.mt_note",
            )
            if code == "router_up":
                router._isp_on_router_up()
        self._isp_notify_staff(code, values)

    def _isp_notify_staff(self, code, values=None):
        """Alert the staff chats through the notification layer (one message per event)."""
        Dispatcher = self.env["isp.notify.dispatcher"]
        now = fields.Datetime.to_string(fields.Datetime.now())
        for router in self:
            Dispatcher._isp_notify_staff(
                code,
                values=router._isp_prepare_notify_values(values),
                key=f"{router.id}:{now}",
                company=router.company_id,
            )

    def _isp_prepare_notify_values(self, values=None):
        self.ensure_one()
        values = values or {}
        return {"router": self.name, "error": values.get("error") or "", "zone": ""}

    def _isp_on_router_up(self):
        self.ensure_one()
        if "isp.network.reconciler" in self.env:
            try:
                with self.env.cr.savepoint():
                    self.env["isp.network.reconciler"].sudo()._reconcile(routers=self)
            except Exception:
                # A failing reconcile must not hide that the router is back.
                _logger.exception("Reconciling router %s after it came back failed", self.name)
        if "isp.network.sync" in self.env:
            self.env["isp.network.sync"].sudo()._queue_drain([self.id])

    # ------------------------------------------------------------------
    # RADIUS clients (radius.nas)
    # ------------------------------------------------------------------
    def _prepare_nas_values(self):
        self.ensure_one()
        return {
            "nasname": self.nas_address.strip(),
            "shortname": (self.name or self.nas_address)[:64],
            "type": "other",
            "secret": self._isp_get_secret("radius_secret_encrypted"),
            "description": f"isp.router:{self.id}",
        }

    def _sync_nas_row(self, extra_names=()):
        """Make ``radius.nas`` agree with the routers (their NAS address and secret).

        A RADIUS-mode active router with a secret has one row keyed by its NAS
        address; anything else has none. Only rows we created are deleted.
        """
        names = {name.strip() for name in extra_names if name}
        names |= {router.nas_address.strip() for router in self if router.nas_address}
        if not names:
            return
        cr = self.env.cr
        cr.execute("SELECT to_regclass('radius.nas')")
        if not cr.fetchone()[0]:
            ensure_schema(cr)
        routers = (
            self.env["isp.router"]
            .sudo()
            .search(
                [
                    ("nas_address", "in", list(names)),
                    ("management_mode", "=", "radius"),
                    ("radius_secret_encrypted", "!=", False),
                ],
                order="id",
            )
        )
        wanted = {}
        for router in routers:
            wanted.setdefault(router.nas_address.strip(), router)
        for name in sorted(names):
            router = wanted.get(name)
            if not router:
                cr.execute(
                    "DELETE FROM radius.nas WHERE nasname = %s AND description LIKE %s",
                    (name, "isp.router:%"),
                )
                continue
            vals = router._prepare_nas_values()
            cr.execute(
                """
                INSERT INTO radius.nas (nasname, shortname, type, secret, description)
                VALUES (%(nasname)s, %(shortname)s, %(type)s, %(secret)s, %(description)s)
                ON CONFLICT (nasname) DO UPDATE
                   SET shortname = EXCLUDED.shortname, type = EXCLUDED.type,
                       secret = EXCLUDED.secret, description = EXCLUDED.description
                 WHERE (nas.shortname, nas.type, nas.secret, nas.description)
                       IS DISTINCT FROM (EXCLUDED.shortname, EXCLUDED.type, EXCLUDED.secret,
                                         EXCLUDED.description)
                """,
                vals,
            )

    # ------------------------------------------------------------------
    # Client
    # ------------------------------------------------------------------
    @api.model
    def _get_timeout(self):
        value = self.env["ir.config_parameter"].sudo().get_param(TIMEOUT_PARAM)
        try:
            return float(value) if value else DEFAULT_TIMEOUT
        except ValueError:
            return DEFAULT_TIMEOUT

    def _get_client(self, timeout=None):
        """A not yet connected RouterOS client (use it as a context manager)."""
        self.ensure_one()
        return RouterOSClient(
            self.host,
            port=self.api_port or (8729 if self.api_tls else 8728),
            username=self.api_username or "admin",
            password=self._isp_get_secret("api_password_encrypted") or "",
            tls=self.api_tls,
            timeout=timeout or self._get_timeout(),
            legacy_login=self.legacy_login,
        )
