import logging
from collections import defaultdict

from odoo import api, fields, models

from ..lib import routeros_provision as provision

_logger = logging.getLogger(__name__)


class IspNetworkProvisioner(models.AbstractModel):
    """Pushes subscriptions to routers managed over their API (``management_mode == "api"``).

    The desired entries come from :mod:`..lib.routeros_provision`; every entry carries
    ``comment=isp:<subscription id>``, so entries the ISP created by hand are never
    changed. The outbox calls :meth:`_provision`; the reconciler calls :meth:`_diff`
    and :meth:`_heal`. Router I/O only happens here and in the outbox jobs, never in
    computes or onchanges.
    """

    _name = "isp.network.provisioner"
    _description = "Router Provisioning"

    # ------------------------------------------------------------------
    # Desired state
    # ------------------------------------------------------------------
    @api.model
    def _get_router_subscriptions(self, router):
        """Every subscription the router serves (archived ones included: they go away)."""
        return (
            self.env["isp.subscription"]
            .sudo()
            .with_context(active_test=False)
            .search([("router_id", "=", router.id)])
        )

    @api.model
    def _get_provision_settings(self, company):
        settings = company._isp_radius_settings()
        return {
            "suspend_mode": settings["suspend_mode"],
            "suspended_profile": settings["suspended_pool"],
            "suspended_address_list": settings["suspended_address_list"],
        }

    @api.model
    def _prepare_provision_sub(self, subscription, password):
        """The plain description :func:`routeros_provision.desired_entries` reads."""
        package = subscription.package_id.product_tmpl_id
        return {
            "id": subscription.id,
            "username": subscription.username,
            "password": password,
            "state": subscription.state if subscription.active else "terminated",
            "connection_type": subscription.connection_type,
            "profile": package.isp_router_profile or False,
            "rate_limit": package.isp_rate_limit or False,
            "mac": subscription.mac_address or False,
            "ipv4": subscription.ipv4_address or False,
            "expiry_at": subscription.expiry_at or None,
        }

    @api.model
    def _get_desired(self, router, subscriptions):
        """``{subscription id: [Entry]}``; a subscription of another router has none here."""
        subscriptions = subscriptions.sudo().with_context(active_test=False)
        passwords = subscriptions._isp_get_passwords()
        settings = {}
        now = fields.Datetime.now()
        desired = {}
        for subscription in subscriptions:
            if subscription.router_id != router:
                desired[subscription.id] = []
                continue
            company = subscription.company_id
            if company not in settings:
                settings[company] = self._get_provision_settings(company)
            sub = self._prepare_provision_sub(subscription, passwords.get(subscription.id))
            desired[subscription.id] = provision.desired_entries(sub, settings[company], now=now)
        return desired

    # ------------------------------------------------------------------
    # Interface 9
    # ------------------------------------------------------------------
    @api.model
    def _read_actual(self, router):
        """``{path: [row]}`` of the managed menus as the router prints them."""
        router.ensure_one()
        with router.sudo()._get_client() as client:
            return provision.read_actual(client)

    @api.model
    def _provision(self, router, subscriptions):
        """Make ``router`` hold exactly the entries of ``subscriptions``.

        :returns: ``{subscription id: error text or False}``
        :raises RouterUnreachable: the router did not answer (the outbox retries)
        """
        router.ensure_one()
        if router.management_mode != "api" or not subscriptions:
            return dict.fromkeys(subscriptions.ids, False)
        desired = self._get_desired(router, subscriptions)
        with router.sudo()._get_client() as client:
            actual = provision.read_actual(client)
            ops = provision.diff(desired, actual, sub_ids=subscriptions.ids)
            results = provision.apply_ops(client, ops)
        errors = provision.errors_by_subscription(results, subscriptions.ids)
        for sub_id, error in errors.items():
            if error:
                _logger.warning(
                    "Router %s, subscription %s: %s", router.display_name, sub_id, error
                )
        return errors

    @api.model
    def _diff(self, router, subscriptions=None):
        """Drift of ``router``: ``{subscription id or None: text}``, empty when in sync.

        With ``subscriptions`` only theirs is compared; without, the whole router
        (entries of subscriptions that no longer exist or moved away included).
        Port forwards and walled-garden entries of the router are compared too.
        """
        router.ensure_one()
        if router.management_mode != "api":
            return {}
        scoped = subscriptions is not None
        if not scoped:
            subscriptions = self._get_router_subscriptions(router)
        desired = self._get_desired(router, subscriptions)
        actual = self._read_actual(router)
        ops = provision.diff(desired, actual, sub_ids=subscriptions.ids if scoped else None)
        existing = set(
            self.env["isp.subscription"]
            .sudo()
            .with_context(active_test=False)
            .browse({op.sub_id for op in ops})
            .exists()
            .ids
        )
        texts = defaultdict(list)
        for op in ops:
            texts[op.sub_id if op.sub_id in existing else None].append(op.describe())
        if not scoped:
            for text in self._diff_router_extras(router):
                texts[None].append(text)
        return {sub_id: "; ".join(lines) for sub_id, lines in texts.items()}

    @api.model
    def _diff_router_extras(self, router):
        """Hook: drift lines of other managed entries (port forwards, walled garden)."""
        lines = []
        forwards = self.env["isp.router.port.forward"].sudo()
        lines += forwards._diff_router(router)
        lines += self.env["isp.walled.garden"].sudo()._diff_router(router)
        return lines

    @api.model
    def _heal(self, router):
        """Re-push everything that belongs on ``router`` and remove our stale entries.

        Used after a reboot or reset. Returns the number of operations applied.
        :raises RouterUnreachable: the router did not answer
        """
        router.ensure_one()
        applied = 0
        if router.management_mode == "api":
            subscriptions = self._get_router_subscriptions(router)
            desired = self._get_desired(router, subscriptions)
            with router.sudo()._get_client() as client:
                ops = provision.diff(desired, provision.read_actual(client))
                results = provision.apply_ops(client, ops)
            applied += sum(1 for result in results if result.ok)
            for result in results:
                if not result.ok:
                    _logger.warning("Router %s heal: %s", router.display_name, result.detail)
        applied += self.env["isp.router.port.forward"].sudo()._sync_router(router)
        applied += self.env["isp.walled.garden"].sudo()._sync_router(router)
        return applied
