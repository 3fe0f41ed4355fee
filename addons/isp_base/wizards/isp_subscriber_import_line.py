from odoo import fields, models


class IspSubscriberImportLine(models.TransientModel):
    _name = "isp.subscriber.import.line"
    _description = "Subscriber Import Row"
    _order = "row"

    wizard_id = fields.Many2one("isp.subscriber.import", required=True, ondelete="cascade")
    row = fields.Integer(required=True)
    status = fields.Selection(
        [("valid", "Valid"), ("invalid", "Error"), ("imported", "Imported")], required=True
    )
    name = fields.Char()
    username = fields.Char()
    message = fields.Text()
    payload = fields.Json(help="The validated, normalised row.")
