"""test_bench.py -- redpoll-bench, the DPDK load generator, end to end.

redpoll and redpoll-bench are connected back to back by net_memif (each
its own EAL with --no-huge and its own --file-prefix; memif shares the
EAL's memfd-backed memory with its peer over the control socket): runs of
a few seconds over RESP/UDP must have zero errors, a nonzero rate, every
reply matched to its request, and parseable JSON and CSV results; SET
values must really land (read back by a GET run with --verify and
counted in the keyspace); error replies, too-big replies and nil replies
are counted apart. A scripted UDP responder on the tap device checks the
accounting of lost and stray replies: timeouts and unmatched replies.
The same over TCP (--tcp, redpoll's own stack in client mode): GET and
SET with values read back, replies split across segments, and a
scripted kernel TCP server on the tap for refused and reset connections,
late and extra replies.
"""
import csv
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import BUILD, Redpoll

BENCH = os.path.join(BUILD, 'app', 'redpoll-bench')
CTL = os.path.join(BUILD, 'app', 'redpollctl')
SERVER_IP = '198.18.5.1'
BENCH_IP = '198.18.5.2/24'


class MemifRedpoll(Redpoll):
    """redpoll on the server side of a memif link: no kernel path, so it
    is ready when its log says so and a bench run's PING is answered."""

    def __init__(self, workdir, socket_path):
        super().__init__(workdir, cores=('--lcores', '0@0,1@1'))
        self.socket_path = socket_path

    def cmdline(self, extra=()):
        # The worker sleeps when idle (the default, not the tests' busy
        # polling): a memif peer that disconnects unmaps the shared
        # region, and a worker inside a burst at that instant faults
        # (DPDK 22.11's memif; docs/benchmarks.md).
        cmd = super().cmdline(['--worker-idle-sleep-us', '100', *extra])
        i = cmd.index('--vdev=net_tap0,iface=rp0')
        cmd[i] = ('--vdev=net_memif0,role=server,socket=%s' %
                  self.socket_path)
        cmd[cmd.index('--bind-ip') + 1] = SERVER_IP + '/24'
        cmd[cmd.index('--file-prefix=rpe2e%d' % os.getpid())] = \
            '--file-prefix=rpbs%d' % os.getpid()
        return cmd

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('redpoll exited:\n' + self.read_log())
            if ' ready: ' in self.read_log():
                return
            time.sleep(0.2)
        raise RuntimeError('redpoll not ready:\n' + self.read_log())


def bench(args, vdev, src_ip=BENCH_IP, host=SERVER_IP, timeout=60):
    """Run redpoll-bench; return (exit code, stdout, stderr)."""
    cmd = [BENCH, '--lcores', '0@0', '--no-huge', '-m', '256', '--no-pci',
           '--file-prefix=rpbc%d' % os.getpid(), vdev,
           '--log-level=pmd.net.memif:error',
           '--log-level=pmd.net.tap:error', '--',
           '--src-ip', src_ip, '--host', host, '-q', *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope='module')
