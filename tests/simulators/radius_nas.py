"""A test NAS answering RADIUS Disconnect and CoA requests (RFC 5176) on loopback.

It is a pyrad ``Server(coa_enabled=True)`` in a thread: every request is
verified (Request Authenticator), recorded with its decoded attributes and
answered with an ACK, or a NAK carrying an Error-Cause. Like a real NAS it
can send an Accounting-Request Stop for a session it disconnected, so the
``radacct`` row of the session gets closed by FreeRADIUS.

    with TestNas("secret") as nas:
        client = DynAuthClient("127.0.0.1", nas.port, "secret")
        client.disconnect({"User-Name": "alice", "Acct-Session-Id": "81000001"})
        assert nas.disconnects[0]["User-Name"] == ["alice"]
"""

import os
import select
import socket
import threading
import time

from pyrad import dictionary, packet, server
from pyrad.client import Client

DICTIONARY_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "addons",
    "isp_network",
    "data",
    "dictionary",
)

ERROR_CAUSE_ADMINISTRATIVELY_PROHIBITED = 501
ERROR_CAUSE_SESSION_NOT_FOUND = 503
ERROR_CAUSE_UNSUPPORTED_ATTRIBUTE = 401


class TestNas(server.Server):
    """Records every Disconnect/CoA request and answers it.

    :param secret: shared secret with the client (str or bytes)
    :param port: UDP port, 0 for a free one (read ``.port`` after ``start()``)
    :param nak_coa: answer CoA-Requests with a CoA-NAK (Error-Cause 501 by default)
    :param nak_disconnect: answer Disconnect-Requests with a Disconnect-NAK
    :param silent: record but never answer (a NAS that is down or filtered)
    :param acct_target: ``(host, port, secret)`` of a RADIUS accounting server;
        an acknowledged Disconnect sends it an Accounting-Request Stop
    :param sessions: optional set of known ``Acct-Session-Id``; when given, a
        Disconnect for another session is NAKed with Error-Cause 503
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        secret,
        port=0,
        nak_coa=False,
        nak_disconnect=False,
        silent=False,
        acct_target=None,
        sessions=None,
        nak_error_cause=ERROR_CAUSE_ADMINISTRATIVELY_PROHIBITED,
        address="127.0.0.1",
    ):
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.nas_dict = dictionary.Dictionary(DICTIONARY_PATH)
        super().__init__(
            addresses=[],
            coaport=port,
            hosts={"0.0.0.0": server.RemoteHost("0.0.0.0", self.secret, "test-client")},
            dict=self.nas_dict,
            auth_enabled=False,
            acct_enabled=False,
            coa_enabled=True,
        )
        self.address = address
        self.nak_coa = nak_coa
        self.nak_disconnect = nak_disconnect
        self.silent = silent
        self.acct_target = acct_target
        self.sessions = set(sessions) if sessions is not None else None
        self.nak_error_cause = nak_error_cause
        self.requests = []  # (code, attributes) of every request, in order received
        self.raw_packets = []  # bytes of every request, same order
        # Optional callable(code, attributes) run before a request is answered.
        self.on_request = None
        self.callback_errors = []
        self.accounting_sent = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._sock = None
        self.port = None

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 * 1024 * 1024)
        sock.bind((self.address, self.coaport or 0))
        sock.setblocking(False)
        self._sock = sock
        self.coafds = [sock]
        self.port = sock.getsockname()[1]
        self.coaport = self.port
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._serve, name=f"TestNas:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None
        if self._sock:
            self._sock.close()
            self._sock = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _serve(self):
        self._realcoafds = [self._sock.fileno()]
        self._realauthfds = []
        self._realacctfds = []
        while not self._stop.is_set():
            readable, __, __ = select.select([self._sock], [], [], 0.1)
            if not readable:
                continue
            # Drain everything queued before going back to select.
            while True:
                try:
                    data, source = self._sock.recvfrom(4096)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    return
                self._handle_datagram(data, source)

    def _handle_datagram(self, data, source):
        try:
            pkt = self.CreateCoAPacket(packet=data)
        except packet.PacketError:
            return
        pkt.source = source
        pkt.fd = self._sock
        try:
            self._HandleCoaPacket(pkt)
        except (server.ServerPacketError, packet.PacketError):
            return

    # -- handlers ------------------------------------------------------------
    def _record(self, pkt):
        attributes = {}
        for key in pkt.keys():
            try:
                attributes[key if isinstance(key, str) else str(key)] = pkt[key]
            except (KeyError, ValueError, IndexError, TypeError):
                continue
        with self._lock:
            self.requests.append((pkt.code, attributes))
            self.raw_packets.append(pkt.raw_packet)
        if self.on_request is not None:
            try:
                self.on_request(pkt.code, attributes)
            except Exception as error:
                self.callback_errors.append(error)
        return attributes

    def HandleCoaPacket(self, pkt):
        self._record(pkt)
        if self.silent:
            return
        reply = self.CreateReplyPacket(pkt)
        if self.nak_coa:
            reply.code = packet.CoANAK
            reply["Error-Cause"] = self.nak_error_cause
        self.SendReplyPacket(pkt.fd, reply)

    def HandleDisconnectPacket(self, pkt):
        attributes = self._record(pkt)
        if self.silent:
            return
        reply = self.CreateReplyPacket(pkt)
        session_id = (attributes.get("Acct-Session-Id") or [None])[0]
        if self.nak_disconnect:
            reply.code = packet.DisconnectNAK
            reply["Error-Cause"] = self.nak_error_cause
        elif self.sessions is not None and session_id not in self.sessions:
            reply.code = packet.DisconnectNAK
            reply["Error-Cause"] = ERROR_CAUSE_SESSION_NOT_FOUND
        self.SendReplyPacket(pkt.fd, reply)
        if reply.code == packet.DisconnectACK:
            if self.sessions is not None:
                self.sessions.discard(session_id)
            if self.acct_target:
                self._send_accounting_stop(attributes)

    def _send_accounting_stop(self, attributes):
        host, port, secret = self.acct_target
        client = Client(
            server=host,
            acctport=port,
            secret=secret.encode() if isinstance(secret, str) else secret,
            dict=self.nas_dict,
        )
        client.timeout = 2
        client.retries = 2
        request = client.CreateAcctPacket()
        request["Acct-Status-Type"] = "Stop"
        request["User-Name"] = attributes.get("User-Name", [""])[0]
        request["Acct-Session-Id"] = attributes.get("Acct-Session-Id", [""])[0]
        request["NAS-IP-Address"] = self.address
        request["Acct-Terminate-Cause"] = "Admin-Reset"
        request["Acct-Session-Time"] = 60
        request["Event-Timestamp"] = int(time.time())
        if attributes.get("Framed-IP-Address"):
            request["Framed-IP-Address"] = attributes["Framed-IP-Address"][0]
        try:
            client.SendPacket(request)
        except Exception as error:
            with self._lock:
                self.accounting_sent.append(("error", str(error)))
            return
        with self._lock:
            self.accounting_sent.append(("stop", request["Acct-Session-Id"][0]))

    # -- what was received -------------------------------------------------
    def _of_code(self, code):
        with self._lock:
            return [attributes for pkt_code, attributes in self.requests if pkt_code == code]

    @property
    def disconnects(self):
        """Attributes of every Disconnect-Request received (values are lists)."""
        return self._of_code(packet.DisconnectRequest)

    @property
    def coas(self):
        """Attributes of every CoA-Request received (values are lists)."""
        return self._of_code(packet.CoARequest)

    def clear(self):
        with self._lock:
            self.requests.clear()
            self.raw_packets.clear()
            self.accounting_sent.clear()

    def wait_for(self, count, timeout=10.0, kind="disconnect"):
        """Wait until ``count`` requests of ``kind`` arrived; returns how many did."""
        deadline = time.monotonic() + timeout
        getter = {"disconnect": lambda: self.disconnects, "coa": lambda: self.coas}[kind]
        while time.monotonic() < deadline:
            received = len(getter())
            if received >= count:
                return received
            time.sleep(0.01)
        return len(getter())
