"""Shared set-up of the subscriber portal tests: billing data and portal users."""

from odoo import Command
from odoo.addons.isp_billing.tests.common import IspBillingCommon
from odoo.tests import HttpCase


class IspPortalCommon(IspBillingCommon, HttpCase):
    @classmethod
    def _create_portal_user(cls, partner, login):
        """A portal user of ``partner`` whose password is ``<login>-pw-2026``."""
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": partner.name,
                    "login": login,
                    "password": f"{login}-pw-2026",
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "company_ids": [Command.set(cls.company.ids)],
                    "groups_id": [Command.set([cls.env.ref("base.group_portal").id])],
                }
            )
        )

    def _login(self, user):
        self.authenticate(user.login, f"{user.login}-pw-2026")
