"""RADIUS load generator of the benchmarks: many PAP Access-Requests in flight over UDP.

Packets are encoded with pyrad before the clock starts (User-Password hidden with the
shared secret, a random Request Authenticator per packet, and a Message-Authenticator as
current NAS send it); at send time only the Identifier byte is set and the
Message-Authenticator (HMAC-MD5 over the packet, which covers the Identifier) recomputed.
Several sockets (source ports) each keep up to 255 requests in flight, so the server sees
`concurrency` outstanding requests at any time. Per-request latency is send-to-answer.
"""

import asyncio
import collections
import hashlib
import hmac
import os
import time
from dataclasses import dataclass, field

from pyrad import packet as rad_packet
from pyrad.client import Client
from pyrad.dictionary import Dictionary

ACCESS_ACCEPT = 2
ACCESS_REJECT = 3


@dataclass
class LoadResult:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    lost: int = 0
    seconds: float = 0.0
    latencies: list = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return (self.accepted + self.rejected) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, pct) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    def merge(self, other):
        self.sent += other.sent
        self.accepted += other.accepted
        self.rejected += other.rejected
        self.lost += other.lost
        self.seconds += other.seconds
        self.latencies.extend(other.latencies)
        return self


def encode_requests(credentials, secret, dictionary_path, nas_ip="127.0.0.1"):
    """Raw Access-Request bytes for each (username, password[, calling station id])."""
    client = Client(
        server="127.0.0.1", secret=secret.encode(), dict=Dictionary(str(dictionary_path))
    )
    raws = []
    for username, password, *station in credentials:
        request = client.CreateAuthPacket(code=rad_packet.AccessRequest, User_Name=username)
        request.id = 0
        request.authenticator = os.urandom(16)
        request["User-Password"] = request.PwCrypt(password)
        request["NAS-IP-Address"] = nas_ip
        request["NAS-Port-Type"] = "Ethernet"
        request["Service-Type"] = "Framed-User"
        if station and station[0]:
            # The subscriber's MAC, as a PPPoE server reports it (MAC binding).
            request["Calling-Station-Id"] = station[0]
        raw = bytearray(request.RequestPacket())
        if _ma_offset(raw) is None:
            raise ValueError("pyrad did not add a Message-Authenticator")
        raws.append(raw)
    return raws


def _ma_offset(raw):
    """Offset of the Message-Authenticator's value in a raw packet, or None."""
    pos = 20
    while pos + 2 <= len(raw):
        if raw[pos] == 80 and raw[pos + 1] == 18:
            return pos + 2
        pos += max(raw[pos + 1], 2)
    return None


def stamp(raw, identifier, secret: bytes):
    """Set the Identifier and recompute the Message-Authenticator in place."""
    raw[1] = identifier
    offset = _ma_offset(raw)
    raw[offset : offset + 16] = bytes(16)
    raw[offset : offset + 16] = hmac.new(secret, bytes(raw), hashlib.md5).digest()
    return raw


class _Flow(asyncio.DatagramProtocol):
    """One socket: sends from a shared queue, at most `window` requests outstanding."""

    def __init__(self, runner, window):
        self.runner = runner
        self.window = window
        # Identifiers are reused oldest first: FreeRADIUS drops a packet that reuses the
        # (port, id) of a request it is still finishing ("conflicting packet").
        self.free_ids = collections.deque(range(256))
        self.pending = {}  # id -> (sent_at, index)
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.fill()

    def fill(self):
        runner = self.runner
        while (
            len(self.pending) < self.window
            and self.free_ids
            and runner.next_index < len(runner.raws)
        ):
            index = runner.next_index
            runner.next_index += 1
            identifier = self.free_ids.popleft()
            raw = stamp(runner.raws[index], identifier, runner.secret)
            self.pending[identifier] = (time.perf_counter(), index)
            self.transport.sendto(bytes(raw))
            runner.result.sent += 1

    def datagram_received(self, data, addr):
        if len(data) < 20:
            return
        entry = self.pending.pop(data[1], None)
        if entry is None:
            return
        self.runner.result.latencies.append(time.perf_counter() - entry[0])
        if data[0] == ACCESS_ACCEPT:
            self.runner.result.accepted += 1
        else:
            self.runner.result.rejected += 1
        self.free_ids.append(data[1])
        self.runner.answered()
        self.fill()

    def expire(self, timeout):
        now = time.perf_counter()
        for identifier, (sent_at, _index) in list(self.pending.items()):
            if now - sent_at > timeout:
                del self.pending[identifier]
                # The id is not reused: a late answer to it must not count for another.
                self.runner.result.lost += 1
                self.runner.answered()
        self.fill()


class _Runner:
    def __init__(self, raws, secret):
        self.raws = raws
        self.secret = secret
        self.next_index = 0
        self.done_count = 0
        self.result = LoadResult()
        self.finished = None

    def answered(self):
        self.done_count += 1
        if self.done_count >= len(self.raws) and not self.finished.done():
            self.finished.set_result(True)


async def _run(host, port, raws, secret, concurrency, sockets, timeout):
    loop = asyncio.get_running_loop()
    runner = _Runner(raws, secret.encode() if isinstance(secret, str) else secret)
    runner.finished = loop.create_future()
    if not raws:
        return runner.result
    sockets = max(1, min(sockets, concurrency))
    window = max(1, min(255, concurrency // sockets))
    start = time.perf_counter()
    flows = []
    for _i in range(sockets):
        _transport, flow = await loop.create_datagram_endpoint(
            lambda: _Flow(runner, window), remote_addr=(host, port)
        )
        flows.append(flow)
    while not runner.finished.done():
        try:
            await asyncio.wait_for(asyncio.shield(runner.finished), timeout=timeout / 4)
        except TimeoutError:
            for flow in flows:
                flow.expire(timeout)
    runner.result.seconds = time.perf_counter() - start
    for flow in flows:
        flow.transport.close()
    return runner.result


def run_load(host, port, raws, secret, concurrency=64, sockets=4, timeout=3.0) -> LoadResult:
    """Send every packet of `raws` to host:port, `concurrency` in flight; wait for all."""
    return asyncio.run(_run(host, port, raws, secret, concurrency, sockets, timeout))
