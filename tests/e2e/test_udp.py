"""test_udp.py -- RESP over UDP (docs/pktgen.md) from the namespace's
kernel side with plain Python UDP sockets, on one redpoll for the module:
replies matched to requests by id (in order, out of order, many in
flight), the too-big error, refused commands and protocol errors, bad
datagrams, the counters in INFO and cycles per request in redpollctl
cores. test_udp_restart.py starts its own servers (udp-port, two
workers, SIGKILL).
"""
import json
import os
import socket
import struct
import subprocess
import sys
import time

import pytest

from conftest import IP, PORT, ROOT
from test_admin import ctl, telemetry

HDR = struct.Struct('!IHBB')     # id, sequence, count, flags
F_REPLY, F_TOOBIG = 0x01, 0x02


def resp(*args):
    """A RESP multibulk request."""
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


class Udp:
    """One UDP socket of the kernel side, talking to redpoll's port."""

    def __init__(self, port=PORT, timeout=5.0):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.s.settimeout(timeout)
        self.s.connect((IP, port))

    def send(self, rid, *args, raw=None, seq=0, count=1, flags=0):
        body = raw if raw is not None else resp(*args)
        self.s.send(HDR.pack(rid, seq, count, flags) + body)

    def recv(self):
        data = self.s.recv(65536)
        rid, seq, count, flags = HDR.unpack_from(data)
        return rid, seq, count, flags, data[HDR.size:]

    def call(self, rid, *args, raw=None):
        """Send one request and return (flags, RESP) of its reply."""
        self.send(rid, *args, raw=raw)
        got, seq, count, flags, body = self.recv()
        assert (got, seq, count) == (rid, 0, 1)
        assert flags & F_REPLY
        return flags, body

    def nothing(self, wait=0.5):
        """No datagram comes back within wait seconds."""
        self.s.settimeout(wait)
        try:
            with pytest.raises(socket.timeout):
                self.s.recv(65536)
        finally:
            self.s.settimeout(5.0)

    def close(self):
        self.s.close()


@pytest.fixture
def u(server):
    c = Udp()
    yield c
    c.close()


def dataplane(r):
    return r.info('dataplane')


def test_set_get_incr(r, u):
    assert u.call(1, 'SET', 'k', 'v1') == (F_REPLY, b'+OK\r\n')
    assert u.call(2, 'GET', 'k') == (F_REPLY, b'$2\r\nv1\r\n')
    assert u.call(0xffffffff, 'INCR', 'n') == (F_REPLY, b':1\r\n')
    assert u.call(3, 'INCRBY', 'n', 41) == (F_REPLY, b':42\r\n')
    assert u.call(4, raw=b'GET nokey\r\n') == (F_REPLY, b'$-1\r\n')
    # The same keyspace as TCP clients, database 0.
    assert r.get('k') == b'v1' and r.get('n') == b'42'
    r.set('fromtcp', 'x')
    assert u.call(5, 'GET', 'fromtcp') == (F_REPLY, b'$1\r\nx\r\n')


def test_out_of_order_ids(r, u):
    for i in range(5):
        r.set('o%d' % i, 'val%d' % i)
    ids = [900, 7, 123456, 1, 42]
    for n, rid in enumerate(ids):
        u.send(rid, 'GET', 'o%d' % n)
    got = {}
    for _ in ids:
        rid, seq, count, flags, body = u.recv()
        assert flags == F_REPLY
        got[rid] = body
    assert got == {rid: b'$4\r\nval%d\r\n' % n for n, rid in enumerate(ids)}
    # The header's sequence and count are echoed as sent.
    u.send(77, 'PING', seq=5, count=9)
    assert u.recv() == (77, 5, 9, F_REPLY, b'+PONG\r\n')


