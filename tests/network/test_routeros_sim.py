"""The RouterOS simulator speaks the API wire protocol (raw sockets, no client library)."""

import binascii
import hashlib
import socket
import time

import pytest
from simulators.routeros import (
    RouterOSSimulator,
    encode_length,
    encode_sentence,
    read_length,
    read_sentence,
)


class _Bytes:
    """A socket stand-in reading from a byte string (for the length decoder)."""

    def __init__(self, data):
        self.data = bytearray(data)

    def recv(self, size):
        chunk, self.data = bytes(self.data[:size]), self.data[size:]
        return chunk


@pytest.fixture
def sim():
    simulator = RouterOSSimulator(password="s3cret").start()
    yield simulator
    simulator.stop()


def _open(simulator, login=True):
    sock = socket.create_connection(("127.0.0.1", simulator.port), timeout=3)
    if login:
        replies = _talk(sock, ["/login", "=name=admin", f"=password={simulator.password}"])
        assert replies == [["!done"]]
    return sock


def _talk(sock, words):
    sock.sendall(encode_sentence(words))
    replies = []
    while True:
        reply = read_sentence(sock)
        replies.append(reply)
        if reply[0] in ("!done", "!fatal"):
            return replies


@pytest.mark.parametrize(
    "length,encoded",
    [
        (0, b"\x00"),
        (0x7F, b"\x7f"),
        (0x80, b"\x80\x80"),
        (0x3FFF, b"\xbf\xff"),
        (0x4000, b"\xc0\x40\x00"),
        (0x1FFFFF, b"\xdf\xff\xff"),
        (0x200000, b"\xe0\x20\x00\x00"),
        (0xFFFFFFF, b"\xef\xff\xff\xff"),
        (0x10000000, b"\xf0\x10\x00\x00\x00"),
    ],
)
def test_length_encoding_round_trip(length, encoded):
    assert encode_length(length) == encoded
    assert read_length(_Bytes(encoded)) == length


def test_words_at_length_boundaries_round_trip(sim):
    sock = _open(sim)
    for size in (0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000):
        comment = "x" * size
        done = _talk(sock, ["/ppp/secret/add", f"=name=u{size}", f"=comment={comment}"])
        assert done[0][0] == "!done", done[0][:1]
        rows = _talk(sock, ["/ppp/secret/print", f"?name=u{size}", "=.proplist=comment"])
        assert rows[0] == ["!re", f"=comment={comment}"]
    sock.close()


def test_tag_is_echoed_on_every_reply(sim):
    sock = _open(sim)
    sim.connect_session("a", "10.0.0.2")
    sim.connect_session("b", "10.0.0.3")
    replies = _talk(sock, ["/ppp/active/print", ".tag=77"])
    assert [reply[:2] for reply in replies] == [["!re", ".tag=77"]] * 2 + [["!done", ".tag=77"]]
    trap = _talk(sock, ["/no/such/thing/print", ".tag=9"])
    assert trap[0][:2] == ["!trap", ".tag=9"] and trap[1] == ["!done", ".tag=9"]
    sock.close()


def test_plain_login_and_bad_password(sim):
    sock = _open(sim, login=False)
    bad = _talk(sock, ["/login", "=name=admin", "=password=wrong"])
    assert bad[0][0] == "!trap" and "invalid user name or password" in bad[0][-1]
    fatal = _talk(sock, ["/ppp/secret/print"])
    assert fatal == [["!fatal", "not logged in"]]
    sock.close()
    _open(sim).close()
    assert sim.logins == 1


def test_legacy_md5_challenge_login():
    with RouterOSSimulator(password="old", legacy=True, version="6.42.12") as legacy:
        sock = _open(legacy, login=False)
        challenge = _talk(sock, ["/login"])[0][1].split("=", 2)[2]
        digest = hashlib.md5(
            b"\x00" + b"old" + binascii.unhexlify(challenge), usedforsecurity=False
        ).hexdigest()
        assert _talk(sock, ["/login", "=name=admin", f"=response=00{digest}"]) == [["!done"]]
        rows = _talk(sock, ["/ppp/profile/print", "?name=default"])
        assert rows[0][0] == "!re" and "=default=yes" in rows[0]  # v6 booleans
        sock.close()
        sock = _open(legacy, login=False)
        _talk(sock, ["/login"])
        wrong = _talk(sock, ["/login", "=name=admin", "=response=00" + "0" * 32])
        assert wrong[0][0] == "!trap"
        sock.close()


def test_queries_and_proplist(sim):
    for index, (name, profile, disabled) in enumerate(
        [("alpha", "10M", "no"), ("beta", "20M", "yes"), ("gamma", "10M", "no")], start=1
    ):
        sim_sock = _open(sim)
        _talk(
            sim_sock,
            [
                "/ppp/secret/add",
                f"=name={name}",
                f"=profile={profile}",
                f"=disabled={disabled}",
                f"=limit-bytes-in={index * 100}",
            ],
        )
        sim_sock.close()
    sock = _open(sim)

    def names(*query):
        rows = _talk(sock, ["/ppp/secret/print", "=.proplist=name", *query])
        return [row[1].split("=", 2)[2] for row in rows if row[0] == "!re"]

    assert names("?name=beta") == ["beta"]
    assert names("?=profile=10M") == ["alpha", "gamma"]
    assert names("?profile=10M", "?disabled=false") == ["alpha", "gamma"]  # bool synonyms
    assert names("?name=alpha", "?name=beta", "?#|") == ["alpha", "beta"]
    assert names("?name=alpha", "?#!") == ["beta", "gamma"]
    assert names("?profile=10M", "?name=gamma", "?#&") == ["gamma"]
    assert names("?<limit-bytes-in=250") == ["alpha", "beta"]
    assert names("?>limit-bytes-in=150") == ["beta", "gamma"]
    assert names("?-caller-id") == ["alpha", "beta", "gamma"]
    assert names("?comment") == []
    rows = _talk(sock, ["/ppp/secret/print", "=.proplist=.id,name", "?name=alpha"])
    assert rows[0] == ["!re", "=.id=*1", "=name=alpha"]
    sock.close()


