from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib.errors import NetworkError, RouterCommandError

LOG_LIMIT = 500


class IspRouterBrowse(models.TransientModel):
    """Live view of a router: its log, netwatch entries or active PPPoE sessions."""

    _name = "isp.router.browse"
    _description = "Browse Router"

    router_id = fields.Many2one("isp.router", required=True, ondelete="cascade")
    kind = fields.Selection(
        [("log", "Log"), ("netwatch", "Netwatch"), ("session", "Active Sessions")],
        required=True,
        default="log",
    )
    search_text = fields.Char(
        string="Filter", help="Only lines containing this text (name, message, host...)."
    )
    line_ids = fields.One2many("isp.router.browse.line", "browse_id", string="Lines")
    line_count = fields.Integer(compute="_compute_line_count")
    loaded_at = fields.Datetime(readonly=True)
    error = fields.Char(readonly=True)

    @api.depends("line_ids")
    def _compute_line_count(self):
        for wizard in self:
            wizard.line_count = len(wizard.line_ids)

    def action_refresh(self):
        self.ensure_one()
        self._load_lines()
        return self._get_action()

    def _get_action(self):
        self.ensure_one()
        titles = dict(self._fields["kind"]._description_selection(self.env))
        return {
            "type": "ir.actions.act_window",
            "name": _("%(kind)s of %(router)s", kind=titles[self.kind], router=self.router_id.name),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    # ------------------------------------------------------------------
    # Loading
    # ------------------------------------------------------------------
    def _read_router(self, client):
        """Rows of the router for ``self.kind``, as line values."""
        if self.kind == "log":
            rows = client.print("/log", proplist=[".id", "time", "topics", "message"])
            rows = rows[-LOG_LIMIT:][::-1]  # newest first
            return [
                {
                    "ros_id": row.get(".id"),
                    "time": row.get("time"),
                    "topics": row.get("topics"),
                    "message": row.get("message"),
                }
                for row in rows
            ]
        if self.kind == "netwatch":
            rows = client.print("/tool/netwatch")
            return [
                {
                    "ros_id": row.get(".id"),
                    "host": row.get("host"),
                    "status": row.get("status"),
                    "since": row.get("since"),
                    "message": row.get("comment"),
                }
                for row in rows
            ]
        rows = client.print("/ppp/active")
        return [
            {
                "ros_id": row.get(".id"),
                "name": row.get("name"),
                "address": row.get("address"),
                "caller_id": row.get("caller-id"),
                "uptime": row.get("uptime"),
                "service": row.get("service"),
            }
            for row in rows
        ]

    def _load_lines(self):
        self.ensure_one()
        self.line_ids.unlink()
        try:
            with self.router_id._get_client() as client:
                values = self._read_router(client)
        except NetworkError as exc:
            self.router_id._isp_record_unreachable(exc)
            self.write({"error": self.router_id._isp_error_text(exc), "loaded_at": False})
            return
        needle = (self.search_text or "").strip().lower()
        if needle:
            values = [
                vals
                for vals in values
                if any(needle in str(value or "").lower() for value in vals.values())
            ]
        self.write(
            {
                "error": False,
                "loaded_at": fields.Datetime.now(),
                "line_ids": [fields.Command.create({**vals, "kind": self.kind}) for vals in values],
            }
        )


class IspRouterBrowseLine(models.TransientModel):
    _name = "isp.router.browse.line"
    _description = "Router Browse Line"
    _order = "id"

    browse_id = fields.Many2one("isp.router.browse", required=True, ondelete="cascade")
    kind = fields.Selection(related="browse_id.kind")
    ros_id = fields.Char(string="Router ID")
    time = fields.Char()
    topics = fields.Char()
    message = fields.Char()
    host = fields.Char()
    status = fields.Char()
    since = fields.Char()
    name = fields.Char(string="User")
    address = fields.Char()
    caller_id = fields.Char(string="Caller ID")
    uptime = fields.Char()
    service = fields.Char()

    def action_kick(self):
        """Disconnect one active session (remove it from /ppp/active), audited."""
        self.ensure_one()
        if self.kind != "session":
            raise UserError(_("Only active sessions can be kicked."))
        router = self.browse_id.router_id
        try:
            with router._get_client() as client:
                client.remove("/ppp/active", self.ros_id)
        except RouterCommandError as exc:
            if "no such item" not in exc.message:
                raise UserError(
                    _("The router refused to kick %(name)s: %(error)s", name=self.name, error=exc)
                ) from exc
            # Already gone: the goal (session closed) is reached.
        except NetworkError as exc:
            raise UserError(router._isp_error_text(exc)) from exc
        self.env["isp.audit.log"]._log(
            router,
            "other",
            _(
                "Session %(name)s (%(address)s, %(caller)s) kicked from router %(router)s",
                name=self.name,
                address=self.address or "-",
                caller=self.caller_id or "-",
                router=router.name,
            ),
        )
        router.message_post(
            body=_("Session %(name)s kicked.", name=self.name), subtype_xmlid="mail.mt_note"
        )
        wizard = self.browse_id
        wizard._load_lines()
        return wizard._get_action()
