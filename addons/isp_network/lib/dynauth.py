"""RADIUS Dynamic Authorization client (RFC 5176): Disconnect and CoA requests.

Pure Python on pyrad's packet classes. :meth:`DynAuthClient.send_many` keeps
many requests in flight on one UDP socket: a socket talks to one NAS, so the
256 RADIUS identifiers are that destination's identifier space; an identifier
is reused only after its request was answered or gave up. A retransmission
resends the same bytes (same identifier and authenticator), so a NAS that
answered late is still matched.
"""

import functools
import os
import select
import socket
import struct
import time
from dataclasses import dataclass, field

from pyrad import dictionary, packet

from .errors import DynAuthError

DISCONNECT = "disconnect"
COA = "coa"

DEFAULT_PORT = 3799
DEFAULT_DICTIONARY = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "dictionary")

# RFC 5176 section 3.5 Error-Cause values we act upon.
ERROR_CAUSE_SESSION_NOT_FOUND = 503
ERROR_CAUSES = {
    201: "Residual Session Context Removed",
    202: "Invalid EAP Packet (Ignored)",
    401: "Unsupported Attribute",
    402: "Missing Attribute",
    403: "NAS Identification Mismatch",
    404: "Invalid Request",
    405: "Unsupported Service",
    406: "Unsupported Extension",
    407: "Invalid Attribute Value",
    501: "Administratively Prohibited",
    502: "Request Not Routable (Proxy)",
    503: "Session Context Not Found",
    504: "Session Context Not Removable",
    505: "Other Proxy Processing Error",
    506: "Resources Unavailable",
    507: "Request Initiated",
    508: "Multiple Session Selection Unsupported",
}

REQUEST_CODES = {DISCONNECT: packet.DisconnectRequest, COA: packet.CoARequest}
ACK_CODES = {packet.DisconnectACK, packet.CoAACK}
NAK_CODES = {packet.DisconnectNAK, packet.CoANAK}
# Attributes that identify a session; a CoA falls back to a Disconnect with these.
SESSION_ATTRIBUTES = ("User-Name", "Acct-Session-Id", "Framed-IP-Address", "NAS-IP-Address")
MAX_IN_FLIGHT = 256


@functools.lru_cache(maxsize=4)
def load_dictionary(path=DEFAULT_DICTIONARY):
    """The pyrad dictionary (cached per path)."""
    return dictionary.Dictionary(path)


@dataclass
class DynAuthRequest:
    """One request: ``kind`` is ``disconnect`` or ``coa``; attributes by name."""

    kind: str
    attributes: dict = field(default_factory=dict)

    def as_disconnect(self):
        return DynAuthRequest(
            DISCONNECT, {k: v for k, v in self.attributes.items() if k in SESSION_ATTRIBUTES}
        )


@dataclass
class Result:
    """The NAS's answer to one request.

    ``ack`` True for an ACK; ``code`` the reply code (None on timeout);
    ``error_cause`` the Error-Cause of a NAK; ``error`` a :class:`DynAuthError`
    when the request timed out or could not be sent.
    """

    ack: bool
    code: int = None
    error_cause: int = None
    error: Exception = None
    attributes: dict = field(default_factory=dict)
    # True when the request could not even be encoded: retrying will not help.
    invalid: bool = False

    @property
    def nak(self):
        return self.code in NAK_CODES

    @property
    def timeout(self):
        return self.code is None and not self.invalid

    @property
    def session_gone(self):
        """A NAK saying the session does not exist (any more): the goal is met."""
        return self.nak and self.error_cause == ERROR_CAUSE_SESSION_NOT_FOUND

    @property
    def message(self):
        if self.ack:
            return "ACK"
        if self.error is not None:
            return str(self.error)
        cause = ERROR_CAUSES.get(self.error_cause, "")
        return f"NAK (Error-Cause {self.error_cause} {cause})".replace("  ", " ").strip()


