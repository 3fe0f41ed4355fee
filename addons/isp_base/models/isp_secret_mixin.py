from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import config

from ..lib.secret_box import SecretBox, SecretDecryptError, SecretKeyMissing

CONFIG_KEY = "isp_secret_key"
WRITE_ONLY_HELP = "Type a new value to replace the current one. It is stored encrypted."


def write_only_secret(string, help=WRITE_ONLY_HELP, field_type=fields.Char):
    """A form field for a secret that is typed, never read back.

    What is typed is encrypted into the column ``<field name>_encrypted`` by the
    inheriting model's :class:`IspSecretMixin` (list the field in its
    ``_isp_write_only_secrets``); a blank value leaves the stored secret unchanged.
    """
    return field_type(
        string=string,
        compute="_compute_isp_write_only_secrets",
        inverse="_inverse_isp_write_only_secrets",
        groups="base.group_system",
        help=help,
    )


class IspSecretMixin(models.AbstractModel):
    """One mechanism for every secret of the suite.

    A model stores each secret encrypted in a Char field readable by
    administrators only (``groups="base.group_system"``). The key comes from the
    server configuration (``isp_secret_key``), never from the database, so a
    dump or a copied database does not reveal the secrets.
    """

    _name = "isp.secret.mixin"
    _description = "Encrypted Secrets"

    # Groups allowed to reveal the secrets of the inheriting model.
    _isp_secret_reveal_groups = "base.group_system"
    # Write-only fields (see write_only_secret) of the inheriting model.
    _isp_write_only_secrets = ()

    def _compute_isp_write_only_secrets(self):
        # Write-only: the values are never read back into the form.
        for name in self._isp_write_only_secrets:
            self[name] = False

    def _inverse_isp_write_only_secrets(self):
        """Encrypt each secret typed in the form into its column (blank: unchanged)."""
        for record in self:
            for name in self._isp_write_only_secrets:
                if record[name]:
                    record._isp_set_secret(f"{name}_encrypted", record[name])

    @api.model
    def _isp_secret_box(self):
        try:
            return SecretBox.from_config(config.get(CONFIG_KEY))
        except SecretKeyMissing as exc:
            raise UserError(str(exc)) from exc

    @api.model
    def _isp_encrypt(self, plaintext):
        if not plaintext:
            return False
        return self._isp_secret_box().encrypt(plaintext)

    def _isp_set_secret(self, field_name, plaintext):
        """Encrypt ``plaintext`` into ``field_name`` on every record of ``self``."""
        token = self._isp_encrypt(plaintext)
        self.sudo().write({field_name: token})
        self.env["isp.audit.log"]._log(self, "secret_change", _("%s changed", field_name))

    def _isp_get_secret(self, field_name):
        """Decrypt for system use (the network layer); callers must not display it."""
        self.ensure_one()
        token = self.sudo()[field_name]
        if not token:
            return False
        try:
            return self._isp_secret_box().decrypt(token)
        except SecretDecryptError as exc:
            raise UserError(
                _(
                    "The secret of %(record)s cannot be decrypted: the server's isp_secret_key "
                    "is not the key it was encrypted with.",
                    record=self.display_name,
                )
            ) from exc

    def _isp_check_reveal_access(self):
        groups = self._isp_secret_reveal_groups.split(",")
        if not any(self.env.user.has_group(group.strip()) for group in groups):
            raise AccessError(_("You are not allowed to see this secret."))
        self.check_access("read")

    def _isp_reveal_secret(self, field_name):
        """Decrypt for a person: checked against the allowed groups and audited."""
        self.ensure_one()
        self._isp_check_reveal_access()
        plaintext = self._isp_get_secret(field_name)
        self.env["isp.audit.log"]._log(self, "secret_reveal", _("%s revealed", field_name))
        return plaintext
