from odoo import api, models, tools

# What the subscriber's home shows of a package (the same for every subscriber).
PORTAL_PACKAGE_FIELDS = frozenset({"name", "isp_download_mbps", "isp_upload_mbps"})


class ProductTemplate(models.Model):
    _inherit = "product.template"

    @api.model
    @tools.ormcache("product_id", "lang")
    def _isp_portal_get_package_info(self, product_id, lang):
        """Name and speeds of the package ``product_id`` (a ``product.product``) in
        ``lang``: cached in the registry, cleared when any of them is written."""
        package = (
            self.env["product.product"]
            .sudo()
            .with_context(lang=lang, prefetch_fields=False)
            .browse(product_id)
            .exists()
        )
        return tools.frozendict(
            name=package.name or "",
            download_mbps=package.isp_download_mbps,
            upload_mbps=package.isp_upload_mbps,
        )

    def write(self, vals):
        result = super().write(vals)
        if not PORTAL_PACKAGE_FIELDS.isdisjoint(vals):
            self.env.registry.clear_cache()
        return result

    def _update_field_translations(self, field_name, translations, digest=None, source_lang=None):
        result = super()._update_field_translations(
            field_name, translations, digest=digest, source_lang=source_lang
        )
        if field_name in PORTAL_PACKAGE_FIELDS:
            self.env.registry.clear_cache()
        return result
