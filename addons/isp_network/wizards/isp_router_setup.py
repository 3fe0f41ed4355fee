import ipaddress

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import routeros_plan
from ..lib.errors import NetworkError

RADIUS_ADDRESS_PARAM = "isp_network.radius_server_address"
PAY_PAGE_PARAM = "isp_network.pay_page_address"
SETUP_KINDS = [
    ("pppoe", "Full PPPoE Server"),
    ("hotspot", "Hotspot Server with RADIUS"),
    ("dhcp", "DHCP Server"),
    ("wan_static", "WAN Static IP"),
    ("simple_queue", "Simple Queue (Bandwidth Limit)"),
]
OUTCOMES = [
    ("pending", "Not Applied"),
    ("added", "Added"),
    ("updated", "Updated"),
    ("unchanged", "Unchanged"),
    ("error", "Error"),
    ("skipped", "Skipped"),
]


class IspRouterSetup(models.TransientModel):
    """One-click setup of a router: preview every command, then apply idempotently."""

    _name = "isp.router.setup"
    _description = "One-Click Router Setup"

    router_id = fields.Many2one("isp.router", required=True, ondelete="cascade")
    kind = fields.Selection(SETUP_KINDS, string="Setup", required=True, default="pppoe")
    state = fields.Selection(
        [("draft", "Parameters"), ("preview", "Preview"), ("done", "Applied")],
        default="draft",
        required=True,
    )
    line_ids = fields.One2many("isp.router.setup.line", "wizard_id", string="Commands")
    summary = fields.Char(readonly=True)
    # -- PPPoE / hotspot / DHCP ---------------------------------------------
    interface = fields.Char(help="Interface the server listens on (PPPoE, hotspot, DHCP).")
    wan_interface = fields.Char(string="WAN Interface")
    pool_name = fields.Char(default="isp-pppoe")
    pool_ranges = fields.Char(help="e.g. 10.10.0.2-10.10.3.254 (several separated by commas).")
    local_address = fields.Char(help="The router's address in the PPP tunnels.")
    profile_name = fields.Char(default="isp-pppoe")
    rate_limit = fields.Char(help="Default MikroTik rate of the profile, e.g. 10M/10M.")
    dns_server = fields.Char(string="DNS Server")
    service_name = fields.Char(default="isp")
    masquerade = fields.Boolean(string="NAT Masquerade", default=True)
    radius_address = fields.Char(string="RADIUS Server")
    radius_secret = fields.Char(
        string="RADIUS Secret", help="Leave empty to use the RADIUS secret stored on the router."
    )
    coa_port = fields.Integer(string="CoA Port", default=3799)
    interim_update = fields.Char(default="5m")
    with_suspended_redirect = fields.Boolean(
        string="Suspended Users Redirect",
        help="Also create the suspended pool and profile, the walled garden address list "
        "and the firewall rules sending suspended users to the pay page.",
    )
    pay_page_address = fields.Char(help="IPv4 address of the pay page web server.")
    suspended_pool_ranges = fields.Char()
    gateway = fields.Char(help="Router address with prefix on the interface, e.g. 172.16.0.1/24.")
    dns_name = fields.Char(string="Hotspot DNS Name")
    lease_time = fields.Char(default="1d")
    # -- WAN -----------------------------------------------------------------
    wan_address = fields.Char(string="WAN Address", help="e.g. 203.0.113.2/30")
    wan_gateway = fields.Char(string="WAN Gateway")
    dns_servers = fields.Char(string="DNS Servers", help="Comma separated.")
    # -- simple queue ------------------------------------------------------------
    queue_name = fields.Char()
    queue_target = fields.Char(help="Address or network, e.g. 10.20.0.0/24.")
    queue_max_limit = fields.Char(string="Max Limit", help="upload/download, e.g. 50M/50M.")

    # ------------------------------------------------------------------
    # Defaults from the router and its pools
    # ------------------------------------------------------------------
    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        router_id = values.get("router_id") or (
            self.env.context.get("active_model") == "isp.router"
            and self.env.context.get("active_id")
        )
        if router_id:
            values["router_id"] = router_id
            router = self.env["isp.router"].browse(router_id)
            values.update(self._get_router_defaults(router, values.get("kind") or "pppoe"))
        return values

    @api.onchange("router_id", "kind")
    def _onchange_router_kind(self):
        if self.router_id:
            for name, value in self._get_router_defaults(self.router_id, self.kind).items():
                self[name] = value
        self.state = "draft"
        self.line_ids = [fields.Command.clear()]

    @api.model
    def _get_router_pool(self, router, purpose):
        return self.env["isp.ip.pool"].search(
            [("router_id", "=", router.id), ("ip_version", "=", "4"), ("purpose", "=", purpose)],
            limit=1,
        )

    @api.model
    def _get_router_defaults(self, router, kind):
        """Parameters prefilled from the router and its IP pools (hook)."""
        params = self.env["ir.config_parameter"].sudo()
        values = {
            "wan_interface": router.interface_wan or "ether1",
            "interface": router.interface_pppoe or "ether2",
            "coa_port": router.coa_port or 3799,
            "radius_address": params.get_param(RADIUS_ADDRESS_PARAM) or False,
            "pay_page_address": params.get_param(PAY_PAGE_PARAM) or False,
        }
        if kind in ("pppoe", "hotspot", "dhcp"):
            pool = self._get_router_pool(router, "dynamic")
            if pool and pool.router_ranges:
                values["pool_name"] = pool.router_pool_name
                first, _sep, last = pool.router_ranges.partition("-")
                first_ip = ipaddress.IPv4Address(first)
                if kind == "pppoe":
                    # The router's own tunnel address is the pool's first address.
                    values["local_address"] = str(first_ip)
                    values["pool_ranges"] = f"{first_ip + 1}-{last}"
                else:
                    network = ipaddress.IPv4Network(pool.cidr or f"{first}/24", strict=False)
                    values["gateway"] = f"{first_ip}/{network.prefixlen}"
                    values["pool_ranges"] = f"{first_ip + 1}-{last}"
            elif kind != "pppoe":
                values["pool_name"] = f"isp-{kind}"
            suspended = self._get_router_pool(router, "suspended")
            if suspended and suspended.router_ranges:
                values["suspended_pool_ranges"] = suspended.router_ranges
            if kind == "pppoe":
                company = router.company_id
                values["with_suspended_redirect"] = bool(
                    company.isp_radius_suspend_mode == "walled_garden"
                    and values["pay_page_address"]
                )
            if kind == "hotspot":
                values["profile_name"] = "isp-hotspot"
                values["interface"] = "ether3"
            if kind == "dhcp":
                values["interface"] = "ether3"
        return values

    # ------------------------------------------------------------------
    # Plan
    # ------------------------------------------------------------------
    def _get_plan_params(self):
        """Builder parameters of the wizard's kind (hook)."""
        self.ensure_one()
        if self.kind == "pppoe":
            return {
                "pool_ranges": self.pool_ranges,
                "local_address": self.local_address,
                "radius_address": self.radius_address,
                "radius_secret": self._get_radius_secret(),
                "pool_name": self.pool_name or "isp-pppoe",
                "profile_name": self.profile_name or "isp-pppoe",
                "rate_limit": self.rate_limit or None,
                "dns_server": self.dns_server or None,
                "coa_port": self.coa_port,
                "interim_update": self.interim_update or "5m",
                "interface": self.interface,
                "service_name": self.service_name or "isp",
                "wan_interface": self.wan_interface,
                "masquerade": self.masquerade,
            }
        if self.kind == "hotspot":
            return {
                "gateway": self.gateway,
                "pool_ranges": self.pool_ranges,
                "radius_address": self.radius_address,
                "radius_secret": self._get_radius_secret(),
                "interface": self.interface,
                "pool_name": self.pool_name or "isp-hotspot",
                "profile_name": self.profile_name or "isp-hotspot",
                "dns_name": self.dns_name or None,
                "coa_port": self.coa_port,
                "interim_update": self.interim_update or "5m",
                "wan_interface": self.wan_interface,
                "masquerade": self.masquerade,
            }
        if self.kind == "dhcp":
            return {
                "gateway": self.gateway,
                "pool_ranges": self.pool_ranges,
                "interface": self.interface,
                "pool_name": self.pool_name or "isp-dhcp",
                "dns_servers": self.dns_servers or None,
                "lease_time": self.lease_time or "1d",
            }
        if self.kind == "wan_static":
            return {
                "address": self.wan_address,
                "gateway": self.wan_gateway,
                "interface": self.wan_interface,
                "dns_servers": self.dns_servers or None,
            }
        return {
            "name": self.queue_name,
            "target": self.queue_target,
            "max_limit": self.queue_max_limit,
        }

    def _get_radius_secret(self):
        return self.radius_secret or self.router_id.sudo()._isp_get_secret(
            "radius_secret_encrypted"
        )

    def _get_walled_garden_values(self):
        entries = self.env["isp.walled.garden"].sudo()._get_router_entries(self.router_id)
        return entries.filtered("active").mapped("value")

    def _build_plan(self):
        self.ensure_one()
        try:
            steps = routeros_plan.build_plan(self.kind, self._get_plan_params())
            if self.kind == "pppoe" and self.with_suspended_redirect:
                company = self.router_id.company_id
                steps += routeros_plan.suspended_redirect_plan(
                    pay_page_address=self.pay_page_address,
                    walled_garden=self._get_walled_garden_values(),
                    address_list=company.isp_radius_suspended_address_list or "isp-suspended",
                    suspended_pool_ranges=self.suspended_pool_ranges or None,
                    suspended_pool_name=company.isp_radius_suspended_pool or "isp-suspended",
                    suspended_profile_name=company.isp_radius_suspended_pool or "isp-suspended",
                    local_address=self.local_address,
                    suspended_rate_limit=company.isp_radius_suspended_rate_limit or "256k/256k",
                )
        except routeros_plan.PlanError as exc:
            raise UserError(_("The setup cannot be built: %(error)s", error=str(exc))) from exc
        return steps

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("One-Click Setup"),
        }

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_preview(self):
        """Show the commands; nothing is sent to the router."""
        self.ensure_one()
        steps = self._build_plan()
        self.line_ids = [fields.Command.clear()] + [
            fields.Command.create(
                {"sequence": index, "command": step.preview, "outcome": "pending"}
            )
            for index, step in enumerate(steps, 1)
        ]
        self.write(
            {
                "state": "preview",
                "summary": _("%(count)s commands, none applied yet.", count=len(steps)),
            }
        )
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        self.write({"state": "draft", "line_ids": [fields.Command.clear()], "summary": False})
        return self._reopen()

    def action_apply(self):
        """Apply the plan: print, add when absent, set only what differs."""
        self.ensure_one()
        steps = self._build_plan()
        router = self.router_id
        try:
            with router.sudo()._get_client() as client:
                results = routeros_plan.apply_plan(client, steps)
        except NetworkError as exc:
            raise UserError(
                _("Router %(name)s did not answer: %(error)s", name=router.display_name, error=exc)
            ) from exc
        counts = {outcome: 0 for outcome, _label in OUTCOMES}
        for result in results:
            counts[result.outcome] += 1
        if counts["unchanged"] == len(results):
            summary = _("No change: the router already has this configuration.")
        else:
            summary = _(
                "%(added)s added, %(updated)s updated, %(unchanged)s unchanged, "
                "%(error)s errors, %(skipped)s skipped.",
                added=counts["added"],
                updated=counts["updated"],
                unchanged=counts["unchanged"],
                error=counts["error"],
                skipped=counts["skipped"],
            )
        self.line_ids = [fields.Command.clear()] + [
            fields.Command.create(
                {
                    "sequence": index,
                    "command": result.step.preview,
                    "outcome": result.outcome,
                    "detail": result.detail,
                }
            )
            for index, result in enumerate(results, 1)
        ]
        self.write({"state": "done", "summary": summary})
        kind_label = dict(SETUP_KINDS)[self.kind]
        description = "\n".join(
            f"[{result.outcome}] {result.step.path} {result.detail}".rstrip() for result in results
        )
        self.env["isp.audit.log"]._log(
            router,
            "other",
            _("One-click setup %(kind)s: %(summary)s", kind=kind_label, summary=summary)
            + "\n"
            + description,
        )
        router.message_post(
            body=_(
                "One-click setup %(kind)s applied: %(summary)s", kind=kind_label, summary=summary
            )
        )
        return self._reopen()


class IspRouterSetupLine(models.TransientModel):
    _name = "isp.router.setup.line"
    _description = "One-Click Setup Command"
    _order = "sequence, id"

    wizard_id = fields.Many2one("isp.router.setup", required=True, ondelete="cascade")
    sequence = fields.Integer()
    command = fields.Char(readonly=True)
    outcome = fields.Selection(OUTCOMES, readonly=True, default="pending")
    detail = fields.Char(readonly=True)
