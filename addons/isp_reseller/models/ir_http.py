from odoo import models
from odoo.http import request


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    def session_info(self):
        """Tell the web client who is working as the user (login as), for its banner."""
        info = super().session_info()
        manager_id = request.session.get("isp_impersonator_uid") if request else None
        if manager_id:
            manager = self.env["res.users"].sudo().browse(manager_id).exists()
            info["isp_impersonator"] = {"id": manager.id, "name": manager.name}
        return info
