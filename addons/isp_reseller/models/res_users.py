from lxml import etree

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError

KIND_GROUPS = {
    "reseller": "isp_reseller.group_isp_reseller",
    "sub_reseller": "isp_reseller.group_isp_sub_reseller",
    "card_partner": "isp_reseller.group_isp_card_partner",
}


class ResUsers(models.Model):
    _inherit = "res.users"

    isp_reseller_id = fields.Many2one(
        "isp.reseller",
        string="Works for Reseller",
        index="btree_not_null",
        help="The reseller panel this user works in; record rules confine the user to "
        "that reseller's subtree.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        users.filtered("isp_reseller_id")._isp_apply_reseller_group()
        return users

    def write(self, vals):
        res = super().write(vals)
        if "isp_reseller_id" in vals:
            self.filtered("isp_reseller_id")._isp_apply_reseller_group()
            (self - self.filtered("isp_reseller_id"))._isp_apply_reseller_permission_groups()
            # the reseller record rules read user.isp_reseller_id: cached per user
            self.env.registry.clear_cache()
        return res

    def _isp_apply_reseller_group(self):
        """Give each user the role of its reseller's kind."""
        for kind, xmlid in KIND_GROUPS.items():
            users = self.filtered(lambda u, kind=kind: u.isp_reseller_id.kind == kind)
            if users:
                users.sudo().write({"groups_id": [Command.link(self.env.ref(xmlid).id)]})
        self._isp_apply_reseller_permission_groups()

    def _isp_get_reseller_permission_groups(self):
        """{permission: its technical group} (``group_isp_reseller_perm_<permission>``)."""
        groups = {}
        for name in self.env["isp.reseller"]._fields:
            if name.startswith("perm_"):
                group = self.env.ref(
                    f"isp_reseller.group_isp_reseller_{name}", raise_if_not_found=False
                )
                if group:
                    groups[name] = group
        return groups

    def _isp_apply_reseller_permission_groups(self):
        """Give each user the groups of its reseller's permissions, take the others away.

        The groups only show or hide menus and buttons: the ORM checks the permission.
        """
        for field_name, group in self._isp_get_reseller_permission_groups().items():
            allowed = self.filtered(
                lambda user, field_name=field_name: user.sudo().isp_reseller_id[field_name]
            )
            if allowed:
                allowed.sudo().write({"groups_id": [Command.link(group.id)]})
            if self - allowed:
                (self - allowed).sudo().write({"groups_id": [Command.unlink(group.id)]})

    def _isp_panel_hides_create(self, permission):
        """True for a reseller user whose reseller lacks ``permission``: its panel
        views show no create button (the ORM refuses the creation anyway)."""
        self.ensure_one()
        return bool(self.isp_reseller_id) and not self.has_group(
            f"isp_reseller.group_isp_reseller_perm_{permission}"
        )

    def _isp_panel_restrict_view(self, result, view_type, permission, attributes=("create",)):
        """Turn off ``attributes`` (create, edit) of a list/kanban/form view in the
        ``get_view`` ``result`` when :meth:`_isp_panel_hides_create` says so."""
        if view_type in ("list", "kanban", "form") and self._isp_panel_hides_create(permission):
            arch = etree.fromstring(result["arch"])
            for attribute in attributes:
                arch.set(attribute, "false")
            result["arch"] = etree.tostring(arch, encoding="unicode")
        return result

    def _isp_check_reseller_permission(self, permission):
        """Refuse what the user's reseller is not allowed (``perm_<permission>``).

        ``env.user`` is a superuser record: callers skip the check in sudo mode.
        """
        self.ensure_one()
        if not self.isp_reseller_id:
            return
        reseller = self.sudo().isp_reseller_id
        field_name = "perm_" + permission
        if not reseller[field_name]:
            description = reseller._fields[field_name].get_description(self.env)["string"]
            raise AccessError(
                _(
                    "%(reseller)s is not allowed to %(permission)s.",
                    reseller=reseller.display_name,
                    permission=description,
                )
            )

    def _isp_check_reseller_scope(self, reseller_ids):
        """Refuse a reseller user pointing records at resellers outside its subtree.

        Record rules check a write against the records as they were; this checks
        where the write puts them. Callers skip the check in sudo mode.
        """
        self.ensure_one()
        reseller_ids = {rid for rid in reseller_ids if rid}
        if not self.isp_reseller_id or not reseller_ids:
            return
        in_scope = (
            self.env["isp.reseller"]
            .sudo()
            .search_count(
                [("id", "child_of", self.isp_reseller_id.ids), ("id", "in", list(reseller_ids))]
            )
        )
        if in_scope != len(reseller_ids):
            raise AccessError(_("You may only work with resellers of your own network."))
