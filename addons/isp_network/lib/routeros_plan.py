"""One-click RouterOS setup plans and their idempotent application (pure Python).

A plan is an ordered list of :class:`Step`. Each step names a menu path, how to find
its entry (``key``, a print query) and the attributes the entry must have. Applying a
plan prints with the key, adds the entry when absent, sets only the attributes that
differ when present, and leaves it alone otherwise, so running a plan twice reports
every step ``unchanged`` the second time.

The builders validate their parameters (addresses, ranges, interface names, rates)
and raise :class:`PlanError` with a message naming the bad parameter. Nothing here
imports Odoo; ``apply_plan`` talks to any object with the ``RouterOSClient`` API
(``print``, ``add``, ``set``, ``call``).
"""

import ipaddress
import re
from dataclasses import dataclass, field

from .errors import NetworkError, RouterCommandError, RouterUnreachable

__all__ = [
    "PLAN_KINDS",
    "PlanError",
    "Step",
    "StepResult",
    "apply_plan",
    "build_plan",
    "differing",
    "dhcp_server_plan",
    "hotspot_plan",
    "normalize_value",
    "pppoe_server_plan",
    "simple_queue_plan",
    "suspended_redirect_plan",
    "wan_static_plan",
]

ENSURE = "ensure"
SET_SINGLETON = "set_singleton"

INTERFACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._<>-]{0,63}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# MikroTik rate: "10M", "10M/10M", with optional burst fields separated by spaces.
RATE_TOKEN = r"\d+(?:\.\d+)?[kKMG]?"
RATE_RE = re.compile(rf"^{RATE_TOKEN}(?:/{RATE_TOKEN})?(?: +[^ ]+){{0,5}}$")
DURATION_RE = re.compile(r"^(?:\d+[wdhms])+$|^\d{1,2}:\d{2}:\d{2}$")
HOST_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9*]([A-Za-z0-9*-]{0,62})(\.[A-Za-z0-9-]{1,63})*$")


