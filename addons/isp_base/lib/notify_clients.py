"""HTTP clients of the notification channels: SMS gateways, WhatsApp Cloud API, Telegram.

Every client takes an optional ``requests.Session`` (the drain passes one per run so all
messages of a drain share keep-alive connections), a ``timeout`` in seconds, and answers
``send()`` with a :class:`NotifyResult`; nothing raises on a provider's or network error.
``transient`` results (timeout, connection error, HTTP 5xx / 429, a provider's throttle
or internal error) are worth a retry; the others are final (rejected number, bad
credentials, 4xx). A rate-limit answer (HTTP 429, SSL Wireless 4029, WhatsApp's rate
codes, Telegram 429) is also ``throttled``: the sender slows down and tries the message
again shortly, without counting it as a failed attempt.

Provider formats (from the providers' published API documents):

BulkSMSBD (``bulksmsbd``), base ``https://bulksmsbd.net/api``
    send:    GET or POST ``/smsapi`` with ``api_key``, ``type=text``, ``number`` (8801XXXXXXXXX,
             comma separated for several), ``senderid``, ``message`` (UTF-8; Bangla as is)
    answer:  ``{"response_code": 202, "message_id": 59432678,
             "success_message": "SMS Submitted Successfully", "error_message": ""}``
    errors:  same JSON with ``response_code`` 1001 invalid number, 1002 sender id not correct
             or disabled, 1003 required fields missing, 1005 internal error, 1006 balance
             validity not available, 1007 balance insufficient, 1011 user id not found,
             1012 masking SMS must be sent in Bengali, 1013/1015 sender id has no gateway for
             this API key, 1014/1016/1017 sender type/price not found, 1018 account disabled,
             1019 sender type price disabled, 1020-1025 parent account problems,
             1026-1030 not whitelisted or wrong type, 1031 account not verified,
             1032 IP not whitelisted
    balance: GET ``/getBalanceApi?api_key=`` -> ``{"response_code": 202, "balance": 123.45}``
    There is no client reference and no status lookup.

SSL Wireless SMS Plus v3 (``ssl_wireless``), base ``https://smsplus.sslwireless.com``
    send:    POST ``/api/v3/send-sms`` JSON ``{"api_token", "sid", "msisdn": "8801...",
             "sms", "csms_id"}`` (``csms_id``: our unique reference, so a message whose
             outcome we lost can be looked up)
    answer:  ``{"status": "SUCCESS", "status_code": 200, "error_message": "",
             "smsinfo": [{"sms_status": "SUCCESS", "status_message": "Success",
             "msisdn": "8801...", "sms_type": "EN"|"BN", "sms_body": "...",
             "csms_id": "...", "reference_id": "5da2f0b5ba3a2248110"}]}``
    errors:  ``{"status": "FAILED", "status_code": 4001, "error_message": "Unauthorized"}``;
             codes 4001 unauthorized, 4003 IP blacklisted, 4022 invalid msisdn,
             4025 duplicate csms_id, 4029 too many requests, 5000 internal error
    status:  GET ``/api/v3/dlr-status-check?api_token=&csms_id=`` -> ``{"status": "SUCCESS",
             "smsinfo": {"csms_id", "reference_id", "sms_status": "DELIVERED"|"SENT"|
             "PENDING"|"FAILED"|"NOT_FOUND", "status_message"}}``
    balance: GET ``/api/v3/balance-check?api_token=`` -> ``{"status": "SUCCESS",
             "balance": "123.45"}``

Generic HTTP: URL, GET/POST (form or JSON), one ``name=value`` parameter a line with the
placeholders ``{to}`` ``{message}`` ``{sender}`` ``{api_key}`` ``{reference}``, a success
regex on the answer body, an optional regex whose first group is the provider's message
id, an optional balance URL (same placeholders) and regex.

WhatsApp Cloud API: POST ``{base}/v21.0/{phone_number_id}/messages``, ``Authorization:
Bearer <token>``, a template message (name, language ``bn``/``en``, body parameters) or a
text; answer ``{"messages": [{"id": "wamid..."}]}``; errors ``{"error": {"message",
"type", "code"}}`` (131026 undeliverable, 130429 / 131048 / 131056 rate limits, 190 token
expired). Status webhooks carry ``entry[].changes[].value.statuses[]``.

Telegram Bot API: POST ``{base}/bot{token}/sendMessage`` JSON ``{"chat_id", "text"}``;
answer ``{"ok": true, "result": {"message_id": 12}}`` or ``{"ok": false,
"error_code": 429, "description": "...", "parameters": {"retry_after": 5}}``.
"""

