import ipaddress
import logging
import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib import routeros_provision as provision
from ..lib.errors import NetworkError, RouterCommandError

_logger = logging.getLogger(__name__)

WALLED_GARDEN_LIST = "isp-walled-garden"
ADDRESS_LIST_PATH = "/ip/firewall/address-list"
HOTSPOT_PATH = "/ip/hotspot"
HOTSPOT_HOST_PATH = "/ip/hotspot/walled-garden"
HOTSPOT_IP_PATH = "/ip/hotspot/walled-garden/ip"
TAG_PREFIX = "isp-wg:"
HOST_RE = re.compile(
    r"^(?=.{1,253}$)(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})+$"
)


class IspWalledGarden(models.Model):
    """An address or host a suspended subscriber may still reach (pay page, gateways).

    Synced to the firewall address list ``isp-walled-garden`` of every router of the
    company (or of one router), which the suspended-users redirect allows, and to
    the hotspot walled garden of routers running a hotspot server. Router entries
    carry ``comment=isp-wg:<id>``.
    """

    _name = "isp.walled.garden"
    _description = "Walled Garden Entry"
    _order = "company_id, entry_type, value, id"
    _check_company_auto = True

    name = fields.Char(required=True, help="What this entry is, e.g. bKash checkout.")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    router_id = fields.Many2one(
        "isp.router",
        index=True,
        ondelete="cascade",
        check_company=True,
        help="Only this router; empty: every router of the company.",
    )
    entry_type = fields.Selection(
        [("address", "Address / Network"), ("host", "Host Name")],
        string="Type",
        required=True,
        default="address",
    )
    value = fields.Char(
        required=True, help="IPv4 address or network (203.0.113.0/24), or a host name."
    )
    active = fields.Boolean(default=True)
    sync_state = fields.Selection(
        [("pending", "Pending"), ("synced", "On Routers"), ("error", "Error")],
        default="pending",
        readonly=True,
        copy=False,
    )
    last_error = fields.Char(readonly=True, copy=False)

    @api.constrains("entry_type", "value")
    def _check_value(self):
        for entry in self:
            value = (entry.value or "").strip()
            if entry.entry_type == "address":
                try:
                    ipaddress.IPv4Network(value, strict=True)
                except ValueError:
                    raise ValidationError(
                        _(
                            "%(value)s is not an IPv4 address or network (e.g. 203.0.113.0/24).",
                            value=value,
                        )
                    ) from None
            elif not HOST_RE.match(value):
                raise ValidationError(_("%(value)s is not a host name.", value=value))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("value"):
                vals["value"] = vals["value"].strip()
        entries = super().create(vals_list)
        entries._isp_sync()
        return entries

    def write(self, vals):
        if vals.get("value"):
            vals["value"] = vals["value"].strip()
        routers = self._get_routers()
        result = super().write(vals)
        if set(vals) - {"name", "sync_state", "last_error"}:
            self._isp_sync(routers | self._get_routers())
        return result

    def unlink(self):
        routers = self._get_routers()
        ids = self.ids
        result = super().unlink()
        for router in routers:
            self._sync_router(router, scope_ids=ids)
        return result

    def action_sync(self):
        self._isp_sync()
        return True

    # ------------------------------------------------------------------
    # Router sync
    # ------------------------------------------------------------------
    def _get_routers(self):
        """Routers ``self`` belongs on."""
        routers = self.router_id
        companies = self.filtered(lambda e: not e.router_id).company_id
        if companies:
            routers |= self.env["isp.router"].sudo().search([("company_id", "in", companies.ids)])
        return routers

    @api.model
    def _get_router_entries(self, router):
        return self.with_context(active_test=False).search(
            [
                ("company_id", "=", router.company_id.id),
                "|",
                ("router_id", "=", False),
                ("router_id", "=", router.id),
            ]
        )

    def _isp_sync(self, routers=None):
        for router in routers if routers is not None else self._get_routers():
            self._sync_router(router, scope_ids=self.ids)

    def _skip_router_io(self):
        return self.env.context.get("install_mode") or self.env.context.get(
            "isp_network_no_router_sync"
        )

    @api.model
    def _get_router_ops(self, router, client, scope_ids=None):
        entries = self._get_router_entries(router).filtered("active")
        addresses = entries.filtered(lambda e: e.entry_type == "address")
        hosts = entries - addresses
        plans = [
            (
                ADDRESS_LIST_PATH,
                {
                    e.id: {"list": WALLED_GARDEN_LIST, "address": e.value, "disabled": "no"}
                    for e in entries
                },
            )
        ]
        try:
            has_hotspot = bool(client.print(HOTSPOT_PATH))
        except RouterCommandError:
            has_hotspot = False
        if has_hotspot:
            plans += [
                (
                    HOTSPOT_HOST_PATH,
                    {e.id: {"dst-host": e.value, "action": "allow"} for e in hosts},
                ),
                (
                    HOTSPOT_IP_PATH,
                    {e.id: {"dst-address": e.value, "action": "accept"} for e in addresses},
                ),
            ]
        ops = []
        for path, desired in plans:
            ops += provision.tagged_diff(
                path, TAG_PREFIX, desired, client.print(path), scope=scope_ids
            )
        return ops

    @api.model
    def _diff_router(self, router):
        with router.sudo()._get_client() as client:
            return [op.describe() for op in self._get_router_ops(router, client)]

    @api.model
    def _sync_router(self, router, scope_ids=None):
        """Make the router's ``isp-wg:`` entries match; returns the ops applied.

        Errors are recorded on the entries, never raised.
        """
        if self._skip_router_io() or not router.exists() or not router.active:
            return 0
        records = self._get_router_entries(router)
        if scope_ids is not None:
            records = records.filtered(lambda e: e.id in set(scope_ids))
        try:
            with router.sudo()._get_client() as client:
                ops = self._get_router_ops(router, client, scope_ids=scope_ids)
                results = provision.apply_ops(client, ops)
        except NetworkError as error:
            _logger.info("Walled garden of %s not synced: %s", router.display_name, error)
            records.sudo().write(
                {
                    "sync_state": "error",
                    "last_error": _(
                        "%(router)s: %(error)s", router=router.display_name, error=str(error)
                    )[:250],
                }
            )
            return 0
        errors = provision.errors_by_subscription(results, records.ids)
        failed = records.filtered(lambda e: errors.get(e.id))
        for entry in failed:
            entry.sudo().write(
                {
                    "sync_state": "error",
                    "last_error": _(
                        "%(router)s: %(error)s", router=router.display_name, error=errors[entry.id]
                    )[:250],
                }
            )
        # An entry on several routers stays in error until the router that failed takes it.
        prefix = f"{router.display_name}:"
        (records - failed).filtered(
            lambda e: e.sync_state != "error" or (e.last_error or "").startswith(prefix)
        ).sudo().write({"sync_state": "synced", "last_error": False})
        return sum(1 for result in results if result.ok)
