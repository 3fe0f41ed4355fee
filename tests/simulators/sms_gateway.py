"""SMS gateway simulator: BulkSMSBD, SSL Wireless SMS Plus v3 and a generic HTTP gateway.

One HTTP server on loopback answers the providers' real endpoints (see
addons/isp_base/lib/notify_clients.py for the formats):

- BulkSMSBD: ``GET|POST /api/smsapi`` (``api_key``, ``type``, ``number``, ``senderid``,
  ``message``) -> ``{"response_code": 202, "message_id": N, "success_message":
  "SMS Submitted Successfully", "error_message": ""}`` or an error code (1001 invalid
  number, 1002 sender id, 1003 missing fields, 1005 internal error, 1007 balance);
  ``GET /api/getBalanceApi?api_key=`` -> ``{"response_code": 202, "balance": X}``.
- SSL Wireless: ``POST /api/v3/send-sms`` JSON (``api_token``, ``sid``, ``msisdn``,
  ``sms``, ``csms_id``) -> ``{"status": "SUCCESS", "status_code": 200, "smsinfo": [...]}``
  or ``{"status": "FAILED", "status_code": 4001|4022|4025|4029, "error_message"}``;
  ``GET /api/v3/dlr-status-check?api_token=&csms_id=`` and ``GET /api/v3/balance-check``.
- Generic: ``GET|POST /generic/send`` (form or JSON: ``api_key``, ``to``, ``text``,
  ``from``, ``ref``) -> ``{"status": "ok", "id": "gen-N"}`` or HTTP 400
  ``{"status": "error", "reason"}``; ``GET /generic/balance?api_key=`` -> ``{"balance": X}``.

Every accepted message is recorded in ``sim.messages`` (dicts: ``provider``, ``to``,
``text``, ``sender``, ``reference``, ``id``). ``deliver_reports(url)`` posts delivery
reports of the recorded generic messages to ``url`` (JSON ``{"message_id", "status"}``).

Switches (attributes; ``reset()`` clears them): ``timeout`` (answers wait
``timeout_delay`` s), ``server_error`` (HTTP 500), ``rate_limit`` (every request is
throttled: HTTP 429 / the provider's own throttle error), ``rejected_number`` (every number
is refused; ``rejected_numbers`` refuses only those), ``rate_limit_per_second`` (> 0:
requests beyond that rate are throttled), ``fail_next`` (that many next sends answer 500).
"""

import collections
import json
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler

from .http_base import LoopbackHttpSimulator

API_KEY = "sim-sms-key"
SENDER = "ISPDEMO"
SWITCHES = ("timeout", "server_error", "rate_limit", "rejected_number")


def digits(number):
    return "".join(ch for ch in str(number or "") if ch.isdigit())


class RateWindow:
    """Requests allowed per second (a one-second sliding window); 0: unlimited."""

    def __init__(self):
        self.lock = threading.Lock()
        self.stamps = collections.deque()

    def allow(self, per_second):
        if not per_second:
            return True
        now = time.monotonic()
        with self.lock:
            stamps = self.stamps
            while stamps and now - stamps[0] >= 1.0:
                stamps.popleft()
            if len(stamps) >= per_second:
                return False
            stamps.append(now)
            return True