import json
import re
from dataclasses import dataclass
from urllib.parse import quote

import requests

DEFAULT_TIMEOUT = 10


@dataclass
class NotifyResult:
    ok: bool
    message_id: str | None = None
    error: str | None = None
    transient: bool = False
    retry_after: int | None = None
    status: str | None = None  # provider's own status word, for lookups
    # The provider said "too many requests" (HTTP 429 / its own rate-limit code): not a
    # failure of the message, the sender must slow down and try it again shortly.
    throttled: bool = False

    @classmethod
    def success(cls, message_id=None, status=None):
        return cls(True, message_id=str(message_id) if message_id else None, status=status)

    @classmethod
    def failure(cls, error, transient=False, retry_after=None, status=None):
        return cls(False, error=error, transient=transient, retry_after=retry_after, status=status)

    @classmethod
    def throttle(cls, error, retry_after=None, status=None):
        """The provider's rate limit answered: transient, and not a failed attempt."""
        return cls(
            False,
            error=error,
            transient=True,
            retry_after=retry_after,
            status=status,
            throttled=True,
        )


@dataclass
class BalanceResult:
    ok: bool
    balance: float | None = None
    error: str | None = None


@dataclass
class DeliveryReport:
    message_id: str
    delivered: bool
    failed: bool
    error: str | None = None


def bd_msisdn(number):
    """``+8801712345678`` / ``01712345678`` -> ``8801712345678`` (what BD gateways take)."""
    digits = re.sub(r"\D", "", number or "")
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("01") and len(digits) == 11:
        digits = "88" + digits
    return digits


def _retry_after(response):
    try:
        return int(response.headers.get("Retry-After") or 0) or None
    except ValueError:
        return None


class NotifyClient:
    """Base class: one HTTP call with a timeout, network errors turned into results."""

    supports_lookup = False
    supports_balance = False

    def __init__(self, session=None, timeout=DEFAULT_TIMEOUT):
        self.session = session or requests.Session()
        self.timeout = timeout or DEFAULT_TIMEOUT

    def _call(self, method, url, **kwargs):
        """(response, None) or (None, NotifyResult failure) for a network error."""
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            return None, NotifyResult.failure("Timeout", transient=True)
        except requests.RequestException as exc:
            return None, NotifyResult.failure(f"Connection error: {exc}", transient=True)
        return response, None

    @staticmethod
    def _http_failure(response):
        """A failure for an HTTP error status (None when the status is 2xx)."""
        if response.status_code == 429:
            return NotifyResult.throttle(
                "HTTP 429 Too Many Requests", retry_after=_retry_after(response)
            )
        if response.status_code >= 500:
            return NotifyResult.failure(f"HTTP {response.status_code}", transient=True)
        if response.status_code >= 400:
            return NotifyResult.failure(f"HTTP {response.status_code}: {response.text[:200]}")
        return None

    @staticmethod
    def _json(response):
        try:
            return response.json()
        except ValueError:
            return None

    def send(self, to, text, reference=None, **kwargs):
        raise NotImplementedError

    def balance(self):
        return BalanceResult(False, error="This provider has no balance query.")

    def lookup(self, reference):
        """Outcome of the message sent with our ``reference`` (providers that can)."""
        return NotifyResult.failure("This provider cannot look a message up.")

    @classmethod
    def parse_delivery_reports(cls, payload):
        """Delivery reports pushed by the provider -> list of DeliveryReport."""
        return []


