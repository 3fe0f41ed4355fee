import json
import smtplib
import socket
from email.message import EmailMessage

import pytest
from simulators.smtp_sink import SmtpSink

SUBJECT = "বিল তৈরি হয়েছে: INV/2026/00042"
BODY = (
    "প্রিয় রহিম উদ্দিন,\n"
    "আপনার ইন্টারনেট বিল ৳ ১,০৫০.০০, শেষ তারিখ ১০ ডিসেম্বর।\n"
    ".a line starting with a dot\n"
    "..and one with two\n"
    ".\n"
    "ধন্যবাদ\n"
)


@pytest.fixture
def sink(tmp_path):
    with SmtpSink(log_path=tmp_path / "sink.jsonl") as sink:
        yield sink


def _bangla_message():
    message = EmailMessage()
    message["From"] = "ঢাকা ফাইবার <billing@dhakafiber.example>"
    message["To"] = "rahim@example.com"
    message["Subject"] = SUBJECT
    message["Message-ID"] = "<42.bill@dhakafiber.example>"
    message.set_content(BODY, charset="utf-8", cte="8bit")
    return message


def test_bangla_email_arrives_intact(sink):
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as client:
        refused = client.send_message(
            _bangla_message(), to_addrs=["rahim@example.com", "karim@example.com"]
        )
    assert refused == {}
    [mail] = sink.messages
    assert mail.mail_from == "billing@dhakafiber.example"
    assert mail.rcpt_to == ["rahim@example.com", "karim@example.com"]
    assert mail.subject == SUBJECT
    assert mail.message_id == "<42.bill@dhakafiber.example>"
    received = mail.message
    assert received["From"].addresses[0].display_name == "ঢাকা ফাইবার"
    # dot-unstuffing restores the lines starting with a dot; on the wire lines end in CRLF
    assert received.get_content().replace("\r\n", "\n") == BODY
    assert BODY.encode().replace(b"\n", b"\r\n") in mail.raw
    entry = json.loads(sink.log_path.read_text(encoding="utf-8"))
    assert entry["subject"] == SUBJECT
    assert entry["rcpt_to"] == ["rahim@example.com", "karim@example.com"]
    assert entry["size"] == len(mail.raw)


def test_base64_and_several_messages_on_one_connection(sink):
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as client:
        for number in range(3):
            message = _bangla_message()
            message.replace_header("Message-ID", f"<{number}@dhakafiber.example>")
            message.set_content(BODY, charset="utf-8")  # base64
            client.send_message(message)
    assert [m.message_id for m in sink.messages] == [f"<{n}@dhakafiber.example>" for n in range(3)]
    assert all(m.message.get_content() == BODY for m in sink.messages)


def _dialogue(sink, lines):
    """The server's reply codes to ``lines`` sent one by one."""
    with socket.create_connection(("127.0.0.1", sink.port), timeout=5) as sock:
        reader = sock.makefile("rb")

        def reply():
            code = None
            while True:
                line = reader.readline()
                code = line[:3].decode()
                if line[3:4] != b"-":
                    return code

        codes = [reply()]
        for line in lines:
            sock.sendall(line.encode() + b"\r\n")
            codes.append(reply())
        return codes


def test_protocol_errors_rset_noop_helo(sink):
    codes = _dialogue(
        sink,
        [
            "HELO client",
            "RCPT TO:<a@example.com>",  # before MAIL
            "MAIL FROM:<s@example.com> SIZE=100",
            "MAIL FROM:<t@example.com>",  # nested
            "RCPT TO:<a@example.com>",
            "RSET",
            "DATA",  # the transaction was reset
            "NOOP",
            "BOGUS",
            "MAIL TO:<x@example.com>",
            "QUIT",
        ],
    )
    assert codes == ["220", "250", "503", "250", "503", "250", "250", "503", "250", "502"] + [
        "501",
        "221",
    ]
    assert sink.messages == []