class DynAuthClient:
    """Sends Disconnect-Request and CoA-Request packets to one NAS.

    >>> client = DynAuthClient("127.0.0.1", 3799, "secret")  # doctest: +SKIP
    >>> client.disconnect({"User-Name": "alice", "Acct-Session-Id": "81a0"})  # doctest: +SKIP
    Result(ack=True, code=41, ...)
    """

    def __init__(
        self,
        host,
        port=DEFAULT_PORT,
        secret="",
        timeout=2.0,
        retries=2,
        dictionary_path=DEFAULT_DICTIONARY,
    ):
        if not host:
            raise DynAuthError("No NAS address to send the request to.")
        if not secret:
            raise DynAuthError(f"No RADIUS secret for NAS {host}.")
        self.host = host
        self.port = int(port or DEFAULT_PORT)
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.timeout = float(timeout)
        self.retries = max(int(retries), 0)
        self.dict = load_dictionary(dictionary_path)
        self._sock = None

    # -- connection ------------------------------------------------------
    def connect(self):
        if self._sock is not None:
            return
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)
            family, socktype, proto, __, address = infos[0]
            sock = socket.socket(family, socktype, proto)
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            sock.connect(address)
        except OSError as error:
            raise DynAuthError(f"Cannot reach NAS {self.host}:{self.port}: {error}") from error
        self._sock = sock

    def close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()

    # -- single requests -------------------------------------------------
    def disconnect(self, attributes):
        """Send one Disconnect-Request; raises :class:`DynAuthError` on timeout."""
        return self._send_one(DynAuthRequest(DISCONNECT, dict(attributes)))

    def coa(self, attributes):
        """Send one CoA-Request; raises :class:`DynAuthError` on timeout."""
        return self._send_one(DynAuthRequest(COA, dict(attributes)))

    def _send_one(self, request):
        result = self.send_many([request])[0]
        if result.timeout:
            raise result.error
        return result

    # -- encoding ----------------------------------------------------------
    def build_packet(self, request, identifier):
        """The pyrad packet of ``request`` with ``identifier``, and its bytes."""
        code = REQUEST_CODES.get(request.kind)
        if code is None:
            raise DynAuthError(f"Unknown dynamic authorization request {request.kind!r}.")
        pkt = packet.CoAPacket(code=code, id=identifier, secret=self.secret, dict=self.dict)
        try:
            for name, value in request.attributes.items():
                if value is None or value is False or value == "":
                    continue
                pkt.AddAttribute(name, value)
            raw = pkt.RequestPacket()
        except (KeyError, ValueError, TypeError, struct.error) as error:
            raise DynAuthError(f"Cannot encode {request.kind} request: {error}") from error
        return pkt, raw

    # -- bulk ----------------------------------------------------------------
    def send_many(self, requests, concurrency=MAX_IN_FLIGHT):
        """Send every request, keeping up to ``concurrency`` in flight.

        Returns one :class:`Result` per request, in order; a request that got
        no valid answer after ``retries`` retransmissions has ``timeout`` True
        and ``error`` a :class:`DynAuthError`. Never raises for one request.
        """
        requests = list(requests)
        results = [None] * len(requests)
        if not requests:
            return results
        own_socket = self._sock is None
        try:
            self.connect()
        except DynAuthError as error:
            return [Result(False, error=error) for __ in requests]
        try:
            self._run(requests, results, max(1, min(int(concurrency), MAX_IN_FLIGHT)))
        finally:
            if own_socket:
                self.close()
        return results

    def _run(self, requests, results, concurrency):
        sock = self._sock
        free_ids = list(range(MAX_IN_FLIGHT))
        in_flight = {}  # identifier -> [index, pkt, raw, deadline, sends]
        next_index = 0
        total = len(requests)
        done = 0
        last_error = None
        while done < total:
            now = time.monotonic()
            while next_index < total and free_ids and len(in_flight) < concurrency:
                identifier = free_ids.pop(0)
                index = next_index
                next_index += 1
                try:
                    pkt, raw = self.build_packet(requests[index], identifier)
                except DynAuthError as error:
                    free_ids.append(identifier)
                    results[index] = Result(False, error=error, invalid=True)
                    done += 1
                    continue
                if not self._send(sock, raw):
                    # Socket buffer full: put it back and read replies first.
                    free_ids.insert(0, identifier)
                    next_index -= 1
                    break
                in_flight[identifier] = [index, pkt, raw, now + self.timeout, 1]
            if not in_flight:
                continue
            wait = max(0.0, min(entry[3] for entry in in_flight.values()) - time.monotonic())
            readable, __, __ = select.select([sock], [], [], wait)
            if readable:
                for data in self._receive_all(sock):
                    if isinstance(data, OSError):
                        last_error = data
                        continue
                    done += self._match_reply(data, in_flight, free_ids, results)
            now = time.monotonic()
            for identifier, entry in list(in_flight.items()):
                index, __, raw, deadline, sends = entry
                if deadline > now:
                    continue
                if sends <= self.retries:
                    self._send(sock, raw)
                    entry[3] = now + self.timeout
                    entry[4] = sends + 1
                    continue
                del in_flight[identifier]
                free_ids.append(identifier)
                reason = f": {last_error}" if last_error else ""
                results[index] = Result(
                    False,
                    error=DynAuthError(
                        f"NAS {self.host}:{self.port} did not answer after {sends} tries{reason}"
                    ),
                )
                done += 1

    @staticmethod
    def _send(sock, raw):
        try:
            sock.send(raw)
        except BlockingIOError:
            return False
        except OSError:
            # ICMP unreachable from an earlier packet; the retry/timeout path reports it.
            return True
        return True

    @staticmethod
    def _receive_all(sock):
        while True:
            try:
                yield sock.recv(4096)
            except BlockingIOError:
                return
            except OSError as error:
                yield error
                return

    def _match_reply(self, data, in_flight, free_ids, results):
        if len(data) < 20:
            return 0
        entry = in_flight.get(data[1])
        if entry is None:
            return 0
        index, pkt, __, __, __ = entry
        try:
            reply = packet.CoAPacket(packet=data, secret=self.secret, dict=self.dict)
        except packet.PacketError:
            return 0
        if reply.code not in ACK_CODES | NAK_CODES or not pkt.VerifyReply(reply, data):
            return 0
        del in_flight[data[1]]
        free_ids.append(data[1])
        results[index] = Result(
            reply.code in ACK_CODES,
            code=reply.code,
            error_cause=_error_cause(reply),
            attributes=_attributes(reply),
        )
        return 1


def _error_cause(reply):
    raw = reply.get(101)
    if not raw or len(raw[0]) != 4:
        return None
    return struct.unpack("!I", raw[0])[0]


def _attributes(reply):
    values = {}
    for key in reply.keys():
        try:
            values[key] = reply[key]
        except (KeyError, ValueError, TypeError, IndexError, struct.error):
            continue
    return values
