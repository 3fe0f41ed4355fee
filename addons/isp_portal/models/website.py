from odoo import api, models, tools


class Website(models.Model):
    _inherit = "website"

    @api.model
    @tools.ormcache("website_id")
    def _isp_portal_get_layout_values(self, website_id):
        """What the subscriber app pages read of their website, the same for every
        subscriber: cached in the registry (``website.write`` and
        ``ir.config_parameter`` writes clear it)."""
        website = self.sudo().browse(website_id)
        return tools.frozendict(
            {
                "name": website.name,
                "base_url": website.get_base_url(),
                "favicon_url": website.image_url(website, "favicon"),
                "cdn_activated": website.cdn_activated,
                "cookies_bar": website.cookies_bar,
                "blocks_third_party": bool(
                    website.cookies_bar and website.block_third_party_domains
                ),
            }
        )