class NotifySimulatorBase(LoopbackHttpSimulator):
    """Switches, the message record and the rate window shared by the notify simulators."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.by_reference = {}
        self.requests = 0
        self.balance = 1000.0
        self.timeout_delay = 3.0
        self.rate_limit_per_second = 0
        self.rejected_numbers = set()
        self._window = RateWindow()
        self._seq = 1000
        self.reset()

    def reset(self):
        for switch in SWITCHES:
            setattr(self, switch, False)
        self.fail_next = 0
        self.rejected_numbers = set()
        self.rate_limit_per_second = 0

    def clear(self):
        with self.lock:
            self.messages = []
            self.by_reference = {}
            self.requests = 0

    def next_id(self):
        with self.lock:
            self._seq += 1
            return self._seq

    def record(self, unique_reference=False, **message):
        """Record an accepted message. With ``unique_reference`` (providers refusing a
        reference twice), False and nothing recorded when the reference was accepted
        before: a dict lookup under the lock, O(1) and atomic with the recording."""
        with self.lock:
            reference = message.get("reference")
            if reference:
                if unique_reference and reference in self.by_reference:
                    return False
                self.by_reference[reference] = message
            self.messages.append(message)
            return True

    def is_rejected(self, number):
        if self.rejected_number:
            return True
        return bool(self.rejected_numbers) and digits(number) in {
            digits(n) for n in self.rejected_numbers
        }

    def gate(self):
        """Common switches: None to go on, else ("timeout"|"error"|"throttle")."""
        with self.lock:
            self.requests += 1
            fail = self.fail_next > 0
            if fail:
                self.fail_next -= 1
        if self.timeout:
            self._stopping.wait(self.timeout_delay)
            return "timeout"
        if self.server_error or fail:
            return "error"
        if self.rate_limit or not self._window.allow(self.rate_limit_per_second):
            return "throttle"
        return None


class NotifyHandler(BaseHTTPRequestHandler):
    """Keep-alive (HTTP/1.1) JSON handler."""

    protocol_version = "HTTP/1.1"
    sim = None

    # Headers and body go out in two writes: without this, Nagle + delayed ACK add
    # ~40 ms to every keep-alive answer (http_base sets it on every simulator too).
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        return

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type") or ""
        if "json" in ctype:
            try:
                return json.loads(raw.decode() or "{}")
            except ValueError:
                return {}
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}

    def _query(self):
        query = urllib.parse.urlsplit(self.path).query
        return {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}

    def _path(self):
        return urllib.parse.urlsplit(self.path).path

    def _send(self, status, payload, headers=None):
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
        except OSError:
            self.close_connection = True
            return
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout switch): nothing to answer
            self.close_connection = True


class SmsGatewayHandler(NotifyHandler):
    def do_GET(self):
        self._dispatch(self._query())

    def do_POST(self):
        params = self._query()
        params.update(self._body())
        self._dispatch(params)

    def _dispatch(self, params):
        path = self._path()
        routes = {
            "/api/smsapi": self._bulksmsbd_send,
            "/api/getBalanceApi": self._bulksmsbd_balance,
            "/api/v3/send-sms": self._ssl_send,
            "/api/v3/dlr-status-check": self._ssl_status,
            "/api/v3/balance-check": self._ssl_balance,
            "/generic/send": self._generic_send,
            "/generic/balance": self._generic_balance,
        }
        handler = routes.get(path)
        if not handler:
            return self._send(404, {"error": "not found"})
        return handler(params)

    # BulkSMSBD
    def _bulksmsbd_send(self, params):
        sim = self.sim
        gate = sim.gate()
        if gate == "timeout":
            return self._send(504, {"error": "timeout"})
        if gate == "error":
            return self._send(500, {"error": "Internal Server Error"})
        if gate == "throttle":
            return self._send(429, {"response_code": 429, "error_message": "Too Many Requests"})
        if params.get("api_key") != sim.api_key:
            return self._bulk_error(1011, "User Id not found")
        if not params.get("number") or not params.get("message"):
            return self._bulk_error(1003, "Please provide all required fields")
        if params.get("senderid") != sim.sender:
            return self._bulk_error(1002, "Sender Id not correct/sender id is disabled")
        number = params["number"]
        if sim.is_rejected(number) or not digits(number).startswith("8801"):
            return self._bulk_error(1001, "Invalid Number")
        message_id = sim.next_id()
        sim.record(
            provider="bulksmsbd",
            to=number,
            text=params["message"],
            sender=params["senderid"],
            reference=None,
            id=str(message_id),
        )
        return self._send(
            200,
            {
                "response_code": 202,
                "message_id": message_id,
                "success_message": "SMS Submitted Successfully",
                "error_message": "",
            },
        )

    def _bulk_error(self, code, text):
        return self._send(
            200, {"response_code": code, "success_message": "", "error_message": text}
        )

    def _bulksmsbd_balance(self, params):
        if params.get("api_key") != self.sim.api_key:
            return self._bulk_error(1011, "User Id not found")
        return self._send(200, {"response_code": 202, "balance": self.sim.balance})

    # SSL Wireless
    def _ssl_error(self, code, text, status=200):
        payload = {"status": "FAILED", "status_code": code, "error_message": text}
        return self._send(status, payload)

    def _ssl_send(self, params):
        sim = self.sim
        gate = sim.gate()
        if gate == "timeout":
            return self._send(504, {"error": "timeout"})
        if gate == "error":
            return self._send(500, {"error": "Internal Server Error"})
        if gate == "throttle":
            return self._ssl_error(4029, "Too many requests", status=429)
        if params.get("api_token") != sim.api_key:
            return self._ssl_error(4001, "Unauthorized")
        if params.get("sid") != sim.sender:
            return self._ssl_error(4003, "Invalid SID")
        msisdn = params.get("msisdn") or ""
        if sim.is_rejected(msisdn) or not digits(msisdn).startswith("8801"):
            return self._ssl_error(4022, "Invalid msisdn")
        csms_id = params.get("csms_id")
        reference_id = f"ssl{sim.next_id()}"
        if not sim.record(
            unique_reference=True,
            provider="ssl_wireless",
            to=msisdn,
            text=params.get("sms") or "",
            sender=params.get("sid"),
            reference=csms_id,
            id=reference_id,
        ):
            return self._ssl_error(4025, "Duplicate csms_id")
        is_ascii = all(ord(ch) < 128 for ch in params.get("sms") or "")
        return self._send(
            200,
            {
                "status": "SUCCESS",
                "status_code": 200,
                "error_message": "",
                "smsinfo": [
                    {
                        "sms_status": "SUCCESS",
                        "status_message": "Success",
                        "msisdn": msisdn,
                        "sms_type": "EN" if is_ascii else "BN",
                        "sms_body": params.get("sms"),
                        "csms_id": csms_id,
                        "reference_id": reference_id,
                    }
                ],
            },
        )

    def _ssl_status(self, params):
        sim = self.sim
        if params.get("api_token") != sim.api_key:
            return self._ssl_error(4001, "Unauthorized")
        csms_id = params.get("csms_id")
        found = [sim.by_reference[csms_id]] if csms_id in sim.by_reference else []
        if not found:
            info = {"csms_id": csms_id, "sms_status": "NOT_FOUND", "status_message": "Not found"}
        else:
            status = sim.delivery_status.get(found[0]["id"], "DELIVERED")
            info = {
                "csms_id": csms_id,
                "reference_id": found[0]["id"],
                "sms_status": status,
                "status_message": status.title(),
            }
        return self._send(200, {"status": "SUCCESS", "status_code": 200, "smsinfo": info})

    def _ssl_balance(self, params):
        if params.get("api_token") != self.sim.api_key:
            return self._ssl_error(4001, "Unauthorized")
        balance = f"{self.sim.balance:.2f}"
        return self._send(200, {"status": "SUCCESS", "status_code": 200, "balance": balance})

    # Generic
    def _generic_send(self, params):
        sim = self.sim
        gate = sim.gate()
        if gate == "timeout":
            return self._send(504, {"status": "error", "reason": "timeout"})
        if gate == "error":
            return self._send(500, {"status": "error", "reason": "internal"})
        if gate == "throttle":
            return self._send(429, {"status": "error", "reason": "throttled"}, {"Retry-After": "1"})
        if params.get("api_key") != sim.api_key:
            return self._send(401, {"status": "error", "reason": "bad api key"})
        to = params.get("to") or ""
        if sim.is_rejected(to) or not to:
            return self._send(400, {"status": "error", "reason": "invalid number"})
        message_id = f"gen-{sim.next_id()}"
        sim.record(
            provider="generic",
            to=to,
            text=params.get("text") or "",
            sender=params.get("from"),
            reference=params.get("ref"),
            id=message_id,
        )
        return self._send(200, {"status": "ok", "id": message_id})

    def _generic_balance(self, params):
        if params.get("api_key") != self.sim.api_key:
            return self._send(401, {"status": "error", "reason": "bad api key"})
        return self._send(200, {"balance": self.sim.balance})


class SmsGatewaySimulator(NotifySimulatorBase):
    def __init__(self, api_key=API_KEY, sender=SENDER):
        self.api_key = api_key
        self.sender = sender
        self.delivery_status = {}  # provider id -> DELIVERED / FAILED (default DELIVERED)
        super().__init__()

    def _get_handler_class(self):
        return SmsGatewayHandler

    @property
    def bulksmsbd_url(self):
        return f"{self.root_url}/api"

    @property
    def ssl_url(self):
        return self.root_url

    @property
    def generic_url(self):
        return f"{self.root_url}/generic/send"

    @property
    def generic_balance_url(self):
        return f"{self.root_url}/generic/balance?api_key={{api_key}}"

    def deliver_reports(self, url, status="delivered", timeout=5):
        """POST a delivery report of every recorded generic message to ``url``."""
        answers = []
        for message in [m for m in self.messages if m["provider"] == "generic"]:
            data = json.dumps({"message_id": message["id"], "status": status}).encode()
            request = urllib.request.Request(
                url, data=data, headers={"Content-Type": "application/json"}, method="POST"
            )
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answers.append(response.status)
        return answers
