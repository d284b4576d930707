"""test_tcp_big.py -- large values and slow readers.

An 8 MiB SET and GET, a 64 MiB value built with APPEND and read by a
client that drains it slowly while another client keeps getting PING
answers, a pipeline of big GETs that must not grow redpoll's output
beyond its budget (backpressure), and the output and query buffer limits
compared with Debian's redis-server (same script against both).
"""
import hashlib
import os
import socket
import threading
import time

import redis

from conftest import IP, PORT

MiB = 1 << 20
BUDGET = 4 * MiB            # client-output-budget's default


def encode(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


def small_socket(addr, rcvbuf=64 * 1024, timeout=30):
    """A client socket with a small receive buffer: a slow reader."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(addr)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class BulkReader:
    """Reads bulk replies from a socket at a pace (chunk bytes, then a
    pause) and keeps the SHA-256 of each."""

    def __init__(self, sock, chunk=64 * 1024, pause=0.0):
        self.s = sock
        self.chunk = chunk
        self.pause = pause
        self.buf = b''

    def _more(self):
        d = self.s.recv(self.chunk)
        if not d:
            raise ConnectionError('closed')
        if self.pause:
            time.sleep(self.pause)
        self.buf += d

    def bulk_digest(self):
        while b'\r\n' not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b'\r\n', 1)
        assert line[:1] == b'$', line[:200]
        left = int(line[1:])
        h = hashlib.sha256()
        while left > 0:
            if not self.buf:
                self._more()
            take = self.buf[:left]
            self.buf = self.buf[len(take):]
            h.update(take)
            left -= len(take)
        while len(self.buf) < 2:
            self._more()
        assert self.buf[:2] == b'\r\n'
        self.buf = self.buf[2:]
        return h.hexdigest()


def digest_bulk(data):
    return hashlib.sha256(data).hexdigest()


def info_fields(c, section):
    raw = c.execute_command('INFO', section)
    if isinstance(raw, bytes):
        raw = raw.decode()
    if isinstance(raw, dict):
        return raw
    out = {}
    for line in raw.split('\r\n'):
        if ':' in line and not line.startswith('#'):
            k, v = line.split(':', 1)
            out[k] = int(v) if v.isdigit() else v
    return out


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def test_8mib_set_get(r):
    v = os.urandom(8 * MiB)
    t = time.time()
    assert r.set('big8', v)
    assert hashlib.sha256(r.get('big8')).digest() == \
        hashlib.sha256(v).digest()
    assert time.time() - t < 30
    # the same through a raw socket with a small receive buffer
    s = small_socket((IP, PORT))
    s.sendall(encode('GET', 'big8'))
    assert BulkReader(s).bulk_digest() == digest_bulk(v)
    s.close()


def test_64mib_slow_reader_keeps_worker_serving(r):
    pieces = [os.urandom(8 * MiB) for _ in range(8)]
    whole = hashlib.sha256()
    assert r.set('big64', pieces[0])
    whole.update(pieces[0])
    for p in pieces[1:]:
        r.append('big64', p)
        whole.update(p)
    assert r.strlen('big64') == 64 * MiB

    lat = []
    stop = threading.Event()

    def pinger():
        c = redis.Redis(host=IP, port=PORT, socket_timeout=10)
        assert c.ping()             # connected before the clock runs
        while not stop.is_set():
            t = time.time()
            assert c.ping()
            lat.append(time.time() - t)
            time.sleep(0.005)
        c.close()

    th = threading.Thread(target=pinger)
    th.start()
    t0 = time.time()
    try:
        s = small_socket((IP, PORT), rcvbuf=256 * 1024)
        s.sendall(encode('GET', 'big64'))
        # 64 KiB every millisecond at most: about 1024 pauses
        got = BulkReader(s, 64 * 1024, 0.001).bulk_digest()
        s.close()
    finally:
        stop.set()
        th.join()
    took = time.time() - t0
    assert got == whole.hexdigest()
    assert took < 30, took
    assert len(lat) > 20
    # PINGs answered in < 100 ms while the 64 MiB reply drains. On the
    # shared two-core CI machine (load average near 10) the kernel
    # deschedules the busy-polling worker now and then, so the bound is
    # on 95% of them and the median; the maximum is reported.
    lat.sort()
    p95 = lat[int(0.95 * (len(lat) - 1))]
    assert p95 < 0.1 and lat[len(lat) // 2] < 0.02, (lat[-5:], p95)
    print('64 MiB slow GET: %.2f s, %d PINGs, median %.1f ms, p95 %.1f '
          'ms, max %.1f ms' % (took, len(lat), 1000 * lat[len(lat) // 2],
                               1000 * p95, 1000 * lat[-1]))
    r.delete('big64')


def test_pipelined_big_gets_stay_in_budget(server, r):
    v = os.urandom(8 * MiB)
    want = digest_bulk(v)
    r.set('big8', v)
    n = 20
    before = info_fields(r, 'workers')
    base_rss = rss_kib(server.proc.pid)
    samples = []
    stop = threading.Event()

    def monitor():
        c = redis.Redis(host=IP, port=PORT, socket_timeout=10)
        while not stop.is_set():
            f = info_fields(c, 'network')
            lst = c.execute_command('CLIENT', 'LIST')
            if isinstance(lst, bytes):
                lst = lst.decode()
            omem = [int(w[5:]) for w in lst.split() if w.startswith('omem=')]
            samples.append((f['client_output_bytes'], f['mbufs_in_use'],
                            rss_kib(server.proc.pid), max(omem)))
            time.sleep(0.02)
        c.close()

    th = threading.Thread(target=monitor)
    th.start()
    try:
        s = small_socket((IP, PORT), rcvbuf=128 * 1024)
        s.sendall(encode('GET', 'big8') * n)
        rd = BulkReader(s, 64 * 1024, 0.0005)
        digests = [rd.bulk_digest() for _ in range(n)]
        s.close()
    finally:
        stop.set()
        th.join()
    assert digests == [want] * n
    after = info_fields(r, 'workers')
    # backpressure engaged: requests waited for the output to drain
    assert after['worker0_output_blocked'] > before['worker0_output_blocked']
    out_max = max(x[0] for x in samples)
    mbufs_max = max(x[1] for x in samples)
    rss_growth = max(x[2] for x in samples) - base_rss
    omem_max = max(x[3] for x in samples)
    # CLIENT LIST's omem: the slow reader's output, as the limits count
    # it (sampled apart from INFO, so bounded like it, not compared)
    assert 0 < omem_max <= BUDGET + 8 * MiB + 64 * 1024
    print('20 x 8 MiB pipelined: output max %d bytes, mbufs in use max %d,'
          ' RSS growth %d KiB' % (out_max, mbufs_max, rss_growth))
    # one reply beyond the budget at most (a reply is queued whole)
    assert out_max <= BUDGET + 8 * MiB + 64 * 1024
    # the TCP send queue holds 1 MiB: ~725 mbufs, plus RX descriptors
    assert mbufs_max < 4096
    assert rss_growth < 48 * 1024
    r.delete('big8')


def run_hard_limit(addr):
    """normal 1mb 0 0: a client that GETs 4 MiB without reading is
    closed. Returns (closed, bytes received)."""
    c = redis.Redis(host=addr[0], port=addr[1], socket_timeout=10)
    c.set('obig', os.urandom(4 * MiB))
    c.config_set('client-output-buffer-limit', 'normal 1mb 0 0')
    try:
        s = small_socket(addr)
        s.sendall(encode('GET', 'obig'))
        time.sleep(0.5)
        got, closed = 0, False
        s.settimeout(5)
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    closed = True
                    break
                got += len(d)
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            pass
        s.close()
        return closed, got
    finally:
        c.config_set('client-output-buffer-limit', 'normal 0 0 0')
        c.delete('obig')
        c.close()


def test_output_hard_limit_as_redis(r, oracle):
    before = info_fields(r, 'stats')
    rp = run_hard_limit((IP, PORT))
    rs = run_hard_limit(oracle)
    assert rp[0] and rs[0], (rp, rs)
    assert rp[1] < 4 * MiB and rs[1] < 4 * MiB
    after = info_fields(r, 'stats')
    key = 'client_output_buffer_limit_disconnections'
    assert after[key] == before[key] + 1


def connected(c):
    return info_fields(c, 'clients')['connected_clients']


def run_soft_limit(addr):
    """normal 0 1mb 1: over the soft limit for more than a second, then
    one more command: closed (not before the second)."""
    c = redis.Redis(host=addr[0], port=addr[1], socket_timeout=10)
    c.set('sbig', os.urandom(16 * MiB))
    c.config_set('client-output-buffer-limit', 'normal 0 1mb 1')
    try:
        base = connected(c)
        s = small_socket(addr)
        s.sendall(encode('GET', 'sbig'))
        time.sleep(0.3)
        early = connected(c) == base + 1
        time.sleep(2.5)
        try:
            s.sendall(encode('PING'))
        except OSError:
            pass
        closed = False
        s.settimeout(5)
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    closed = True
                    break
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            pass
        s.close()
        return early, closed
    finally:
        c.config_set('client-output-buffer-limit', 'normal 0 0 0')
        c.delete('sbig')
        c.close()


def test_output_soft_limit_as_redis(r, oracle):
    before = info_fields(r, 'stats')
    rp = run_soft_limit((IP, PORT))
    rs = run_soft_limit(oracle)
    assert rp == (True, True) and rs == (True, True), (rp, rs)
    after = info_fields(r, 'stats')
    key = 'client_output_buffer_limit_disconnections'
    assert after[key] == before[key] + 1


def run_query_limit(addr):
    """client-query-buffer-limit 1mb: a 2 MiB SET closes the client."""
    c = redis.Redis(host=addr[0], port=addr[1], socket_timeout=10)
    c.config_set('client-query-buffer-limit', '1mb')
    try:
        s = small_socket(addr)
        closed = False
        try:
            s.sendall(encode('SET', 'q', os.urandom(2 * MiB)))
            s.settimeout(5)
            closed = s.recv(65536) == b''
        except (ConnectionResetError, BrokenPipeError):
            closed = True
        except socket.timeout:
            pass
        s.close()
        return closed, c.exists('q')
    finally:
        c.config_set('client-query-buffer-limit', '1gb')
        c.close()


def test_query_buffer_limit_as_redis(r, oracle):
    before = info_fields(r, 'stats')
    assert run_query_limit((IP, PORT)) == run_query_limit(oracle) == \
        (True, 0)
    after = info_fields(r, 'stats')
    key = 'client_query_buffer_limit_disconnections'
    assert after[key] == before[key] + 1


def test_limits_logged(server):
    log = server.read_log()
    assert 'overcoming of output buffer limits' in log
    assert 'reached max query buffer length' in log
