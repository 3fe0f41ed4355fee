from odoo import models

PLAIN_ATTRIBUTES_KEY = "isp_plain_attributes"


class IrQWeb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _get_template_cache_keys(self):
        # templates compiled for a plain-attributes render are kept apart
        return [*super()._get_template_cache_keys(), PLAIN_ATTRIBUTES_KEY]

    def _post_processing_att(self, tagName, atts):
        """For a subscriber app page on a website where website's processing of the
        dynamic attributes could only make images load lazily (one frontend language,
        no URL rewrite, no CDN, no third-party blocking; the connection controller
        checks it), only that: the same HTML without a URL look-up per link."""
        if not self.env.context.get(PLAIN_ATTRIBUTES_KEY) or atts.get("data-no-post-process"):
            return super()._post_processing_att(tagName, atts)
        if tagName == "img" and "loading" not in atts:
            atts["loading"] = "lazy"
        return atts