def test_many_in_flight(r, u):
    n = 300
    for i in range(n):
        u.send(10000 + i, 'SET', 'p:%d' % i, 'v%d' % i)
    acks = {}
    for _ in range(n):
        rid, _, _, flags, body = u.recv()
        acks[rid] = body
    assert acks == {10000 + i: b'+OK\r\n' for i in range(n)}
    for i in range(n):
        u.send(20000 + i, 'GET', 'p:%d' % i)
    vals = {}
    for _ in range(n):
        rid, _, _, flags, body = u.recv()
        vals[rid] = body
    want = {}
    for i in range(n):
        v = b'v%d' % i
        want[20000 + i] = b'$%d\r\n%s\r\n' % (len(v), v)
    assert vals == want
    assert r.dbsize() == n


def test_too_big(r, u):
    r.set('big', 'x' * 5000)
    flags, body = u.call(1, 'GET', 'big')
    assert flags == F_REPLY | F_TOOBIG
    assert body == (b'-ERR reply of 5009 bytes does not fit in a UDP '
                    b'datagram (at most 1464), use TCP\r\n')
    # The largest reply that fits: "$1455\r\n" + 1455 bytes + "\r\n".
    r.set('fits', 'y' * 1455)
    flags, body = u.call(2, 'GET', 'fits')
    assert flags == F_REPLY and len(body) == 1464
    assert u.call(3, 'STRLEN', 'big') == (F_REPLY, b':5000\r\n')


def test_refused_and_protocol_errors(r, u):
    before = dataplane(r)
    assert u.call(1, 'MULTI') == (
        F_REPLY, b'-ERR MULTI is not allowed over UDP, use TCP\r\n')
    assert u.call(2, 'select', '1') == (
        F_REPLY, b'-ERR SELECT is not allowed over UDP, use TCP\r\n')
    assert u.call(3, 'CLIENT', 'ID') == (
        F_REPLY, b'-ERR CLIENT is not allowed over UDP, use TCP\r\n')
    assert u.call(4, raw=b'PING\r\nPING\r\n') == (
        F_REPLY, b'-ERR Protocol error: 6 bytes after the request (one '
        b'request per datagram)\r\n')
    assert u.call(5, raw=b'*2\r\n$3\r\nGET\r\n') == (
        F_REPLY, b'-ERR Protocol error: unfinished request (a UDP '
        b'datagram carries one whole request)\r\n')
    after = dataplane(r)
    assert after['net_udp_refused'] - before['net_udp_refused'] == 3
    assert (after['net_udp_protocol_errors'] -
            before['net_udp_protocol_errors']) == 2
    # A refused MULTI left no transaction behind.
    assert u.call(6, 'SET', 'after', '1') == (F_REPLY, b'+OK\r\n')
    assert r.get('after') == b'1'


def udp_checksum(src, dst, seg):
    """The UDP checksum of seg (checksum field zero) with its pseudo
    header, computed here independently of redpoll."""
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(
        '!BBH', 0, socket.IPPROTO_UDP, len(seg))
    data = ph + seg + (b'\0' if len(seg) % 2 else b'')
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s & 0xffff) or 0xffff


def test_counters_and_bad_datagrams(r, u):
    before = dataplane(r)
    for i in range(10):
        u.call(i, 'PING')
    u.s.send(b'\0\0\0')                     # shorter than the header
    u.send(11, 'PING', flags=F_REPLY)       # a reply is never answered
    u.nothing()
    # A wrong checksum, sent through a raw socket (the kernel adds IPv4).
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    payload = HDR.pack(12, 0, 1, 0) + b'PING\r\n'
    seg = struct.pack('!HHHH', 40999, PORT, 8 + len(payload), 0) + payload
    good = udp_checksum('198.18.0.2', IP, seg)
    bad = seg[:6] + struct.pack('!H', good ^ 0x0101) + seg[8:]
    raw.sendto(bad, (IP, 0))
    # The same datagram with its right checksum is answered.
    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.bind(('198.18.0.2', 40999))
    listen.settimeout(5)
    raw.sendto(seg[:6] + struct.pack('!H', good) + seg[8:], (IP, 0))
    data = listen.recv(4096)
    assert HDR.unpack_from(data) == (12, 0, 1, F_REPLY)
    assert data[8:] == b'+PONG\r\n'
    raw.close()
    listen.close()
    after = dataplane(r)
    d = {k: after[k] - before[k] for k in after
         if k.startswith('net_udp_')}
    assert d['net_udp_rx'] == 14
    assert d['net_udp_requests'] == 11
    assert d['net_udp_replies'] == 11
    assert d['net_udp_bad_frames'] == 2
    assert d['net_udp_bad_cksum'] == 1
    # Server CPU cost per request, per worker.
    w = r.info('workers')
    assert w['worker0_commands'] > 0
    assert w['worker0_cycles_per_request'] > 0
    assert w['worker0_tsc_hz'] > 0


