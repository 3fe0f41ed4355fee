import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..lib.demo_data import DemoIsp

_logger = logging.getLogger(__name__)

DEMO_REF_PREFIX = "DEMO-"


class IspDemoGenerator(models.AbstractModel):
    """Create a realistic Dhaka ISP (zones, packages, subscribers) from :class:`DemoIsp`.

    Deterministic for a seed and count, creates in batches, and skips what a
    previous run already created, so it can be run again or resumed after a crash.
    The subscriptions are written in the state the data describes: this is seed
    data about the past, not a sequence of lifecycle events.
    """

    _name = "isp.demo.generator"
    _description = "ISP Demo Data Generator"

    @api.model
    def _get_demo_isp(self, seed, today=None):
        """The generator for ``seed``, dated ``today`` (default: today in the ISP's timezone).

        The same seed, count and date always give the same ISP.
        """
        today = fields.Date.to_date(today) if today else self.env["isp.subscription"]._isp_today()
        return DemoIsp(seed=seed, today=today)

    @api.model
    def _ensure_zones(self, demo):
        zone_model = self.env["isp.zone"]
        existing = {zone.code: zone for zone in zone_model.search([])}
        thanas = {
            thana["name"].lower(): thana["id"]
            for thana in self.env["isp.thana"].search_read(
                [("district_id.name", "=", "Dhaka")], ["name"]
            )
        }
        vals_list = [
            {
                "code": zone["code"],
                "name": zone["name"],
                "thana_id": thanas.get(zone["thana"].lower(), False),
                "area_names": "\n".join(zone["areas"]),
            }
            for zone in demo.zones()
            if zone["code"] not in existing
        ]
        for zone in zone_model.create(vals_list):
            existing[zone.code] = zone
        return existing

    @api.model
    def _prepare_package_vals(self, package):
        return {
            "name": package["name"],
            "default_code": package["code"],
            "is_isp_package": True,
            "type": "service",
            "sale_ok": True,
            "purchase_ok": False,
            "list_price": package["price"],
            "isp_connection_type": package["connection_type"],
            "isp_download_mbps": package["download_mbps"],
            "isp_upload_mbps": package["upload_mbps"],
            "isp_burst_download_mbps": package["burst_download_mbps"],
            "isp_burst_upload_mbps": package["burst_upload_mbps"],
            "isp_burst_threshold_pct": package["burst_threshold_pct"] or 80,
            "isp_burst_time_s": package["burst_time_s"] or 16,
            "isp_validity_days": package["validity_days"],
            "isp_quota_gb": package["quota_gb"],
            "isp_router_profile": package["router_profile"],
        }

    @api.model
    def _ensure_packages(self, demo):
        product_model = self.env["product.product"]
        existing = {
            product.default_code: product
            for product in product_model.search([("is_isp_package", "=", True)])
        }
        missing = [package for package in demo.packages() if package["code"] not in existing]
        templates = self.env["product.template"].create(
            [self._prepare_package_vals(package) for package in missing]
        )
        for template in templates:
            existing[template.default_code] = template.product_variant_id
        return existing

    @api.model
    def _prepare_partner_vals(self, subscriber, zones):
        return {
            "name": subscriber["name"],
            "ref": subscriber["ref"],
            "is_isp_subscriber": True,
            "mobile": subscriber["mobile"],
            "email": subscriber["email"] or False,
            "isp_nid": subscriber["nid"],
            "isp_father_name": subscriber["father_name"],
            "isp_mother_name": subscriber["mother_name"],
            "isp_date_of_birth": subscriber["date_of_birth"],
            "isp_zone_id": zones[subscriber["zone"]].id,
            "isp_area": subscriber["area"],
            "street": subscriber["street"],
            "city": "Dhaka",
            "country_id": self.env.ref("base.bd").id,
            **self._isp_demo_lang_vals(subscriber),
        }

    # ---- notifications: the subscriber's language
    @api.model
    def _isp_demo_lang_vals(self, subscriber):
        """The subscriber's language when it is installed: Bangla or English (set either
        way: a database created with Bangla makes Bangla everyone's default)."""
        lang = "bn_IN" if subscriber.get("lang") == "bn" else "en_US"
        if lang not in dict(self.env["res.lang"].get_installed()):
            return {}
        return {"lang": lang}

    @api.model
    def _prepare_subscription_vals(self, subscription, partner, packages):
        subscription_model = self.env["isp.subscription"]
        expiry = subscription["expiry_date"]
        return {
            "partner_id": partner.id,
            "package_id": packages[subscription["package"]].id,
            "connection_type": subscription["connection_type"],
            "username": subscription["username"],
            "password": subscription["password"],
            "mac_address": subscription["mac_address"] or False,
            "ipv4_address": subscription["ipv4_address"] or False,
            "state": subscription["state"],
            "activation_date": subscription["activation_date"] or False,
            "expiry_at": subscription_model._date_to_expiry_instant(expiry) if expiry else False,
        }

    @api.model
    def generate(self, subscribers=300, seed=2024, batch_size=1000, today=None, commit=False):
        """Create the demo ISP; return the number of subscribers created by this call."""
        if not self.env.is_admin():
            raise AccessError(_("Only administrators can generate demo data."))
        demo = self._get_demo_isp(seed, today)
        env = (
            self.sudo()
            .with_context(
                tracking_disable=True,
                mail_create_nolog=True,
                mail_notrack=True,
                isp_state_change=True,
            )
            .env
        )
        zones = env["isp.demo.generator"]._ensure_zones(demo)
        packages = env["isp.demo.generator"]._ensure_packages(demo)
        self.env.cr.execute(
            "SELECT ref FROM res_partner WHERE ref LIKE %s", (DEMO_REF_PREFIX + "%",)
        )
        done_refs = {row[0] for row in self.env.cr.fetchall()}
        created = 0
        batch = []
        for subscriber in demo.subscribers(subscribers):
            if subscriber["ref"] in done_refs:
                continue
            batch.append(subscriber)
            if len(batch) >= batch_size:
                created += env["isp.demo.generator"]._create_batch(batch, zones, packages)
                batch = []
                if commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                _logger.info("Demo ISP: %s subscribers created", created)
        if batch:
            created += env["isp.demo.generator"]._create_batch(batch, zones, packages)
        return created

    @api.model
    def _create_batch(self, batch, zones, packages):
        partners = self.env["res.partner"].create(
            [self._prepare_partner_vals(subscriber, zones) for subscriber in batch]
        )
        vals_list = [
            self._prepare_subscription_vals(subscription, partner, packages)
            for subscriber, partner in zip(batch, partners, strict=True)
            for subscription in subscriber["subscriptions"]
        ]
        self.env["isp.subscription"].create(vals_list)
        return len(partners)
