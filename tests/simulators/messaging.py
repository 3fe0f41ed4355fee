"""WhatsApp Cloud API and Telegram Bot API simulator on loopback.

- WhatsApp: ``POST /v<NN.N>/<phone_number_id>/messages`` with ``Authorization: Bearer
  <token>`` and the Cloud API body (``messaging_product``, ``to``, ``type`` template|text)
  -> ``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
  "messages": [{"id": "wamid.N"}]}``; errors ``{"error": {"message", "type", "code",
  "fbtrace_id"}}``: 190 bad token (HTTP 401), 131026 undeliverable (HTTP 400), 130429
  rate limit (HTTP 429). ``push_statuses(url, app_secret)`` posts status webhooks
  (``entry[].changes[].value.statuses[]``) signed ``X-Hub-Signature-256``.
- Telegram: ``POST /bot<token>/sendMessage`` JSON ``{"chat_id", "text"}`` -> ``{"ok": true,
  "result": {"message_id", "chat": {"id"}, "text"}}``; errors ``{"ok": false, "error_code",
  "description"}`` (401 Unauthorized, 400 chat not found, 429 with
  ``parameters.retry_after``).

Recorded messages (``sim.messages``): ``provider`` whatsapp|telegram, ``to``, ``text``
(WhatsApp template: ``template`` name, ``lang``, ``params``), ``id``. Same switches as the
SMS simulator: ``timeout``, ``server_error``, ``rate_limit``, ``rejected_number``,
``rate_limit_per_second``, ``fail_next``.
"""

import hashlib
import hmac
import json
import re
import urllib.request

from .sms_gateway import NotifyHandler, NotifySimulatorBase

WHATSAPP_TOKEN = "sim-wa-token"
WHATSAPP_PHONE_NUMBER_ID = "106540352242922"
TELEGRAM_TOKEN = "123456:sim-telegram-token"
WA_PATH = re.compile(r"^/v\d+\.\d+/(?P<phone_id>[^/]+)/messages$")
TG_PATH = re.compile(r"^/bot(?P<token>[^/]+)/sendMessage$")


class MessagingHandler(NotifyHandler):
    def do_POST(self):
        path = self._path()
        body = self._body()
        match = WA_PATH.match(path)
        if match:
            return self._whatsapp(match["phone_id"], body)
        match = TG_PATH.match(path)
        if match:
            return self._telegram(match["token"], body)
        return self._send(404, {"error": "not found"})

    def _wa_error(self, status, code, message, kind="OAuthException"):
        error = {"message": message, "type": kind, "code": code, "fbtrace_id": "Asim"}
        return self._send(status, {"error": error})

    def _whatsapp(self, phone_id, body):
        sim = self.sim
        gate = sim.gate()
        if gate == "timeout":
            return self._send(504, {"error": {"message": "timeout", "code": 2}})
        if gate == "error":
            return self._wa_error(500, 131000, "Something went wrong")
        if gate == "throttle":
            return self._wa_error(429, 130429, "Rate limit hit", kind="throttle")
        auth = self.headers.get("Authorization") or ""
        if auth != f"Bearer {sim.whatsapp_token}" or phone_id != sim.phone_number_id:
            return self._wa_error(401, 190, "Error validating access token")
        to = body.get("to") or ""
        if body.get("messaging_product") != "whatsapp" or not to:
            return self._wa_error(400, 100, "Invalid parameter")
        if sim.is_rejected(to):
            return self._wa_error(400, 131026, "Message undeliverable")
        message_id = f"wamid.SIM{sim.next_id()}"
        record = {"provider": "whatsapp", "to": to, "id": message_id, "type": body.get("type")}
        if body.get("type") == "template":
            template = body.get("template") or {}
            params = [
                p.get("text")
                for component in template.get("components") or []
                for p in component.get("parameters") or []
            ]
            record.update(
                template=template.get("name"),
                lang=(template.get("language") or {}).get("code"),
                params=params,
                text=" | ".join(params),
            )
        else:
            record["text"] = (body.get("text") or {}).get("body") or ""
        sim.record(**record)
        return self._send(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": message_id}],
            },
        )

    def _tg_error(self, code, description, retry_after=None):
        payload = {"ok": False, "error_code": code, "description": description}
        if retry_after:
            payload["parameters"] = {"retry_after": retry_after}
        return self._send(code, payload)

    def _telegram(self, token, body):
        sim = self.sim
        gate = sim.gate()
        if gate == "timeout":
            return self._tg_error(504, "Gateway Timeout")
        if gate == "error":
            return self._tg_error(500, "Internal Server Error")
        if gate == "throttle":
            return self._tg_error(429, "Too Many Requests: retry after 2", retry_after=2)
        if token != sim.telegram_token:
            return self._tg_error(401, "Unauthorized")
        chat_id = str(body.get("chat_id") or "")
        if not chat_id or sim.is_rejected(chat_id):
            return self._tg_error(400, "Bad Request: chat not found")
        message_id = sim.next_id()
        sim.record(provider="telegram", to=chat_id, text=body.get("text") or "", id=message_id)
        return self._send(
            200,
            {
                "ok": True,
                "result": {
                    "message_id": message_id,
                    "chat": {"id": chat_id},
                    "text": body.get("text") or "",
                },
            },
        )


class MessagingSimulator(NotifySimulatorBase):
    def __init__(
        self,
        whatsapp_token=WHATSAPP_TOKEN,
        phone_number_id=WHATSAPP_PHONE_NUMBER_ID,
        telegram_token=TELEGRAM_TOKEN,
    ):
        self.whatsapp_token = whatsapp_token
        self.phone_number_id = phone_number_id
        self.telegram_token = telegram_token
        super().__init__()

    def _get_handler_class(self):
        return MessagingHandler

    def status_webhook(self, message_id, status="delivered", error=None):
        """A Cloud API status webhook body for one message."""
        item = {"id": message_id, "status": status, "timestamp": "1700000000"}
        if error:
            item["errors"] = [{"code": 131026, "title": error}]
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "WABA",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {"messaging_product": "whatsapp", "statuses": [item]},
                        }
                    ],
                }
            ],
        }

    def push_statuses(self, url, app_secret, status="delivered", timeout=5):
        """POST a signed status webhook of every recorded WhatsApp message to ``url``."""
        answers = []
        for message in [m for m in self.messages if m["provider"] == "whatsapp"]:
            data = json.dumps(self.status_webhook(message["id"], status)).encode()
            signature = hmac.new(app_secret.encode(), data, hashlib.sha256).hexdigest()
            request = urllib.request.Request(
                url,
                data=data,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": f"sha256={signature}",
                },
            )
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answers.append(response.status)
        return answers