class PlanError(ValueError):
    """A setup parameter is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Step:
    """One entry the router must have.

    ``action`` is ``ensure`` (an entry of a list, found by ``key``) or
    ``set_singleton`` (a settings menu such as ``/radius/incoming``, no key).
    ``create_attrs`` are only sent when the entry is added (e.g. a comment), never
    enforced on an existing entry. A ``critical`` step that fails stops the plan:
    the steps after it depend on it.
    """

    path: str
    key: dict
    attrs: dict
    action: str = ENSURE
    create_attrs: dict = field(default_factory=dict)
    critical: bool = False

    @property
    def preview(self):
        """The RouterOS console command this step amounts to."""
        if self.action == SET_SINGLETON:
            return f"{self.path} set {_format_attrs(self.attrs)}".rstrip()
        attrs = {**self.key, **self.attrs, **self.create_attrs}
        return f"{self.path} add {_format_attrs(attrs)}".rstrip()


@dataclass(frozen=True)
class StepResult:
    step: Step
    outcome: str  # added | updated | unchanged | error | skipped
    detail: str = ""

    @property
    def ok(self):
        return self.outcome in ("added", "updated", "unchanged")


def _format_value(value):
    text = normalize_value(value)
    if text == "" or re.search(r"[\s\"';]", text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


# Shown masked in previews, results and audit lines.
SECRET_KEYS = frozenset({"secret", "password"})


def _format_attrs(attrs):
    return " ".join(
        f"{key}={'***' if key in SECRET_KEYS else _format_value(value)}"
        for key, value in attrs.items()
    )


def normalize_value(value):
    """Compare router values as RouterOS prints them (``yes``/``true`` alike)."""
    if value is True:
        return "yes"
    if value is False or value is None:
        return "no" if value is False else ""
    text = str(value)
    lowered = text.lower()
    if lowered in ("true", "yes"):
        return "yes"
    if lowered in ("false", "no"):
        return "no"
    return text


# ----------------------------------------------------------------------
# Validation helpers
# ----------------------------------------------------------------------
def _interface(value, name):
    if not value or not INTERFACE_RE.match(str(value)):
        raise PlanError(f"Parameter '{name}': '{value}' is not a valid interface name.")
    return str(value)


def _name(value, name):
    if not value or not NAME_RE.match(str(value)):
        raise PlanError(
            f"Parameter '{name}': '{value}' is not a valid name "
            "(letters, digits, '.', '_' and '-', at most 64)."
        )
    return str(value)


def _ipv4(value, name):
    try:
        return ipaddress.IPv4Address(str(value).strip())
    except (ipaddress.AddressValueError, ValueError):
        raise PlanError(f"Parameter '{name}': '{value}' is not an IPv4 address.") from None


def _ip_any(value, name):
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise PlanError(f"Parameter '{name}': '{value}' is not an IP address.") from None


def _interface_address(value, name):
    """``192.168.88.1/24`` (address with prefix length on an interface)."""
    try:
        iface = ipaddress.IPv4Interface(str(value).strip())
    except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError):
        raise PlanError(
            f"Parameter '{name}': '{value}' is not an IPv4 address with prefix "
            "(e.g. 192.168.88.1/24)."
        ) from None
    if "/" not in str(value):
        raise PlanError(f"Parameter '{name}': '{value}' needs a prefix length (e.g. /24).")
    if iface.network.prefixlen < 31 and iface.ip in (
        iface.network.network_address,
        iface.network.broadcast_address,
    ):
        raise PlanError(
            f"Parameter '{name}': '{value}' is the network or broadcast address of its subnet."
        )
    return iface


def _network(value, name):
    try:
        return ipaddress.IPv4Network(str(value).strip(), strict=True)
    except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError) as exc:
        raise PlanError(f"Parameter '{name}': '{value}' is not an IPv4 network ({exc}).") from None


def _ranges(value, name):
    """``10.10.0.2-10.10.3.254`` or several separated by commas, or a CIDR."""
    text = str(value or "").replace(" ", "")
    if not text:
        raise PlanError(f"Parameter '{name}' is required.")
    parts = []
    bounds = []
    for part in text.split(","):
        if "/" in part:
            net = _network(part, name)
            bounds.append((int(net.network_address), int(net.broadcast_address)))
            parts.append(str(net))
            continue
        if "-" in part:
            start_text, end_text = part.split("-", 1)
        else:
            start_text = end_text = part
        start, end = _ipv4(start_text, name), _ipv4(end_text, name)
        if int(end) < int(start):
            raise PlanError(f"Parameter '{name}': range '{part}' ends before it starts.")
        bounds.append((int(start), int(end)))
        parts.append(part)
    bounds.sort()
    for (_s1, e1), (s2, _e2) in zip(bounds, bounds[1:], strict=False):
        if s2 <= e1:
            raise PlanError(f"Parameter '{name}': the ranges in '{value}' overlap.")
    return ",".join(parts), bounds


def _ranges_network(bounds):
    """The smallest network holding every range (for masquerade src-address)."""
    start = ipaddress.IPv4Address(bounds[0][0])
    end = ipaddress.IPv4Address(max(e for _s, e in bounds))
    for prefix in range(32, -1, -1):
        net = ipaddress.IPv4Network(f"{start}/{prefix}", strict=False)
        if end in net:
            return net
    return ipaddress.IPv4Network("0.0.0.0/0")


def _rate(value, name):
    text = str(value or "").strip()
    if not RATE_RE.match(text):
        raise PlanError(f"Parameter '{name}': '{value}' is not a MikroTik rate such as 10M/10M.")
    return text


def _duration(value, name):
    text = str(value or "").strip()
    if not DURATION_RE.match(text):
        raise PlanError(f"Parameter '{name}': '{value}' is not a duration such as 5m or 1h.")
    return text


def _port(value, name):
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise PlanError(f"Parameter '{name}': '{value}' is not a port number.") from None
    if not 0 < port < 65536:
        raise PlanError(f"Parameter '{name}': {port} is outside 1-65535.")
    return port


def _in_network(address, iface, name):
    if address not in iface.network:
        raise PlanError(f"Parameter '{name}': {address} is outside {iface.network}.")


# ----------------------------------------------------------------------
# Builders
# ----------------------------------------------------------------------
def _radius_steps(*, service, address, secret, coa_port, src_address=None):
    address = str(_ip_any(address, "radius_address"))
    if not secret:
        raise PlanError("Parameter 'radius_secret' is required.")
    attrs = {"secret": secret, "disabled": "no"}
    if src_address:
        attrs["src-address"] = str(_ip_any(src_address, "radius_src_address"))
    return [
        Step("/radius", {"address": address, "service": service}, attrs),
        Step(
            "/radius/incoming",
            {},
            {"accept": "yes", "port": str(_port(coa_port, "coa_port"))},
            action=SET_SINGLETON,
        ),
    ]


def pppoe_server_plan(
    *,
    pool_ranges,
    local_address,
    radius_address,
    radius_secret,
    pool_name="isp-pppoe",
    profile_name="isp-pppoe",
    rate_limit=None,
    only_one=True,
    dns_server=None,
    radius_src_address=None,
    coa_port=3799,
    interim_update="5m",
    interface="ether2",
    service_name="isp",
    wan_interface="ether1",
    masquerade=True,
):
    """Full PPPoE server authenticated by RADIUS, with NAT masquerade on the WAN."""
    pool_name = _name(pool_name, "pool_name")
    profile_name = _name(profile_name, "profile_name")
    ranges, bounds = _ranges(pool_ranges, "pool_ranges")
    local = _ipv4(local_address, "local_address")
    for start, end in bounds:
        if start <= int(local) <= end:
            raise PlanError(
                f"Parameter 'local_address': {local} lies inside the pool ranges {ranges}."
            )
    interface = _interface(interface, "interface")
    wan_interface = _interface(wan_interface, "wan_interface")
    if interface == wan_interface:
        raise PlanError("The PPPoE interface and the WAN interface must differ.")
    service_name = _name(service_name, "service_name")
    profile_attrs = {
        "local-address": str(local),
        "remote-address": pool_name,
        "only-one": "yes" if only_one else "no",
    }
    if rate_limit:
        profile_attrs["rate-limit"] = _rate(rate_limit, "rate_limit")
    if dns_server:
        profile_attrs["dns-server"] = str(_ipv4(dns_server, "dns_server"))
    steps = [
        Step("/ip/pool", {"name": pool_name}, {"ranges": ranges}, critical=True),
        Step("/ppp/profile", {"name": profile_name}, profile_attrs, critical=True),
        *_radius_steps(
            service="ppp",
            address=radius_address,
            secret=radius_secret,
            coa_port=coa_port,
            src_address=radius_src_address,
        ),
        Step(
            "/ppp/aaa",
            {},
            {
                "use-radius": "yes",
                "accounting": "yes",
                "interim-update": _duration(interim_update, "interim_update"),
            },
            action=SET_SINGLETON,
        ),
        Step(
            "/interface/pppoe-server/server",
            {"service-name": service_name},
            {
                "interface": interface,
                "default-profile": profile_name,
                "authentication": "pap,chap,mschap1,mschap2",
                "one-session-per-host": "yes",
                "disabled": "no",
            },
        ),
    ]
    if masquerade:
        steps.append(_masquerade_step(wan_interface, _ranges_network(bounds)))
    return steps


def _masquerade_step(wan_interface, src_network):
    return Step(
        "/ip/firewall/nat",
        {
            "chain": "srcnat",
            "action": "masquerade",
            "src-address": str(src_network),
            "out-interface": wan_interface,
        },
        {},
        create_attrs={"comment": "isp-setup: masquerade"},
    )


def hotspot_plan(
    *,
    gateway,
    pool_ranges,
    radius_address,
    radius_secret,
    interface="ether3",
    name="isp-hotspot",
    pool_name="isp-hotspot",
    profile_name="isp-hotspot",
    dns_name=None,
    radius_src_address=None,
    coa_port=3799,
    interim_update="5m",
    wan_interface="ether1",
    masquerade=True,
):
    """Hotspot server on an interface, users authenticated by RADIUS."""
    iface = _interface_address(gateway, "gateway")
    interface = _interface(interface, "interface")
    wan_interface = _interface(wan_interface, "wan_interface")
    if interface == wan_interface:
        raise PlanError("The hotspot interface and the WAN interface must differ.")
    name = _name(name, "name")
    pool_name = _name(pool_name, "pool_name")
    profile_name = _name(profile_name, "profile_name")
    ranges, bounds = _ranges(pool_ranges, "pool_ranges")
    for start, end in bounds:
        for bound in (start, end):
            _in_network(ipaddress.IPv4Address(bound), iface, "pool_ranges")
        if start <= int(iface.ip) <= end:
            raise PlanError(
                f"Parameter 'pool_ranges': the gateway {iface.ip} lies inside {ranges}."
            )
    profile_attrs = {
        "hotspot-address": str(iface.ip),
        "use-radius": "yes",
        "radius-accounting": "yes",
        "radius-interim-update": _duration(interim_update, "interim_update"),
        "login-by": "http-chap,http-pap",
    }
    if dns_name:
        if not HOST_RE.match(dns_name):
            raise PlanError(f"Parameter 'dns_name': '{dns_name}' is not a host name.")
        profile_attrs["dns-name"] = dns_name
    steps = [
        Step(
            "/ip/address",
            {"address": iface.with_prefixlen, "interface": interface},
            {"disabled": "no"},
            critical=True,
        ),
        Step("/ip/pool", {"name": pool_name}, {"ranges": ranges}, critical=True),
        Step("/ip/hotspot/profile", {"name": profile_name}, profile_attrs, critical=True),
        *_radius_steps(
            service="hotspot",
            address=radius_address,
            secret=radius_secret,
            coa_port=coa_port,
            src_address=radius_src_address,
        ),
        Step(
            "/ip/hotspot",
            {"name": name},
            {
                "interface": interface,
                "address-pool": pool_name,
                "profile": profile_name,
                "disabled": "no",
            },
        ),
    ]
    if masquerade:
        steps.append(_masquerade_step(wan_interface, iface.network))
    return steps


def dhcp_server_plan(
    *,
    gateway,
    pool_ranges,
    interface="ether3",
    name="isp-dhcp",
    pool_name="isp-dhcp",
    dns_servers=None,
    lease_time="1d",
):
    """DHCP server: gateway address, pool, network and server on an interface."""
    iface = _interface_address(gateway, "gateway")
    interface = _interface(interface, "interface")
    name = _name(name, "name")
    pool_name = _name(pool_name, "pool_name")
    ranges, bounds = _ranges(pool_ranges, "pool_ranges")
    for start, end in bounds:
        for bound in (start, end):
            _in_network(ipaddress.IPv4Address(bound), iface, "pool_ranges")
        if start <= int(iface.ip) <= end:
            raise PlanError(
                f"Parameter 'pool_ranges': the gateway {iface.ip} lies inside {ranges}."
            )
    dns = [str(_ipv4(d, "dns_servers")) for d in _split(dns_servers)] or [str(iface.ip)]
    return [
        Step(
            "/ip/address",
            {"address": iface.with_prefixlen, "interface": interface},
            {"disabled": "no"},
            critical=True,
        ),
        Step("/ip/pool", {"name": pool_name}, {"ranges": ranges}, critical=True),
        Step(
            "/ip/dhcp-server/network",
            {"address": str(iface.network)},
            {"gateway": str(iface.ip), "dns-server": ",".join(dns)},
        ),
        Step(
            "/ip/dhcp-server",
            {"name": name},
            {
                "interface": interface,
                "address-pool": pool_name,
                "lease-time": _duration(lease_time, "lease_time"),
                "disabled": "no",
            },
        ),
    ]


def wan_static_plan(*, address, gateway, interface="ether1", dns_servers=None):
    """Static WAN address, default route and upstream DNS servers."""
    iface = _interface_address(address, "address")
    gw = _ipv4(gateway, "gateway")
    _in_network(gw, iface, "gateway")
    if gw == iface.ip:
        raise PlanError("Parameter 'gateway': the gateway cannot be the router's own address.")
    interface = _interface(interface, "interface")
    steps = [
        Step(
            "/ip/address",
            {"address": iface.with_prefixlen, "interface": interface},
            {"disabled": "no"},
            critical=True,
        ),
        Step("/ip/route", {"dst-address": "0.0.0.0/0", "gateway": str(gw)}, {"disabled": "no"}),
    ]
    dns = [str(_ipv4(d, "dns_servers")) for d in _split(dns_servers)]
    if dns:
        steps.append(Step("/ip/dns", {}, {"servers": ",".join(dns)}, action=SET_SINGLETON))
    return steps


def simple_queue_plan(*, name, target, max_limit, burst_limit=None, comment=None):
    """A simple queue limiting one address or network."""
    name = _name(name, "name")
    try:
        net = ipaddress.IPv4Network(str(target).strip(), strict=False)
    except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError):
        raise PlanError(
            f"Parameter 'target': '{target}' is not an IPv4 address or network."
        ) from None
    attrs = {"target": str(net), "max-limit": _rate(max_limit, "max_limit"), "disabled": "no"}
    if burst_limit:
        attrs["burst-limit"] = _rate(burst_limit, "burst_limit")
    create = {"comment": comment} if comment else {}
    return [Step("/queue/simple", {"name": name}, attrs, create_attrs=create)]


def suspended_redirect_plan(
    *,
    pay_page_address,
    walled_garden=(),
    address_list="isp-suspended",
    walled_garden_list="isp-walled-garden",
    pay_page_port=80,
    suspended_pool_ranges=None,
    suspended_pool_name="isp-suspended",
    suspended_profile_name="isp-suspended",
    local_address=None,
    suspended_rate_limit="256k/256k",
):
    """Suspended subscribers (address list) reach only the walled garden.

    HTTP from the list is redirected to the pay page, DNS and walled-garden
    destinations are allowed, everything else is dropped. With a pool and a local
    address it also creates the suspended pool and PPP profile that put a session
    into the list.
    """
    address_list = _name(address_list, "address_list")
    walled_garden_list = _name(walled_garden_list, "walled_garden_list")
    if not pay_page_address:
        raise PlanError("Parameter 'pay_page_address' is required.")
    pay_page = _ipv4(pay_page_address, "pay_page_address")
    port = _port(pay_page_port, "pay_page_port")
    steps = []
    if suspended_pool_ranges:
        if not local_address:
            raise PlanError("Parameter 'local_address' is required with a suspended pool.")
        ranges, _bounds = _ranges(suspended_pool_ranges, "suspended_pool_ranges")
        pool = _name(suspended_pool_name, "suspended_pool_name")
        steps += [
            Step("/ip/pool", {"name": pool}, {"ranges": ranges}, critical=True),
            Step(
                "/ppp/profile",
                {"name": _name(suspended_profile_name, "suspended_profile_name")},
                {
                    "local-address": str(_ipv4(local_address, "local_address")),
                    "remote-address": pool,
                    "address-list": address_list,
                    "rate-limit": _rate(suspended_rate_limit, "suspended_rate_limit"),
                },
                critical=True,
            ),
        ]
    garden = [str(pay_page)]
    for entry in walled_garden:
        entry = str(entry).strip()
        try:
            garden.append(str(ipaddress.ip_network(entry, strict=False)).removesuffix("/32"))
        except ValueError:
            if not HOST_RE.match(entry):
                raise PlanError(
                    f"Parameter 'walled_garden': '{entry}' is neither an address nor a host name."
                ) from None
            garden.append(entry)
    for address in dict.fromkeys(garden):
        steps.append(
            Step(
                "/ip/firewall/address-list",
                {"list": walled_garden_list, "address": address},
                {"disabled": "no"},
                create_attrs={"comment": "isp-setup: walled garden"},
            )
        )
    comment = {"comment": "isp-setup: suspended"}
    steps += [
        Step(
            "/ip/firewall/nat",
            {
                "chain": "dstnat",
                "src-address-list": address_list,
                "dst-address-list": f"!{walled_garden_list}",
                "protocol": "tcp",
                "dst-port": "80",
                "action": "dst-nat",
            },
            {"to-addresses": str(pay_page), "to-ports": str(port)},
            create_attrs=comment,
        ),
        Step(
            "/ip/firewall/filter",
            {
                "chain": "forward",
                "src-address-list": address_list,
                "dst-address-list": walled_garden_list,
                "action": "accept",
            },
            {},
            create_attrs=comment,
        ),
        Step(
            "/ip/firewall/filter",
            {
                "chain": "forward",
                "src-address-list": address_list,
                "protocol": "udp",
                "dst-port": "53",
                "action": "accept",
            },
            {},
            create_attrs=comment,
        ),
        Step(
            "/ip/firewall/filter",
            {"chain": "forward", "src-address-list": address_list, "action": "drop"},
            {},
            create_attrs=comment,
        ),
    ]
    return steps


def _split(value):
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


PLAN_KINDS = {
    "pppoe": pppoe_server_plan,
    "hotspot": hotspot_plan,
    "dhcp": dhcp_server_plan,
    "wan_static": wan_static_plan,
    "simple_queue": simple_queue_plan,
    "suspended_redirect": suspended_redirect_plan,
}


def build_plan(kind, params):
    """Build the plan of ``kind`` from a parameter dict (unknown keys are refused)."""
    builder = PLAN_KINDS.get(kind)
    if builder is None:
        raise PlanError(f"Unknown setup kind '{kind}'.")
    try:
        return builder(**params)
    except TypeError as exc:
        raise PlanError(f"Bad parameters for the {kind} setup: {exc}") from None


# ----------------------------------------------------------------------
# Apply
# ----------------------------------------------------------------------
# Attributes RouterOS leaves out of a print when they have their default value.
PRINT_DEFAULTS = {"disabled": "no"}


def differing(row, attrs):
    """The attributes of ``attrs`` whose value differs from the printed ``row``."""
    return {
        key: value
        for key, value in attrs.items()
        if normalize_value(row.get(key, PRINT_DEFAULTS.get(key))) != normalize_value(value)
    }


def _apply_step(client, step):
    if step.action == SET_SINGLETON:
        rows = client.print(step.path)
        current = rows[0] if rows else {}
        diff = differing(current, step.attrs)
        if not diff:
            return StepResult(step, "unchanged")
        client.call(f"{step.path}/set", **diff)
        return StepResult(step, "updated", _format_attrs(diff))
    rows = client.print(step.path, where=step.key)
    if not rows:
        try:
            client.add(step.path, **step.key, **step.attrs, **step.create_attrs)
        except RouterCommandError as exc:
            if not exc.exists:
                raise
            rows = client.print(step.path, where=step.key)
            if not rows:
                raise
        else:
            return StepResult(step, "added")
    row = rows[0]
    diff = differing(row, step.attrs)
    if not diff:
        return StepResult(step, "unchanged")
    client.set(step.path, row[".id"], **diff)
    return StepResult(step, "updated", _format_attrs(diff))


def apply_plan(client, steps):
    """Apply ``steps`` in order; one result per step.

    A router error on a step is recorded and the plan goes on, unless the step is
    ``critical`` (the rest is then ``skipped``). An unreachable router stops the
    plan at once: the remaining steps are ``skipped``.
    """
    results = []
    stop_reason = None
    for step in steps:
        if stop_reason:
            results.append(StepResult(step, "skipped", stop_reason))
            continue
        try:
            results.append(_apply_step(client, step))
        except RouterUnreachable as exc:
            results.append(StepResult(step, "error", str(exc)))
            stop_reason = f"not run: the router became unreachable ({exc})"
        except NetworkError as exc:
            results.append(StepResult(step, "error", str(exc)))
            if step.critical:
                stop_reason = f"not run: '{step.preview}' failed"
    return results
