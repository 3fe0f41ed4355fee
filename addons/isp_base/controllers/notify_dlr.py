import hashlib
import hmac
import json
import logging

from odoo import http
from odoo.http import request

from ..models.isp_notify_gateway import NOTIFY_CLIENT_CLASSES

_logger = logging.getLogger(__name__)


class IspNotifyDeliveryReport(http.Controller):
    """Delivery reports pushed by the providers: ``/isp/notify/dlr/<gateway id>``.

    WhatsApp Cloud API: the GET handshake answers ``hub.challenge`` when ``hub.verify_token``
    is the gateway's delivery report token; status webhooks are signed
    ``X-Hub-Signature-256`` with the app secret. Other providers call the URL with
    ``?token=<delivery report token>`` and a JSON or form body.
    """

    def _isp_gateway(self, gateway_id):
        gateway = request.env["isp.notify.gateway"].sudo().browse(gateway_id).exists()
        return gateway if gateway and gateway.active else None

    @http.route(
        "/isp/notify/dlr/<int:gateway_id>", type="http", auth="public", methods=["GET"], csrf=False
    )
    def isp_notify_dlr_verify(self, gateway_id, **params):
        gateway = self._isp_gateway(gateway_id)
        token = params.get("hub.verify_token") or ""
        if (
            gateway
            and gateway.dlr_token
            and params.get("hub.mode") == "subscribe"
            and hmac.compare_digest(token, gateway.dlr_token)
        ):
            return request.make_response(params.get("hub.challenge") or "")
        return request.make_response("Forbidden", status=403)

    @http.route(
        "/isp/notify/dlr/<int:gateway_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
    )
    def isp_notify_dlr(self, gateway_id, **params):
        gateway = self._isp_gateway(gateway_id)
        if not gateway:
            return request.make_response("Not found", status=404)
        raw = request.httprequest.get_data()
        if not self._isp_check_signature(gateway, raw, params):
            return request.make_response("Forbidden", status=403)
        try:
            payload = json.loads(raw.decode() or "{}") if raw[:1] in (b"{", b"[") else params
        except ValueError:
            return request.make_response("Bad request", status=400)
        client_class = NOTIFY_CLIENT_CLASSES.get(gateway.provider)
        reports = client_class.parse_delivery_reports(payload) if client_class else []
        changed = (
            request.env["isp.notify.message"].sudo()._isp_apply_delivery_reports(gateway, reports)
        )
        return request.make_response(
            json.dumps({"ok": True, "updated": changed}),
            headers=[("Content-Type", "application/json")],
        )

    def _isp_check_signature(self, gateway, raw, params):
        if gateway.provider == "whatsapp_cloud":
            secret = gateway._isp_get_secret("api_secret_encrypted") or ""
            header = request.httprequest.headers.get("X-Hub-Signature-256") or ""
            expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
            return bool(secret) and hmac.compare_digest(header, expected)
        token = params.get("token") or request.httprequest.args.get("token") or ""
        return bool(gateway.dlr_token) and hmac.compare_digest(token, gateway.dlr_token)
