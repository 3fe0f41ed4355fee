"""A local SMTP sink: accepts every e-mail and keeps it, for the tests and the demo.

Speaks the subset of RFC 5321 an SMTP client such as ``smtplib`` or Odoo's outgoing mail
needs, without authentication or TLS: EHLO/HELO, MAIL FROM, RCPT TO, DATA (with the
dot-unstuffing of section 4.5.2), RSET, NOOP, VRFY (252), QUIT. ``smtpd`` is deprecated
(removed in Python 3.12) and aiosmtpd is not a dependency, hence this small server.

Each message is recorded as a ``ReceivedMail`` (envelope sender and recipients, the raw
bytes as received, the parsed subject and Message-ID) in ``sink.messages``; with
``log_path``, also appended to that file as one JSON line (without the raw bytes) so
another process (scripts/demo_notify_check.py) can see what arrived.

    with SmtpSink() as sink:
        smtplib.SMTP("127.0.0.1", sink.port).send_message(message)
        sink.messages[0].subject
"""

import json
import socketserver
import threading
from dataclasses import asdict, dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

from .http_base import LoopbackServer

__all__ = ["ReceivedMail", "SmtpSink"]

HOSTNAME = "smtp-sink.localhost"
MAX_SIZE = 10 * 1024 * 1024
MAX_LINE = 64 * 1024


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_to: list
    raw: bytes = field(repr=False)
    subject: str = ""
    message_id: str = ""

    @property
    def message(self):
        """The parsed message (``email.message.EmailMessage``)."""
        return message_from_bytes(self.raw, policy=policy.default)


def _address(argument, keyword):
    """The address of ``FROM:<a@b> SIZE=10`` (``keyword`` "FROM"), or None."""
    head, _sep, rest = argument.partition(":")
    if head.strip().upper() != keyword:
        return None
    rest = rest.strip()
    if rest.startswith("<"):
        end = rest.find(">")
        return rest[1:end] if end > 0 else None
    return rest.split(" ")[0] or None


class _SmtpHandler(socketserver.StreamRequestHandler):
    sink = None  # set on the subclass made by SmtpSink.start
    timeout = 60

    def reply(self, text):
        self.wfile.write(text.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def reset(self):
        self.mail_from, self.rcpt_to = None, []

    def handle(self):
        self.reset()
        self.reply(f"220 {HOSTNAME} ESMTP sink ready")
        while not self.sink._stopping.is_set():
            line = self.rfile.readline(MAX_LINE + 1)
            if not line:
                return
            if len(line) > MAX_LINE:
                self.reply("500 5.5.2 Line too long")
                return
            verb, _sep, argument = line.decode("utf-8", "replace").strip().partition(" ")
            method = getattr(self, f"smtp_{verb.upper()}", None)
            if method is None:
                self.reply("502 5.5.2 Command not implemented")
            elif method(argument.strip()) is False:
                return

    def smtp_EHLO(self, argument):
        self.reset()
        lines = (HOSTNAME, "8BITMIME", "SMTPUTF8", f"SIZE {MAX_SIZE}")
        for index, line in enumerate(lines):
            self.reply(f"250{' ' if index == len(lines) - 1 else '-'}{line}")

    def smtp_HELO(self, argument):
        self.reset()
        self.reply(f"250 {HOSTNAME}")

    def smtp_NOOP(self, argument):
        self.reply("250 2.0.0 OK")

    def smtp_RSET(self, argument):
        self.reset()
        self.reply("250 2.0.0 OK")

    def smtp_VRFY(self, argument):
        self.reply("252 2.1.5 Cannot verify, will accept")

    def smtp_QUIT(self, argument):
        self.reply("221 2.0.0 Bye")
        return False

    def smtp_MAIL(self, argument):
        address = _address(argument, "FROM")
        if address is None:
            self.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
        elif self.mail_from is not None:
            self.reply("503 5.5.1 Nested MAIL command")
        else:
            self.mail_from = address
            self.reply("250 2.1.0 OK")

    def smtp_RCPT(self, argument):
        address = _address(argument, "TO")
        if self.mail_from is None:
            self.reply("503 5.5.1 MAIL first")
        elif not address:
            self.reply("501 5.5.4 Syntax: RCPT TO:<address>")
        else:
            self.rcpt_to.append(address)
            self.reply("250 2.1.5 OK")

    def smtp_DATA(self, argument):
        if not self.rcpt_to:
            self.reply("503 5.5.1 RCPT first")
            return None
        self.reply("354 End data with <CR><LF>.<CR><LF>")
        lines, size = [], 0
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line:
                return False
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b"."):  # RFC 5321 4.5.2: the client doubled it
                line = line[1:]
            size += len(line)
            lines.append(line)
        if size > MAX_SIZE:
            self.reply("552 5.3.4 Message too big")
        else:
            self.sink._record(self.mail_from, self.rcpt_to, b"".join(lines))
            self.reply("250 2.0.0 OK queued")
        self.reset()
        return None


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False


class SmtpSink(LoopbackServer):
    """The SMTP sink on 127.0.0.1, in a background thread (``start``/``stop``)."""

    handler_attribute = "sink"

    def __init__(self, log_path=None):
        self.log_path = Path(log_path) if log_path else None
        self.messages = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def _record(self, mail_from, rcpt_to, raw):
        message = message_from_bytes(raw, policy=policy.default)
        mail = ReceivedMail(
            mail_from,
            list(rcpt_to),
            raw,
            subject=str(message.get("Subject", "")),
            message_id=str(message.get("Message-ID", "")).strip(),
        )
        with self._lock:
            self.messages.append(mail)
            if self.log_path:
                entry = {k: v for k, v in asdict(mail).items() if k != "raw"}
                entry["size"] = len(raw)
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return mail

    def clear(self):
        with self._lock:
            self.messages.clear()

    def _get_handler_class(self):
        return _SmtpHandler

    def _make_server(self, port, handler):
        return _Server(("127.0.0.1", port), handler)