def memif():
    """redpoll on a memif server socket; yields a bench runner."""
    work = tempfile.mkdtemp(prefix='rpbench-', dir='/dev/shm')
    sock = os.path.join(work, 'memif.sock')
    rp = MemifRedpoll(work, sock).start()

    def run(args, expect_rc=0):
        # This 2-core machine is shared: a process may stall for a while,
        # which is not a lost reply, hence a generous timeout.
        rc, out, err = bench(['--timeout-ms', '5000', *args],
                             '--vdev=net_memif0,role=client,'
                             'socket=%s' % sock)
        assert rc == expect_rc, out + err + rp.read_log()[-2000:]
        return out, err
    run.server = rp
    yield run
    try:
        rc = rp.stop()
        rp.check_log()
        assert rc == 0, rp.read_log()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def keys(rp):
    out = subprocess.run([CTL, '-s', rp.admin, 'info', 'keyspace'],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith('db0:keys='):
            return int(line.split('=')[1].split(',')[0])
    return 0


def check_clean(r):
    """No error of any kind, every request answered and matched."""
    for k in ('errors', 'timeouts', 'bad_replies', 'bad_values',
              'unmatched', 'tx_fail', 'rx_dropped', 'toobig',
              'error_replies', 'aborted', 'conn_errors'):
        assert r[k] == 0, (k, r)
    assert r['sent'] > 0
    assert r['replies'] == r['sent'] == r['ok']


def test_get_set_closed_loop(memif, tmp_path):
    out = tmp_path / 'r.json'
    memif(['-t', 'set,get', '--ratio', 'set:get=1:3', '-c', '8', '-P', '4',
           '--duration', '2', '--warmup', '0.5', '--json', str(out)])
    r = json.loads(out.read_text())
    check_clean(r)
    assert r['transport'] == 'udp' and r['loop'] == 'closed'
    assert r['requests_per_second'] > 0
    assert 1.9 < r['seconds'] < 4
    assert abs(r['requests_per_second'] * r['seconds'] - r['replies']) < 2
    # the mix follows the ratio
    c = r['commands']
    assert c['set']['sent'] + c['get']['sent'] == r['sent']
    assert 2 < c['get']['sent'] / c['set']['sent'] < 4
    lat = r['latency_us']
    assert 0 < lat['min'] <= lat['p50'] <= lat['p90'] <= lat['p99'] \
        <= lat['p99.9'] <= lat['p99.99'] <= lat['max']
    assert r['histogram_relative_error'] < 0.004
    assert len(r['per_second']) >= 1
    assert sum(s['replies'] for s in r['per_second']) <= r['replies']


def test_values_landed(memif):
    rp = memif.server
    before = keys(rp)
    # 500 keys written once each (sequential keys), sizes 10..100
    out, _ = memif(['--command', 'SET landed:__key__ __data__', '-r', '500',
                    '--distribution', 'seq', '-n', '500', '-d', '10-100',
                    '-c', '4', '-P', '8'])
    assert 'errors 0' in out
    assert keys(rp) == before + 500
    # read back: every value present and one of ours
    out, _ = memif(['--command', 'GET landed:__key__', '-r', '500',
                    '--distribution', 'seq', '-n', '500', '-d', '10-100',
                    '--verify', '-c', '4', '-P', '8'])
    assert 'ok 500,' in out and 'bad_values 0,' in out, out
    assert 'nil_replies 0,' in out, out
    # --verify fails when the values are not those: -d 200-300 expected
    out, _ = memif(['--command', 'GET landed:__key__', '-r', '500',
                    '--distribution', 'seq', '-n', '500', '-d', '200-300',
                    '--verify'], expect_rc=3)
    assert 'bad_values 500,' in out, out
    # and keys never written are nil, counted as such
    out, _ = memif(['--command', 'GET never:__key__', '-r', '500',
                    '-n', '300'])
    assert 'nil_replies 300,' in out and 'ok 300,' in out, out


def test_pipeline_zipf_mix_csv(memif, tmp_path):
    # MGET's four values of up to 300 bytes fit one reply datagram
    out = tmp_path / 'r.csv'
    memif(['-t', 'get,set,incr,mget', '--ratio', '4:1:1:1', '--zipf', '0.99',
           '-r', '1000', '-d', '32-300', '-c', '4', '-P', '16', '-n',
           '20000', '--csv', str(out)])
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 1
    r = {k: (int(v) if v.isdigit() else v) for k, v in rows[0].items()}
    check_clean(r)
    assert r['sent'] == 20000
    assert r['distribution'] == 'zipf' and r['pipeline'] == 16
    assert float(r['requests_per_second']) > 0


def test_open_loop_rate(memif, tmp_path):
    out = tmp_path / 'r.json'
    memif(['-t', 'get', '--rate', '4000', '--duration', '2', '-c', '16',
           '-P', '8', '--json', str(out)])
    r = json.loads(out.read_text())
    check_clean(r)
    assert r['loop'] == 'open'
    # the schedule, not the server, sets the pace: 128 requests may wait
    # in flight, so a stall of either process delays requests but does
    # not drop them from the schedule
    assert 7000 <= r['replies'] <= 8400, r


def test_error_and_toobig_replies(memif):
    # an unknown command: every reply an error reply, none an error
    out, _ = memif(['--command', 'NOSUCHCMD __key__', '-n', '200'])
    assert 'error_replies 200,' in out and 'errors 0,' in out, out
    # a 3000-byte value does not fit one reply datagram: TOOBIG
    out, _ = memif(['--command', 'APPEND big:toobig __data__', '-d', '1000',
                    '-n', '3', '-c', '1'])
    assert 'ok 3,' in out, out
    out, _ = memif(['--command', 'GET big:toobig', '-n', '50'])
    assert 'toobig 50,' in out and 'errors 0,' in out, out


def test_bad_options_and_no_server(memif, tmp_path):
    rc, out, err = bench(['-t', 'nosuch'], '--vdev=net_memif0,role=client,'
                         'socket=%s' % (tmp_path / 'none.sock'))
    assert rc == 2 and "unknown command 'nosuch'" in err
    # redpoll answers PING but nobody is at this address
    rc, out, err = bench(['-n', '10'], '--vdev=net_memif0,role=client,'
                         'socket=%s' % memif.server.workdir + '/memif.sock',
                         host='198.18.5.9', timeout=60)
    assert rc != 0 and 'no reply to PING' in err, out + err


class Responder(threading.Thread):
    """A UDP RESP responder on the tap's kernel side: PONG to PING, and
    to every request number n (1-based, after the PING): no reply when n
    % 10 == 0, two replies when n % 10 == 5, one otherwise."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('198.18.0.2', 6379))
        self.sock.settimeout(0.2)
        self.stop = False
        self.n = 0

    def run(self):
        while not self.stop:
            try:
                d, a = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            rid = struct.unpack('!I', d[:4])[0]
            head = struct.pack('!IHBB', rid, 0, 1, 1)
            if d[8:].startswith(b'*1\r\n$4\r\nPING'):
                self.sock.sendto(head + b'+PONG\r\n', a)
                continue
            self.n += 1
            if self.n % 10 == 0:
                continue
            self.sock.sendto(head + b'$2\r\nab\r\n', a)
            if self.n % 10 == 5:
                self.sock.sendto(head + b'$2\r\nab\r\n', a)


def test_timeouts_and_unmatched(tmp_path):
    """Lost replies are timeouts (errors, exit code 3); a second reply to
    the same request is unmatched."""
    resp = Responder()
    resp.start()
    try:
        out_json = tmp_path / 'r.json'
        rc, out, err = bench(['-n', '1000', '-c', '50', '--timeout-ms', '1000',
                              '--json', str(out_json)],
                             '--vdev=net_tap0,iface=rp0',
                             src_ip='198.18.0.1/24', host='198.18.0.2')
    finally:
        resp.stop = True
        resp.join()
    assert rc == 3, out + err
    r = json.loads(out_json.read_text())
    assert r['sent'] == 1000
    assert r['timeouts'] == 100 and r['errors'] == 100
    assert r['replies'] == r['ok'] == 900
    assert r['unmatched'] == 100


def test_tcp_get_set(memif, tmp_path):
    """--tcp: 8 connections with 4 requests in flight each; the SETs land
    and a GET run reads them back (--verify) in order."""
    rp = memif.server
    before = keys(rp)
    out = tmp_path / 's.json'
    memif(['--tcp', '--command', 'SET tcp:__key__ __data__', '-r', '1000',
           '--distribution', 'seq', '-c', '8', '-P', '4', '-d', '16-64',
           '--duration', '2', '--json', str(out)])
    r = json.loads(out.read_text())
    check_clean(r)
    assert r['transport'] == 'tcp' and r['clients'] == 8
    assert r['requests_per_second'] > 0 and r['sent'] >= 1000
    assert keys(rp) == before + 1000
    out = tmp_path / 'g.json'
    memif(['--tcp', '--command', 'GET tcp:__key__', '-r', '1000', '-c', '8',
           '-P', '4', '-d', '16-64', '--verify', '--duration', '2',
           '--json', str(out)])
    r = json.loads(out.read_text())
    check_clean(r)
    assert r['requests_per_second'] > 0 and r['nil_replies'] == 0
    # --verify can fail: values of another size are not ours
    out, _ = memif(['--tcp', '--command', 'GET tcp:__key__', '-r', '1000',
                    '-d', '100', '--verify', '-n', '200', '-c', '2'],
                   expect_rc=3)
    assert 'bad_values 200,' in out, out


def test_tcp_large_values(memif, tmp_path):
    """Requests and replies of several segments: replies resume across
    segments and pipelined replies share segments."""
    out, _ = memif(['--tcp', '--command', 'SET tbig:__key__ __data__',
                    '-r', '100', '--distribution', 'seq', '-n', '100',
                    '-d', '3000-9000', '-c', '2', '-P', '4'])
    assert 'ok 100,' in out and 'errors 0,' in out, out
    out = tmp_path / 'r.json'
    memif(['--tcp', '-t', 'get,mget', '--command', 'GET tbig:__key__',
           '--ratio', '0:1:2', '-r', '100', '-d', '3000-9000', '--verify',
           '-c', '4', '-P', '16', '-n', '3000', '--json', str(out)])
    r = json.loads(out.read_text())
    check_clean(r)
    assert r['sent'] == 3000 and r['nil_replies'] == 0


class TcpResponder(threading.Thread):
    """A RESP server on the tap's kernel side: +PONG to PING; on the
    first connection to send a request, request n (1-based, after the
    PINGs) is answered late (after 1.5 s) when n == 3, and the connection
    is reset at request 9 (unanswered); other connections answer every
    request."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(('198.18.0.2', port))
        self.lsock.listen(64)
        self.lsock.settimeout(0.2)
        self.stop = False
        self.scripted = None
        self.threads = []

    def run(self):
        while not self.stop:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            t = threading.Thread(target=self.serve, args=(c,), daemon=True)
            t.start()
            self.threads.append(t)
        self.lsock.close()

    def serve(self, c):
        buf, n = b'', 0
        c.settimeout(0.2)
        while not self.stop:
            try:
                d = c.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not d:
                break
            buf += d
            while True:
                # every request here is *N\r\n then N $len\r\n x\r\n
                lines = buf.split(b'\r\n')
                if len(lines) < 1 or not lines[0].startswith(b'*'):
                    break
                argc = int(lines[0][1:])
                if len(lines) < 1 + 2 * argc + 1:
                    break
                req = lines[1:1 + 2 * argc]
                used = sum(len(x) + 2 for x in lines[:1 + 2 * argc])
                buf = buf[used:]
                if req[1] == b'PING':
                    c.sendall(b'+PONG\r\n')
                    continue
                if self.scripted is None:
                    self.scripted = c
                if c is not self.scripted:
                    c.sendall(b'$2\r\nab\r\n')
                    continue
                n += 1
                if n == 3:
                    time.sleep(1.5)
                if n == 9:
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack('ii', 1, 0))
                    c.close()
                    return
                c.sendall(b'$2\r\nab\r\n')
        c.close()