def test_cores_cycles_per_request(server, r, u):
    for i in range(50):
        u.call(i, 'SET', 'c%d' % i, i)
    cores = json.loads(ctl(server, '--json', 'cores').stdout)
    assert cores[0]['cycles_per_request'] > 0
    assert cores[0]['busy_cycles'] > 0 and cores[0]['tsc_hz'] > 0
    assert 'cycles_per_request_last_s' in cores[0]
    for _ in range(30):            # one whole second must have passed
        share = json.loads(ctl(server, '--json', 'cores').stdout)[0][
            'cpu_share_last_s']
        if share > 0:
            break
        time.sleep(0.1)
    assert 0 < share <= 1.05
    text = ctl(server, 'cores').stdout
    assert 'cyc/req' in text.splitlines()[0]
    # The same figures and the UDP counters in DPDK telemetry.
    tw = telemetry('/redpoll/workers,0')['/redpoll/workers']
    assert tw['tsc_hz'] > 0 and tw['busy_cycles_last_s'] > 0
    assert tw['commands_last_s'] >= 0
    tn = telemetry('/redpoll/net,0')['/redpoll/net']
    assert tn['net_udp_requests'] >= 50 and tn['net_udp_replies'] >= 50


def test_pcap_replay(tmp_path, r, u):
    """scripts/udp_pcap.py's frames, replayed onto the tap as a packet
    generator would (docs/pktgen.md), are answered frame by frame."""
    assert u.call(1, 'PING') == (F_REPLY, b'+PONG\r\n')   # ARP resolved
    neigh = json.loads(subprocess.run(
        ['ip', '-j', 'neigh', 'show', IP, 'dev', 'rp0'],
        capture_output=True, text=True, check=True).stdout)
    dst_mac = neigh[0]['lladdr']
    src_mac = open('/sys/class/net/rp0/address').read().strip()
    for i in range(100):
        r.set('key:%d' % i, 'v%d' % i)
    pcap = str(tmp_path / 'get.pcap')
    subprocess.run([os.path.join(ROOT, 'scripts', 'udp_pcap.py'),
                    '--dst-mac', dst_mac, '--src-mac', src_mac,
                    '--sport', '40123', '--first-id', '500', '-n', '100',
                    pcap], check=True)
    sys.path.insert(0, os.path.join(ROOT, 'scripts'))
    import udp_pcap
    frames = list(udp_pcap.read_pcap(pcap))
    assert len(frames) == 100
    # The first frame's UDP payload, byte for byte (docs/pktgen.md).
    assert frames[0][42:] == (b'\x00\x00\x01\xf4\x00\x00\x01\x00'
                              b'*2\r\n$3\r\nGET\r\n$5\r\nkey:0\r\n')
    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.bind(('198.18.0.2', 40123))
    listen.settimeout(5)
    before = r.info('dataplane')['net_udp_replies']
    out = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    out.bind(('rp0', 0))
    for f in frames:
        out.send(f)
    got = {}
    for _ in frames:
        data = listen.recv(4096)
        rid, seq, count, flags = HDR.unpack_from(data)
        assert (seq, count, flags) == (0, 1, F_REPLY)
        got[rid] = data[8:]
    out.close()
    listen.close()
    assert got == {500 + i: b'$%d\r\nv%d\r\n' % (len(b'v%d' % i), i)
                   for i in range(100)}
    assert r.info('dataplane')['net_udp_replies'] - before == 100