def test_add_set_remove_and_traps(sim):
    sock = _open(sim)
    added = _talk(sock, ["/ip/pool/add", "=name=p1", "=ranges=10.0.0.2-10.0.0.254"])
    assert added == [["!done", "=ret=*1"]]
    dup = _talk(sock, ["/ip/pool/add", "=name=p1", "=ranges=10.1.0.2-10.1.0.254"])
    assert dup[0] == ["!trap", "=message=failure: already have such entry"]
    assert _talk(sock, ["/ip/pool/set", "=.id=*1", "=ranges=10.9.0.2-10.9.0.9"]) == [["!done"]]
    assert sim.table("/ip/pool")[0]["ranges"] == "10.9.0.2-10.9.0.9"
    missing = _talk(sock, ["/ip/pool/remove", "=.id=*9"])
    assert missing[0][0] == "!trap" and "no such item" in missing[0][-1]
    assert _talk(sock, ["/ip/pool/remove", "=.id=*1"]) == [["!done"]]
    assert sim.table("/ip/pool") == []
    unknown = _talk(sock, ["/ip/pool/frobnicate"])
    assert unknown[0][-1] == "=message=no such command"
    sock.close()


def test_empty_reply_only_from_7_18():
    with RouterOSSimulator(version="7.18") as new:
        sock = _open(new)
        assert _talk(sock, ["/ppp/secret/print"]) == [["!empty"], ["!done"]]
        sock.close()
    with RouterOSSimulator(version="7.14") as old:
        sock = _open(old)
        assert _talk(sock, ["/ppp/secret/print"]) == [["!done"]]
        sock.close()


def test_faults(sim):
    sock = _open(sim)
    sim.fail_next("trap", "simulated busy")
    assert _talk(sock, ["/ppp/secret/print"])[0] == ["!trap", "=message=simulated busy"]
    sim.fail_next("fatal")
    assert _talk(sock, ["/ppp/secret/print"])[0][0] == "!fatal"
    assert sock.recv(1) == b""  # closed after !fatal
    sock.close()
    sock = _open(sim)
    sim.connect_session("a", "10.0.0.2")
    sim.fail_next("cut")
    sock.sendall(encode_sentence(["/ppp/active/print"]))
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    assert 0 < len(data) and not data.endswith(b"!done\x00")
    sock.close()
    sock = _open(sim)
    sim.fail_next("stall")
    sock.settimeout(0.5)
    sock.sendall(encode_sentence(["/ppp/active/print"]))
    with pytest.raises(TimeoutError):
        sock.recv(1)
    sock.close()


def test_down_up_and_reboot(sim):
    sock = _open(sim)
    _talk(sock, ["/ppp/secret/add", "=name=keep"])
    sim.down()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", sim.port), timeout=1)
    sim.up()
    sock = _open(sim)
    assert len(sim.table("/ppp/secret")) == 1
    sim.reboot(empty=True)
    assert sock.recv(1) == b""
    assert sim.table("/ppp/secret") == []
    assert [entry["name"] for entry in sim.table("/ppp/profile")] == [
        "default",
        "default-encryption",
    ]


def test_read_only_menus_and_monitor_traffic(sim):
    sock = _open(sim)
    resource = _talk(sock, ["/system/resource/print"])[0]
    assert "=version=7.14 (stable)" in resource and any(
        w.startswith("=cpu-load=") for w in resource
    )
    health = _talk(sock, ["/system/health/print"])
    assert ["!re", "=.id=*1", "=name=temperature", "=value=41", "=type=C"] in health
    sim.connect_session("rahim", "10.0.0.5", "AA:BB:CC:DD:EE:FF")
    samples = []
    for _attempt in range(2):
        reply = _talk(sock, ["/interface/monitor-traffic", "=interface=<pppoe-rahim>", "=once="])
        samples.append({w.split("=")[1]: w.split("=")[2] for w in reply[0][1:]})
        time.sleep(0.05)
    assert all(int(s["rx-bits-per-second"]) > 0 for s in samples)
    assert samples[0]["rx-bits-per-second"] != samples[1]["rx-bits-per-second"]
    gone = _talk(sock, ["/interface/monitor-traffic", "=interface=<pppoe-nobody>", "=once="])
    assert gone[0][0] == "!trap"
    export = _talk(sock, ["/export"])
    assert export[0][1].startswith("=ret=# ") and "/ppp profile" in export[0][1]
    assert _talk(sock, ["/system/backup/save", "=name=nightly"]) == [["!done"]]
    assert [f["name"] for f in sim.table("/file")] == ["nightly.backup"]
    sock.close()
