import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from odoo import _, api, fields, models

from ..lib.errors import NetworkError, RouterCommandError
from ..lib.routeros import RouterOSClient

_logger = logging.getLogger(__name__)

HEALTH_TIMEOUT_PARAM = "isp_network.router_health_timeout"
HEALTH_RETENTION_PARAM = "isp_network.router_health_retention_days"
DEFAULT_HEALTH_TIMEOUT = 3.0
DEFAULT_HEALTH_RETENTION = 90
# Routers polled at the same time (network I/O only; the ORM stays in the cron thread).
POLL_WORKERS = 8


def poll_router(params):
    """Read resources and sensors of one router (pure I/O, runs in a worker thread).

    Returns ``(info, health, error)``; ``error`` is the exception when the router
    could not be read.
    """
    try:
        with RouterOSClient(**params) as client:
            info = client.resource()
            try:
                health = client.health()
            except RouterCommandError:
                health = {}  # boards without sensors (or menus) trap; not an outage
    except NetworkError as exc:
        return None, None, exc
    return info, health, None


class IspRouterHealth(models.Model):
    """One health sample of a router (cron every few minutes)."""

    _name = "isp.router.health"
    _description = "Router Health Sample"
    _order = "date desc, id desc"
    _rec_name = "date"

    router_id = fields.Many2one("isp.router", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="router_id.company_id", store=True, index=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    state = fields.Selection([("up", "Up"), ("down", "Down")], required=True, default="up")
    error = fields.Char()
    cpu_load = fields.Integer(string="CPU Load (%)", aggregator="avg")
    free_memory_mb = fields.Float(string="Free Memory (MiB)", digits=(12, 1), aggregator="avg")
    total_memory_mb = fields.Float(string="Total Memory (MiB)", digits=(12, 1), aggregator="max")
    memory_percent = fields.Float(string="Memory Used (%)", digits=(5, 1), aggregator="avg")
    temperature = fields.Float(string="Temperature (°C)", digits=(5, 1), aggregator="avg")
    voltage = fields.Float(string="Voltage (V)", digits=(5, 1), aggregator="avg")
    has_sensors = fields.Boolean(help="The board reported temperature or voltage.")
    uptime = fields.Char()
    uptime_seconds = fields.Integer(aggregator="max")

    @api.model
    def _prepare_sample_vals(self, router, info, health, error, when):
        if error is not None:
            return {
                "router_id": router.id,
                "date": when,
                "state": "down",
                "error": router._isp_error_text(error)[:500],
            }
        health = health or {}
        return {
            "router_id": router.id,
            "date": when,
            "state": "up",
            "cpu_load": info["cpu_load"],
            "free_memory_mb": info["free_memory"] / 1048576.0,
            "total_memory_mb": info["total_memory"] / 1048576.0,
            "memory_percent": info["memory_percent"],
            "temperature": health.get("temperature", 0.0),
            "voltage": health.get("voltage", 0.0),
            "has_sensors": bool({"temperature", "voltage"} & set(health)),
            "uptime": info["uptime"],
            "uptime_seconds": info["uptime_seconds"],
        }

    @api.model
    def _get_health_timeout(self):
        value = self.env["ir.config_parameter"].sudo().get_param(HEALTH_TIMEOUT_PARAM)
        try:
            return float(value) if value else DEFAULT_HEALTH_TIMEOUT
        except ValueError:
            return DEFAULT_HEALTH_TIMEOUT

    @api.model
    def _get_routers_to_poll_domain(self):
        return [("active", "=", True)]

    @api.model
    def _cron_collect(self):
        routers = self.env["isp.router"].sudo().search(self._get_routers_to_poll_domain())
        self._collect(routers)
        self._prune()

    @api.model
    def _collect(self, routers):
        """Poll ``routers`` concurrently, then record each one in its own savepoint."""
        timeout = self._get_health_timeout()
        params = {}
        for router in routers:
            try:
                client = router._get_client(timeout=timeout)
            except Exception as exc:  # an undecryptable password must not stop the poll
                _logger.warning("Router %s cannot be polled: %s", router.name, exc)
                continue
            params[router.id] = {
                "host": client.host,
                "port": client.port,
                "username": client.username,
                "password": client.password,
                "tls": client.tls,
                "timeout": client.timeout,
                "legacy_login": client.legacy_login,
            }
        results = {}
        if params:
            with ThreadPoolExecutor(max_workers=min(POLL_WORKERS, len(params))) as pool:
                futures = {rid: pool.submit(poll_router, p) for rid, p in params.items()}
                results = {rid: future.result() for rid, future in futures.items()}
        samples = self.browse()
        done = 0
        for router in routers.filtered(lambda r: r.id in results):
            info, health, error = results[router.id]
            try:
                with self.env.cr.savepoint():
                    samples |= self._record(router, info, health, error)
            except Exception:
                _logger.exception("Recording the health of router %s failed", router.name)
            done += 1
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(results) - done)
        return samples

    @api.model
    def _record(self, router, info, health, error):
        sample = self.create(
            self._prepare_sample_vals(router, info, health, error, fields.Datetime.now())
        )
        router.sudo().write({"last_health_at": sample.date})
        if error is not None:
            router._isp_record_unreachable(error)
        else:
            router._isp_record_resource(info, health)
        return sample

    @api.model
    def _prune(self):
        value = self.env["ir.config_parameter"].sudo().get_param(HEALTH_RETENTION_PARAM)
        days = int(value) if value and value.isdigit() else DEFAULT_HEALTH_RETENTION
        limit = fields.Datetime.now() - timedelta(days=max(days, 1))
        old = self.sudo().search([("date", "<", limit)])
        old.unlink()
        return len(old)

    def _compute_display_name(self):
        for sample in self:
            sample.display_name = _(
                "%(router)s at %(date)s", router=sample.router_id.name, date=sample.date
            )