# ---------------------------------------------------------------------- BulkSMSBD

BULKSMSBD_TRANSIENT = {1005, 1007}  # internal error, balance insufficient (top up, retry)


class BulkSmsBdClient(NotifyClient):
    supports_balance = True

    def __init__(self, base_url, api_key, sender, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.sender = sender

    def send(self, to, text, reference=None, **kwargs):
        data = {
            "api_key": self.api_key,
            "type": "text",
            "number": bd_msisdn(to),
            "senderid": self.sender,
            "message": text,
        }
        response, error = self._call("POST", f"{self.base_url}/smsapi", data=data)
        if error:
            return error
        failure = self._http_failure(response)
        if failure:
            return failure
        body = self._json(response)
        if not isinstance(body, dict):
            return NotifyResult.failure(f"Unreadable answer: {response.text[:200]}", True)
        code = body.get("response_code")
        if code == 202:
            return NotifyResult.success(body.get("message_id"))
        reason = body.get("error_message") or body.get("success_message") or "Rejected"
        return NotifyResult.failure(
            f"{code}: {reason}", transient=code in BULKSMSBD_TRANSIENT, status=str(code)
        )

    def balance(self):
        response, error = self._call(
            "GET", f"{self.base_url}/getBalanceApi", params={"api_key": self.api_key}
        )
        if error:
            return BalanceResult(False, error=error.error)
        body = self._json(response) or {}
        if response.status_code != 200 or body.get("response_code") != 202:
            return BalanceResult(False, error=body.get("error_message") or response.text[:200])
        return BalanceResult(True, balance=float(body.get("balance") or 0))


# ---------------------------------------------------------------------- SSL Wireless

SSL_TRANSIENT = {4029, 5000}
SSL_THROTTLE = {4029}  # too many requests


class SslWirelessClient(NotifyClient):
    supports_balance = True
    supports_lookup = True

    def __init__(self, base_url, api_token, sid, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.api_token = api_token
        self.sid = sid

    def send(self, to, text, reference=None, **kwargs):
        payload = {
            "api_token": self.api_token,
            "sid": self.sid,
            "msisdn": bd_msisdn(to),
            "sms": text,
            "csms_id": reference,
        }
        response, error = self._call("POST", f"{self.base_url}/api/v3/send-sms", json=payload)
        if error:
            return error
        body = self._json(response)
        if response.status_code == 429 or response.status_code >= 500 or body is None:
            return self._http_failure(response) or NotifyResult.failure(
                f"Unreadable answer: {response.text[:200]}", transient=True
            )
        code = body.get("status_code")
        info = (body.get("smsinfo") or [{}])[0]
        if body.get("status") == "SUCCESS" and info.get("sms_status", "SUCCESS") == "SUCCESS":
            return NotifyResult.success(info.get("reference_id"))
        reason = body.get("error_message") or info.get("status_message") or "Rejected"
        if code == 4025:  # duplicate csms_id: it was accepted before (a retried request)
            return self.lookup(reference)
        if code in SSL_THROTTLE:
            return NotifyResult.throttle(f"{code}: {reason}", status=str(code))
        return NotifyResult.failure(
            f"{code}: {reason}", transient=code in SSL_TRANSIENT, status=str(code)
        )

    def lookup(self, reference):
        response, error = self._call(
            "GET",
            f"{self.base_url}/api/v3/dlr-status-check",
            params={"api_token": self.api_token, "csms_id": reference},
        )
        if error:
            return error
        failure = self._http_failure(response)
        if failure:
            return failure
        body = self._json(response) or {}
        info = body.get("smsinfo") or {}
        status = info.get("sms_status") or "NOT_FOUND"
        if status in ("DELIVERED", "SENT", "PENDING", "SUCCESS"):
            return NotifyResult.success(info.get("reference_id"), status=status)
        return NotifyResult.failure(info.get("status_message") or status, status=status)

    def balance(self):
        response, error = self._call(
            "GET", f"{self.base_url}/api/v3/balance-check", params={"api_token": self.api_token}
        )
        if error:
            return BalanceResult(False, error=error.error)
        body = self._json(response) or {}
        if response.status_code != 200 or body.get("status") != "SUCCESS":
            return BalanceResult(False, error=body.get("error_message") or response.text[:200])
        return BalanceResult(True, balance=float(body.get("balance") or 0))


# ---------------------------------------------------------------------- generic HTTP


def parse_parameter_template(template):
    """``name=value`` lines -> list of (name, value); blank and ``#`` lines skipped."""
    pairs = []
    for line in (template or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        pairs.append((name.strip(), value.strip()))
    return pairs


def fill_placeholders(value, values):
    """Replace ``{to}`` ``{message}`` ... in ``value``; other braces are left alone."""
    for key, replacement in values.items():
        value = value.replace("{" + key + "}", replacement or "")
    return value


class GenericHttpClient(NotifyClient):
    def __init__(
        self,
        url,
        method="POST",
        body_format="form",
        parameter_template="",
        success_regex="",
        message_id_regex="",
        balance_url="",
        balance_regex="",
        api_key="",
        sender="",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.url = url
        self.method = (method or "POST").upper()
        self.body_format = body_format or "form"
        self.parameters = parse_parameter_template(parameter_template)
        self.success_regex = success_regex
        self.message_id_regex = message_id_regex
        self.balance_url = balance_url
        self.balance_regex = balance_regex
        self.api_key = api_key or ""
        self.sender = sender or ""

    @property
    def supports_balance(self):
        return bool(self.balance_url)

    def _values(self, to="", text="", reference=""):
        return {
            "to": bd_msisdn(to) if to and to.startswith("+880") else (to or ""),
            "message": text or "",
            "sender": self.sender,
            "api_key": self.api_key,
            "reference": reference or "",
        }

    def send(self, to, text, reference=None, **kwargs):
        values = self._values(to, text, reference)
        params = {name: fill_placeholders(value, values) for name, value in self.parameters}
        if self.method == "GET":
            response, error = self._call("GET", self.url, params=params)
        elif self.body_format == "json":
            response, error = self._call("POST", self.url, json=params)
        else:
            response, error = self._call("POST", self.url, data=params)
        if error:
            return error
        failure = self._http_failure(response)
        if failure:
            return failure
        text_answer = response.text
        if self.success_regex and not re.search(self.success_regex, text_answer):
            return NotifyResult.failure(f"Rejected: {text_answer[:200]}")
        message_id = None
        if self.message_id_regex:
            match = re.search(self.message_id_regex, text_answer)
            if match:
                message_id = match.group(1) if match.groups() else match.group(0)
        return NotifyResult.success(message_id)

    def balance(self):
        if not self.balance_url:
            return super().balance()
        url = fill_placeholders(self.balance_url, {k: quote(v) for k, v in self._values().items()})
        response, error = self._call("GET", url)
        if error:
            return BalanceResult(False, error=error.error)
        if response.status_code != 200:
            return BalanceResult(False, error=f"HTTP {response.status_code}")
        match = re.search(self.balance_regex or r"([0-9]+(?:\.[0-9]+)?)", response.text)
        if not match:
            return BalanceResult(False, error=f"No balance in: {response.text[:200]}")
        return BalanceResult(True, balance=float(match.group(1) if match.groups() else match[0]))

    @classmethod
    def parse_delivery_reports(cls, payload):
        """Generic push: ``message_id`` (or ``id``) and ``status`` (delivered/failed...)."""
        items = payload if isinstance(payload, list) else [payload or {}]
        reports = []
        for item in items:
            message_id = str(item.get("message_id") or item.get("id") or "")
            status = str(item.get("status") or "").lower()
            if not message_id or not status:
                continue
            delivered = status in ("delivered", "deliverd", "success", "delivrd")
            failed = status in ("failed", "undelivered", "rejected", "expired", "undeliv")
            if delivered or failed:
                reports.append(
                    DeliveryReport(message_id, delivered, failed, item.get("error") or None)
                )
        return reports


# ---------------------------------------------------------------------- WhatsApp

WHATSAPP_RATE_LIMIT_CODES = {4, 80007, 130429, 131048, 131056}
WHATSAPP_API_VERSION = "v21.0"


class WhatsAppCloudClient(NotifyClient):
    def __init__(self, base_url, access_token, phone_number_id, **kwargs):
        super().__init__(**kwargs)
        self.base_url = (base_url or "https://graph.facebook.com").rstrip("/")
        self.access_token = access_token
        self.phone_number_id = phone_number_id

    def _payload(self, to, text, template_name=None, lang="en", params=None):
        payload = {"messaging_product": "whatsapp", "to": re.sub(r"\D", "", to or "")}
        if template_name:
            template = {"name": template_name, "language": {"code": lang or "en"}}
            if params:
                template["components"] = [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": str(p)} for p in params],
                    }
                ]
            payload.update(type="template", template=template)
        else:
            payload.update(type="text", text={"body": text})
        return payload

    def send(self, to, text, reference=None, template_name=None, lang="en", params=None, **kw):
        url = f"{self.base_url}/{WHATSAPP_API_VERSION}/{self.phone_number_id}/messages"
        response, error = self._call(
            "POST",
            url,
            json=self._payload(to, text, template_name, lang, params),
            headers={"Authorization": f"Bearer {self.access_token}"},
        )
        if error:
            return error
        body = self._json(response) or {}
        if response.status_code == 200 and body.get("messages"):
            return NotifyResult.success(body["messages"][0].get("id"))
        err = body.get("error") or {}
        code = err.get("code")
        if code in WHATSAPP_RATE_LIMIT_CODES or response.status_code == 429:
            return NotifyResult.throttle(
                f"{code}: {err.get('message') or 'rate limit'}",
                retry_after=_retry_after(response),
            )
        if response.status_code >= 500:
            return NotifyResult.failure(f"HTTP {response.status_code}", transient=True)
        return NotifyResult.failure(
            f"{code}: {err.get('message') or response.text[:200]}", status=str(code)
        )

    @classmethod
    def parse_delivery_reports(cls, payload):
        reports = []
        for entry in (payload or {}).get("entry") or []:
            for change in entry.get("changes") or []:
                for status in (change.get("value") or {}).get("statuses") or []:
                    word = status.get("status")
                    if word not in ("delivered", "read", "failed"):
                        continue
                    errors = status.get("errors") or [{}]
                    reports.append(
                        DeliveryReport(
                            str(status.get("id")),
                            delivered=word in ("delivered", "read"),
                            failed=word == "failed",
                            error=errors[0].get("title") or errors[0].get("message"),
                        )
                    )
        return reports


# ---------------------------------------------------------------------- Telegram


class TelegramBotClient(NotifyClient):
    def __init__(self, base_url, bot_token, **kwargs):
        super().__init__(**kwargs)
        self.base_url = (base_url or "https://api.telegram.org").rstrip("/")
        self.bot_token = bot_token

    def send(self, to, text, reference=None, **kwargs):
        url = f"{self.base_url}/bot{self.bot_token}/sendMessage"
        response, error = self._call("POST", url, json={"chat_id": to, "text": text})
        if error:
            return error
        body = self._json(response) or {}
        if body.get("ok"):
            return NotifyResult.success((body.get("result") or {}).get("message_id"))
        code = body.get("error_code") or response.status_code
        reason = f"{code}: {body.get('description') or response.text[:200]}"
        if code == 429:
            retry_after = (body.get("parameters") or {}).get("retry_after")
            return NotifyResult.throttle(reason, retry_after=retry_after)
        if response.status_code >= 500:
            return NotifyResult.failure(reason, transient=True)
        return NotifyResult.failure(reason, status=str(code))

    def balance(self):
        return BalanceResult(False, error="Telegram has no balance.")


def json_dumps(value):
    return json.dumps(value, ensure_ascii=False)
