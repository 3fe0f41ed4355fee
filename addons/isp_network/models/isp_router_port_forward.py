import ipaddress
import logging

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib import routeros_provision as provision
from ..lib.errors import NetworkError

_logger = logging.getLogger(__name__)

NAT_PATH = "/ip/firewall/nat"
TAG_PREFIX = "isp-pf:"


class IspRouterPortForward(models.Model):
    """A port forward (dst-nat rule) kept on the router as a record.

    The rule on the router carries ``comment=isp-pf:<id>``; creating, changing,
    archiving or deleting the record makes the router agree. When the router does
    not answer, the record shows the error and the next heal of the router
    (reconciler, "Sync" button) finishes the job.
    """

    _name = "isp.router.port.forward"
    _description = "Port Forward"
    _inherit = ["mail.thread"]
    _order = "router_id, external_port, id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    router_id = fields.Many2one(
        "isp.router",
        required=True,
        index=True,
        ondelete="cascade",
        tracking=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="router_id.company_id", store=True, index=True)
    protocol = fields.Selection(
        [("tcp", "TCP"), ("udp", "UDP")], required=True, default="tcp", tracking=True
    )
    external_port = fields.Integer(required=True, tracking=True)
    internal_address = fields.Char(required=True, tracking=True, help="LAN address (IPv4).")
    internal_port = fields.Integer(required=True, tracking=True)
    comment = fields.Char(tracking=True, help="What the forward is for (not sent to the router).")
    active = fields.Boolean(default=True, tracking=True)
    sync_state = fields.Selection(
        [("pending", "Pending"), ("synced", "On Router"), ("error", "Error")],
        default="pending",
        readonly=True,
        copy=False,
    )
    last_error = fields.Char(readonly=True, copy=False)
    last_sync_at = fields.Datetime(readonly=True, copy=False)

    @api.depends("protocol", "external_port", "internal_address", "internal_port")
    def _compute_name(self):
        for forward in self:
            forward.name = (
                f"{(forward.protocol or '').upper()} {forward.external_port or ''} -> "
                f"{forward.internal_address or ''}:{forward.internal_port or ''}"
            )

    @api.constrains("external_port", "internal_port", "internal_address")
    def _check_values(self):
        for forward in self:
            for port in (forward.external_port, forward.internal_port):
                if not 0 < (port or 0) < 65536:
                    raise ValidationError(_("Port %(port)s is not between 1 and 65535.", port=port))
            try:
                ipaddress.IPv4Address((forward.internal_address or "").strip())
            except ValueError:
                raise ValidationError(
                    _(
                        "The internal address %(address)s is not an IPv4 address.",
                        address=forward.internal_address,
                    )
                ) from None

    @api.constrains("router_id", "protocol", "external_port", "active")
    def _check_unique_external_port(self):
        active = self.filtered("active")
        if not active:
            return
        clashes = self.search_read(
            [
                ("router_id", "in", active.router_id.ids),
                ("external_port", "in", active.mapped("external_port")),
                ("id", "not in", active.ids),
            ],
            ["router_id", "protocol", "external_port", "name"],
        )
        taken = {(c["router_id"][0], c["protocol"], c["external_port"]): c for c in clashes}
        seen = set()
        for forward in active:
            key = (forward.router_id.id, forward.protocol, forward.external_port)
            clash = taken.get(key)
            if clash or key in seen:
                raise ValidationError(
                    _(
                        "%(protocol)s port %(port)s of router %(router)s is already forwarded "
                        "(%(other)s).",
                        protocol=forward.protocol.upper(),
                        port=forward.external_port,
                        router=forward.router_id.display_name,
                        other=clash["name"] if clash else forward.name,
                    )
                )
            seen.add(key)

    @api.model_create_multi
    def create(self, vals_list):
        forwards = super().create(vals_list)
        forwards._isp_sync()
        return forwards

    def write(self, vals):
        old_routers = self.router_id
        result = super().write(vals)
        if set(vals) - {"comment", "sync_state", "last_error", "last_sync_at"}:
            self._isp_sync(routers=(old_routers - self.router_id) | self.router_id)
        return result

    def unlink(self):
        by_router = {
            router: self.filtered(lambda f, r=router: f.router_id == r).ids
            for router in self.router_id
        }
        result = super().unlink()
        for router, ids in by_router.items():
            self._sync_router(router, scope_ids=ids)
        return result

    def action_sync(self):
        self._isp_sync()
        return True

    # ------------------------------------------------------------------
    # Router sync
    # ------------------------------------------------------------------
    def _prepare_nat_attrs(self):
        self.ensure_one()
        attrs = {
            "chain": "dstnat",
            "action": "dst-nat",
            "protocol": self.protocol,
            "dst-port": str(self.external_port),
            "to-addresses": self.internal_address.strip(),
            "to-ports": str(self.internal_port),
            "disabled": "no",
        }
        if self.router_id.interface_wan:
            attrs["in-interface"] = self.router_id.interface_wan
        return attrs

    def _isp_sync(self, routers=None):
        """Sync ``self`` on its routers (and on ``routers``, e.g. the ones it left)."""
        for router in routers if routers is not None else self.router_id:
            self._sync_router(router, scope_ids=self.ids)

    def _skip_router_io(self):
        return self.env.context.get("install_mode") or self.env.context.get(
            "isp_network_no_router_sync"
        )

    @api.model
    def _diff_router(self, router):
        """Drift lines of the router's port forwards (for the reconciler)."""
        ops = self._get_router_ops(router)
        return [op.describe() for op in ops]

    @api.model
    def _get_router_ops(self, router, scope_ids=None, client=None):
        forwards = self.with_context(active_test=False).search([("router_id", "=", router.id)])
        desired = {f.id: f._prepare_nat_attrs() for f in forwards if f.active}
        if client is None:
            with router.sudo()._get_client() as own_client:
                rows = own_client.print(NAT_PATH)
        else:
            rows = client.print(NAT_PATH)
        return provision.tagged_diff(NAT_PATH, TAG_PREFIX, desired, rows, scope=scope_ids)

    @api.model
    def _sync_router(self, router, scope_ids=None):
        """Make the router's ``isp-pf:`` rules match the records; returns ops applied.

        Errors are recorded on the records (never raised), so saving a forward
        works while the router is down; the heal finishes it later.
        """
        if self._skip_router_io() or not router.exists():
            return 0
        records = self.with_context(active_test=False).search(
            [("router_id", "=", router.id)]
            + ([("id", "in", list(scope_ids))] if scope_ids is not None else [])
        )
        now = fields.Datetime.now()
        try:
            with router.sudo()._get_client() as client:
                ops = self._get_router_ops(router, scope_ids=scope_ids, client=client)
                results = provision.apply_ops(client, ops)
        except NetworkError as error:
            _logger.info("Port forwards of %s not synced: %s", router.display_name, error)
            records.sudo().write(
                {"sync_state": "error", "last_error": str(error)[:250], "last_sync_at": now}
            )
            return 0
        errors = provision.errors_by_subscription(results, records.ids)
        failed = records.filtered(lambda f: errors.get(f.id))
        for forward in failed:
            forward.sudo().write(
                {"sync_state": "error", "last_error": errors[forward.id][:250], "last_sync_at": now}
            )
        (records - failed).sudo().write(
            {"sync_state": "synced", "last_error": False, "last_sync_at": now}
        )
        return sum(1 for result in results if result.ok)