def test_tcp_errors(tmp_path):
    """Connection failures, resets, late and extra replies over TCP."""
    tap = '--vdev=net_tap0,iface=rp0'
    # nothing listens on 6390: every connection refused, no run
    rc, out, err = bench(['--tcp', '--port', '6390', '-c', '3', '-n', '10'],
                         tap, src_ip='198.18.0.1/24', host='198.18.0.2')
    assert rc == 1 and 'cannot connect' in err, out + err
    assert 'connection errors 3' in err, err
    resp = TcpResponder(6391)
    resp.start()
    try:
        out_json = tmp_path / 'r.json'
        rc, out, err = bench(['--tcp', '--port', '6391', '-c', '1',
                              '-n', '400', '--timeout-ms', '1000',
                              '--json', str(out_json)],
                             tap, src_ip='198.18.0.1/24', host='198.18.0.2')
    finally:
        resp.stop = True
        resp.join()
    assert rc == 3, out + err
    r = json.loads(out_json.read_text())
    # request 3 timed out and its late reply is unmatched (request 4's
    # reply still meets request 4); the reset loses request 9 and the
    # only client, which ends the run
    assert r['sent'] == 9, r
    assert r['timeouts'] == 1 and r['unmatched'] == 1, r
    assert r['conn_errors'] == 1 and r['aborted'] == 1, r
    assert r['replies'] == r['ok'] == 7, r
    assert r['errors'] == 3, r
