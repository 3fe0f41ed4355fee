from odoo import api, models

from ..lib import vouchers


class IspVoucherCardReport(models.AbstractModel):
    """The printable sheet of voucher cards; decrypts the PINs for ISP staff only."""

    _name = "report.isp_billing.report_isp_voucher_card"
    _description = "ISP Voucher Card Sheet"

    @api.model
    def _get_report_values(self, docids, data=None):
        cards = self.env["isp.voucher.card"].browse(docids)
        pins = cards._get_printable_pins()
        Card = self.env["isp.voucher.card"]
        lines = []
        for card in cards:
            pin = pins[card.id]
            lines.append(
                {
                    "card": card,
                    "pin": vouchers.format_pin(pin),
                    "qr": Card._qr_png_base64(card._qr_content(pin)).decode("ascii"),
                }
            )
        return {
            "doc_ids": cards.ids,
            "doc_model": "isp.voucher.card",
            "docs": cards,
            "lines": lines,
            "company": cards.company_id[:1] or self.env.company,
        }
