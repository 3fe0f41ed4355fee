from collections import defaultdict

from odoo import _, api, models
from odoo.exceptions import AccessError

DEMO_REF_LIKE = "DEMO-%"


class IspDemoGenerator(models.AbstractModel):
    _inherit = "isp.demo.generator"

    @api.model
    def generate_network(self, router_ids, static_pool_id, ipv6_pool_id, dual_stack=20):
        """Put the demo subscriptions on the demo routers and pools.

        Each demo zone is served by one router (round robin); a subscription takes the
        router's dynamic pool, or the static pool when it has a static IPv4. The first
        ``dual_stack`` active PPPoE subscriptions get a delegated IPv6 prefix too.
        Subscriptions that already have a router are left alone, so a rerun changes
        nothing. Nothing is pushed to the routers: the demo routers may not exist.
        """
        if not self.env.is_admin():
            raise AccessError(_("Only administrators can generate demo data."))
        env = (
            self.sudo()
            .with_context(tracking_disable=True, mail_notrack=True, isp_network_skip_enqueue=True)
            .env
        )
        routers = env["isp.router"].browse(router_ids)
        static_pool = env["isp.ip.pool"].browse(static_pool_id)
        ipv6_pool = env["isp.ip.pool"].browse(ipv6_pool_id)
        dynamic_pools = env["isp.ip.pool"].search(
            [
                ("router_id", "in", routers.ids),
                ("ip_version", "=", "4"),
                ("purpose", "=", "dynamic"),
            ]
        )
        pool_by_router = {pool.router_id: pool for pool in dynamic_pools}
        subscriptions = env["isp.subscription"].search(
            [("partner_id.ref", "=like", DEMO_REF_LIKE)], order="id"
        )
        router_by_zone = {
            zone: routers[index % len(routers)]
            for index, zone in enumerate(subscriptions.zone_id.sorted("id"))
        }
        batches = defaultdict(list)
        for subscription in subscriptions.filtered(lambda s: not s.router_id):
            router = router_by_zone.get(subscription.zone_id, routers[0])
            pool = static_pool if subscription.ipv4_address else pool_by_router.get(router)
            batches[router, pool].append(subscription.id)
        for (router, pool), ids in batches.items():
            env["isp.subscription"].browse(ids).write(
                {"router_id": router.id, "ip_pool_id": pool.id if pool else False}
            )
        candidates = subscriptions.filtered(
            lambda s: s.state == "active" and s.connection_type == "pppoe"
        )
        missing = max(dual_stack - len(candidates.filtered("ipv6_prefix")), 0)
        todo = candidates.filtered(lambda s: not s.ipv6_prefix)[:missing]
        if todo:
            prefixes = ipv6_pool._allocate(count=len(todo))
            for subscription, prefix in zip(todo, prefixes, strict=True):
                subscription.write({"ipv6_prefix": prefix, "ipv6_pool_id": ipv6_pool.id})
        return len(subscriptions)
