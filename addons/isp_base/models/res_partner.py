import secrets

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib.identity import (
    InvalidIdentity,
    normalize_birth_registration,
    normalize_nid,
    normalize_passport,
)
from ..lib.phone import InvalidPhone, normalize_bd_mobile

REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
IDENTITY_NORMALIZERS = {
    "isp_nid": normalize_nid,
    "isp_birth_registration": normalize_birth_registration,
    "isp_passport": normalize_passport,
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    is_isp_subscriber = fields.Boolean(string="ISP Subscriber", index=True, tracking=True)
    isp_customer_code = fields.Char(
        string="Customer Code", readonly=True, copy=False, index=True, tracking=True
    )
    # KYC
    isp_nid = fields.Char(string="NID Number", copy=False, tracking=True)
    isp_birth_registration = fields.Char(
        string="Birth Registration Number", copy=False, tracking=True
    )
    isp_passport = fields.Char(string="Passport Number", copy=False, tracking=True)
    isp_father_name = fields.Char(string="Father's Name", tracking=True)
    isp_mother_name = fields.Char(string="Mother's Name", tracking=True)
    isp_date_of_birth = fields.Date(string="Date of Birth (KYC)", tracking=True)
    isp_signature = fields.Image(string="Signature", max_width=1024, max_height=512)
    isp_kyc_document_ids = fields.One2many("isp.kyc.document", "partner_id", string="KYC Documents")
    isp_kyc_state = fields.Selection(
        [
            ("missing", "No Documents"),
            ("pending", "Pending Verification"),
            ("verified", "Verified"),
            ("rejected", "Rejected"),
        ],
        string="KYC Status",
        compute="_compute_isp_kyc_state",
        store=True,
        tracking=True,
    )
    # Connection address (the BTRC report needs division, district and thana)
    isp_zone_id = fields.Many2one("isp.zone", string="Zone", index=True, tracking=True)
    isp_thana_id = fields.Many2one("isp.thana", string="Thana", tracking=True)
    isp_district_id = fields.Many2one(
        "isp.district",
        string="District",
        compute="_compute_isp_geography",
        store=True,
        readonly=False,
        precompute=True,
    )
    isp_division_id = fields.Many2one(
        "isp.division",
        string="Division",
        compute="_compute_isp_geography",
        store=True,
        readonly=False,
        precompute=True,
    )
    isp_area = fields.Char(string="Area")
    # Referrals
    isp_referral_code = fields.Char(string="Referral Code", readonly=True, copy=False)
    isp_referred_by_id = fields.Many2one(
        "res.partner", string="Referred By", domain=[("is_isp_subscriber", "=", True)]
    )
    # Services
    isp_subscription_ids = fields.One2many("isp.subscription", "partner_id", string="Subscriptions")
    isp_subscription_count = fields.Integer(compute="_compute_isp_subscription_count")

    _sql_constraints = [
        (
            "isp_customer_code_uniq",
            "unique(isp_customer_code)",
            "This customer code is already used by another subscriber.",
        ),
        (
            "isp_referral_code_uniq",
            "unique(isp_referral_code)",
            "This referral code is already used by another subscriber.",
        ),
    ]

    @api.depends("isp_kyc_document_ids.state")
    def _compute_isp_kyc_state(self):
        for partner in self:
            states = set(partner.isp_kyc_document_ids.mapped("state"))
            if not states:
                partner.isp_kyc_state = "missing"
            elif "rejected" in states:
                partner.isp_kyc_state = "rejected"
            elif "pending" in states:
                partner.isp_kyc_state = "pending"
            else:
                partner.isp_kyc_state = "verified"

    @api.depends("isp_thana_id", "isp_zone_id")
    def _compute_isp_geography(self):
        for partner in self:
            thana = partner.isp_thana_id or partner.isp_zone_id.thana_id
            if thana:
                partner.isp_district_id = thana.district_id
                partner.isp_division_id = thana.division_id
            elif partner.isp_zone_id:
                partner.isp_district_id = partner.isp_zone_id.district_id
                partner.isp_division_id = partner.isp_zone_id.division_id

    def _compute_isp_subscription_count(self):
        counts = dict(
            self.env["isp.subscription"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.isp_subscription_count = counts.get(partner, 0)

    @api.constrains("is_isp_subscriber", "mobile", "phone")
    def _check_isp_mobile(self):
        for partner in self.filtered("is_isp_subscriber"):
            if not partner.mobile:
                raise ValidationError(
                    _("Subscriber %s needs a mobile number.", partner.display_name)
                )
            try:
                normalize_bd_mobile(partner.mobile)
            except InvalidPhone as exc:
                raise ValidationError(self._isp_phone_error(partner.mobile)) from exc

    @api.constrains("isp_nid", "isp_birth_registration", "isp_passport")
    def _check_isp_identity(self):
        for partner in self:
            for field_name, normalize in IDENTITY_NORMALIZERS.items():
                if partner[field_name]:
                    try:
                        normalize(partner[field_name])
                    except InvalidIdentity as exc:
                        raise ValidationError(
                            self._isp_identity_error(field_name, partner[field_name])
                        ) from exc

    @api.constrains("isp_date_of_birth")
    def _check_isp_date_of_birth(self):
        today = fields.Date.context_today(self)
        for partner in self.filtered("isp_date_of_birth"):
            if partner.isp_date_of_birth >= today:
                raise ValidationError(
                    _("The date of birth of %s must be in the past.", partner.display_name)
                )

    @api.model
    def _isp_normalize_vals(self, vals, strict_mobile):
        """Normalise mobile numbers and identity numbers before they are stored."""
        vals = dict(vals)
        if vals.get("mobile") and strict_mobile:
            try:
                vals["mobile"] = normalize_bd_mobile(vals["mobile"])
            except InvalidPhone as exc:
                raise ValidationError(self._isp_phone_error(vals["mobile"])) from exc
        for field_name, normalize in IDENTITY_NORMALIZERS.items():
            if vals.get(field_name):
                try:
                    vals[field_name] = normalize(vals[field_name])
                except InvalidIdentity as exc:
                    raise ValidationError(
                        self._isp_identity_error(field_name, vals[field_name])
                    ) from exc
        return vals

    @api.model
    def _isp_phone_error(self, value):
        return _(
            "%s is not a valid Bangladeshi mobile number: use 01XXXXXXXXX or +8801XXXXXXXXX.",
            value,
        )

    @api.model
    def _isp_identity_error(self, field_name, value):
        messages = {
            "isp_nid": _("%s is not a valid NID number: it has 10, 13 or 17 digits."),
            "isp_birth_registration": _(
                "%s is not a valid birth registration number: it has 17 digits."
            ),
            "isp_passport": _(
                "%s is not a valid passport number: one or two letters and seven digits."
            ),
        }
        return messages[field_name] % value

    @api.model
    def _isp_new_referral_code(self):
        return "".join(secrets.choice(REFERRAL_ALPHABET) for _i in range(8))

    @api.model
    def _prepare_isp_subscriber_vals(self, vals_list):
        """Codes new subscribers get; extend to add company-specific numbering."""
        missing = [vals for vals in vals_list if not vals.get("isp_customer_code")]
        codes = self.env["ir.sequence"]._isp_next_values("isp.subscriber", len(missing))
        for vals, code in zip(missing, codes, strict=True):
            vals["isp_customer_code"] = code
        for vals in vals_list:
            if not vals.get("isp_referral_code"):
                vals["isp_referral_code"] = self._isp_new_referral_code()
        return vals_list

    @api.model_create_multi
    def create(self, vals_list):
        default_subscriber = self.env.context.get("default_is_isp_subscriber")
        new_list = []
        subscriber_vals = []
        for vals in vals_list:
            is_subscriber = vals.get("is_isp_subscriber", default_subscriber)
            vals = self._isp_normalize_vals(vals, strict_mobile=is_subscriber)
            if is_subscriber:
                subscriber_vals.append(vals)
            new_list.append(vals)
        self._prepare_isp_subscriber_vals(subscriber_vals)
        return super().create(new_list)

    def write(self, vals):
        strict = vals.get("is_isp_subscriber") or any(self.mapped("is_isp_subscriber"))
        vals = self._isp_normalize_vals(vals, strict_mobile=strict)
        if vals.get("is_isp_subscriber"):
            for partner in self.filtered(lambda p: not p.isp_customer_code):
                codes = partner._prepare_isp_subscriber_vals([{}])[0]
                super(ResPartner, partner).write(codes)
            if "mobile" not in vals:
                # A contact becoming a subscriber keeps its number, in the subscribers' format.
                for partner in self.filtered("mobile"):
                    mobile = self._isp_normalize_vals({"mobile": partner.mobile}, True)["mobile"]
                    if mobile != partner.mobile:
                        super(ResPartner, partner).write({"mobile": mobile})
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_isp_subscriber_managers_only(self):
        if self.env.su or not any(self.mapped("is_isp_subscriber")):
            return
        if not self.env.user.has_group("isp_base.group_isp_manager"):
            raise UserError(_("Only ISP managers can delete subscribers; archive them instead."))

    def action_view_isp_subscriptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_base.action_isp_subscription")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    def action_view_isp_audit_log(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("isp_base.action_isp_audit_log")
        action["domain"] = [
            "|",
            "&",
            ("res_model", "=", "res.partner"),
            ("res_id", "=", self.id),
            "&",
            ("res_model", "=", "isp.subscription"),
            ("res_id", "in", self.isp_subscription_ids.ids),
        ]
        return action
