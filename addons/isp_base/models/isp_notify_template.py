from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib import notify_template, sms_text


class IspNotifyTemplate(models.Model):
    """The text of one notification event, in every language of the subscribers.

    The body is plain text with ``{variable}`` placeholders (see
    :mod:`..lib.notify_template`); the subscriber's language picks the translation.
    """

    _name = "isp.notify.template"
    _description = "ISP Notification Template"
    _inherit = ["mail.thread"]
    _order = "code, company_id, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(
        required=True,
        index=True,
        tracking=True,
        help="The event this template is for (new_connection, invoice_generated...).",
    )
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share the template between companies; a template of the "
        "company wins over a shared one with the same code.",
    )
    active = fields.Boolean(default=True, tracking=True)
    body = fields.Text(
        required=True,
        translate=True,
        help="Plain text with variables such as {name}, {amount}, {due_date}. "
        "Write {{ and }} for a literal brace.",
    )
    subject = fields.Char(translate=True, help="Subject of the e-mail version.")
    whatsapp_template_name = fields.Char(
        string="WhatsApp Template", help="Name of the template approved by Meta."
    )
    whatsapp_param_names = fields.Char(
        string="WhatsApp Parameters",
        help="Comma-separated variables filling the approved template's body parameters, "
        "in order, e.g. name,amount,due_date.",
    )
    variables_help = fields.Text(compute="_compute_variables_help", string="Variables")
    # Preview on a real subscriber
    preview_subscription_id = fields.Many2one(
        "isp.subscription", string="Preview On", ondelete="set null"
    )
    preview_lang = fields.Selection(
        "_get_preview_lang_selection", string="Preview Language", default="en_US"
    )
    preview_body = fields.Text(compute="_compute_preview")
    preview_encoding = fields.Char(compute="_compute_preview")
    preview_length = fields.Integer(compute="_compute_preview")
    preview_segments = fields.Integer(compute="_compute_preview", string="Segments")
    preview_cost = fields.Text(compute="_compute_preview", string="Cost per Gateway")
    preview_error = fields.Char(compute="_compute_preview")

    def init(self):
        # One template per code and company; NULL (shared) counts as one company.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS isp_notify_template_code_company_uniq
               ON isp_notify_template (code, COALESCE(company_id, 0))"""
        )

    @api.model
    def _get_preview_lang_selection(self):
        return self.env["res.lang"].get_installed()

    def _compute_variables_help(self):
        text = "\n".join(
            f"{{{name}}}: {label}" for name, label in notify_template.KNOWN_VARIABLES.items()
        )
        for template in self:
            template.variables_help = text

    @api.depends("body", "preview_subscription_id", "preview_lang")
    @api.depends_context("lang")
    def _compute_preview(self):
        for template in self:
            lang = template.preview_lang or "en_US"
            try:
                body, _subject = template._isp_render_preview(
                    template.preview_subscription_id, lang
                )
                error = False
            except (ValueError, notify_template.TemplateSyntaxError) as exc:
                body, error = "", str(exc)
            counted = sms_text.sms_segments(body)
            template.preview_body = body
            template.preview_error = error
            template.preview_encoding = counted.encoding.upper()
            template.preview_length = counted.length
            template.preview_segments = counted.segments
            template.preview_cost = template._isp_preview_cost_text(counted.segments)

    def _isp_preview_texts(self, lang):
        """``(body, subject)`` of the template in ``lang``; the body being edited when
        ``lang`` is the form's own language."""
        self.ensure_one()
        if lang == (self.env.lang or "en_US") or not self._origin:
            return self.body or "", self.subject or ""
        stored = self._origin.with_context(lang=lang)
        return stored.body or "", stored.subject or ""

    def _isp_render_preview(self, subscription, lang):
        body, subject = self._isp_preview_texts(lang)
        values = {}
        if subscription:
            values = (
                subscription._origin.with_context(lang=lang)
                .sudo()
                ._isp_notify_values(self.code or "")
            )
            values = self.env["isp.notify.dispatcher"]._isp_format_values(values, lang)
        return notify_template.render(body, values), notify_template.render(subject, values)

    def _isp_preview_cost_text(self, segments):
        if "isp.notify.gateway" not in self.env:
            return ""
        gateways = self.env["isp.notify.gateway"].sudo().search([("channel", "=", "sms")])
        lines = []
        for gateway in gateways:
            currency = gateway.company_id.currency_id or self.env.company.currency_id
            lines.append(
                _(
                    "%(gateway)s: %(segments)s x %(rate)s = %(cost)s",
                    gateway=gateway.name,
                    segments=segments,
                    rate=currency.format(gateway.cost_per_segment),
                    cost=currency.format(segments * gateway.cost_per_segment),
                )
            )
        return "\n".join(lines) or _("No SMS gateway is configured.")

    @api.constrains("body", "subject", "whatsapp_param_names")
    def _check_variables(self):
        """Refuse unknown variables in every language: a typo is never sent."""
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        for template in self:
            texts = []
            for lang in langs:
                translated = template.with_context(lang=lang)
                texts += [(lang, translated.body), (lang, translated.subject)]
            for lang, text in texts:
                try:
                    unknown = notify_template.unknown_variables(text)
                except notify_template.TemplateSyntaxError as exc:
                    raise ValidationError(
                        _(
                            "Template %(template)s (%(lang)s): %(error)s",
                            template=template.display_name,
                            lang=lang,
                            error=str(exc),
                        )
                    ) from exc
                if unknown:
                    raise ValidationError(
                        _(
                            "Template %(template)s (%(lang)s) uses unknown variables: "
                            "%(variables)s. Known variables: %(known)s.",
                            template=template.display_name,
                            lang=lang,
                            variables=", ".join(f"{{{name}}}" for name in unknown),
                            known=", ".join(sorted(notify_template.KNOWN_VARIABLES)),
                        )
                    )
            unknown = [
                name
                for name in template._isp_whatsapp_params()
                if name not in notify_template.KNOWN_VARIABLES
            ]
            if unknown:
                raise ValidationError(
                    _(
                        "Template %(template)s: unknown WhatsApp parameters %(variables)s.",
                        template=template.display_name,
                        variables=", ".join(unknown),
                    )
                )

    def _isp_whatsapp_params(self):
        self.ensure_one()
        return [
            name.strip() for name in (self.whatsapp_param_names or "").split(",") if name.strip()
        ]

    @api.model
    def _isp_get(self, code, company=None):
        """The active template of ``code`` for ``company`` (its own before a shared one)."""
        company = company or self.env.company
        return self.search(
            [("code", "=", code), ("company_id", "in", (company.id, False))],
            order="company_id, id",
            limit=1,
        )

    def _isp_render(self, lang, values):
        """``(body, subject)`` rendered in ``lang`` with already formatted ``values``."""
        self.ensure_one()
        translated = self.with_context(lang=lang)
        return (
            notify_template.render(translated.body, values),
            notify_template.render(translated.subject or "", values),
        )
