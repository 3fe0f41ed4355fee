from odoo import _, http
from odoo.addons.isp_base.lib.phone import normalize_bd_mobile
from odoo.http import request

from ..lib import paybill


class IspPaybillApi(http.Controller):
    """Public pay-bill lookup for biller integrations: amount due of a subscriber."""

    def _get_error_messages(self):
        return {
            "invalid_key": _("The API key is unknown or revoked."),
            "api_disabled": _("The pay-bill API is turned off."),
            "ip_not_allowed": _("This API key may not be used from your IP address."),
            "rate_limited": _("Too many requests with this API key; retry later."),
            "missing_query": _("Give the subscriber's phone or username."),
            "ambiguous_query": _("Give either phone or username, not both."),
            "invalid_phone": _("The phone must be a Bangladeshi mobile number like 01XXXXXXXXX."),
            "invalid_username": _("The username is malformed."),
            "not_found": _("No subscriber matches this phone or username."),
        }

    def _error_response(self, error):
        message = self._get_error_messages().get(error.code, error.message)
        body = {"error": {"code": error.code, "message": message}}
        headers = [("Cache-Control", "no-store"), *error.headers.items()]
        return request.make_json_response(body, headers=headers, status=error.status)

    def _get_remote_address(self):
        return request.httprequest.remote_addr

    def _paybill_answer(self, api_key, params):
        Key = request.env["isp.paybill.key"].sudo()
        key = Key._paybill_authenticate(api_key)
        if not key:
            raise paybill.PaybillError(401, "invalid_key", "Invalid key.")
        if not key.company_id.isp_paybill_api_enabled:
            raise paybill.PaybillError(403, "api_disabled", "API disabled.")
        if not key._paybill_ip_allowed(self._get_remote_address()):
            raise paybill.PaybillError(403, "ip_not_allowed", "IP not allowed.")
        allowed, retry_after = key._paybill_hit()
        if not allowed:
            raise paybill.PaybillError(
                429, "rate_limited", "Rate limited.", headers={"Retry-After": str(retry_after)}
            )
        kind, value = paybill.parse_query(params, normalize_bd_mobile)
        results = key._paybill_lookup(kind, value)
        if not results:
            raise paybill.PaybillError(404, "not_found", "Not found.")
        return {"query": {kind: value}, "count": len(results), "subscriptions": results}

    @http.route(
        "/api/paybill/v1/<string:api_key>",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def paybill_lookup(self, api_key, **params):
        try:
            body = self._paybill_answer(api_key, params)
        except paybill.PaybillError as error:
            return self._error_response(error)
        return request.make_json_response(body, headers=[("Cache-Control", "no-store")])
