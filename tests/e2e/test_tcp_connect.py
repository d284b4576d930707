"""test_tcp_connect.py -- the active open (tcp_connect) against Linux.

tests/e2e/tcp_connect.c runs redpoll's network stack on the namespace's
tap (198.18.0.1) and opens connections to servers of the kernel side
(198.18.0.2) started here: an echo server, a port nothing listens on
(the kernel answers the SYN with a RST) and a port whose SYNs iptables
drops (the SYN is retransmitted, then the open times out).
"""
import os
import socket
import socketserver
import subprocess
import threading

import pytest

from conftest import BUILD

HOST = '198.18.0.2'
ECHO_PORT = 7100
REFUSED_PORT = 7101
BLACKHOLE_PORT = 7102
BYE = b'\nBYE\n'


class EchoHandler(socketserver.BaseRequestHandler):
    """Echo until EOF, or until the client's data ends with BYE; then
    close and record (bytes echoed, who closed first)."""

    def handle(self):
        s = self.request
        total, tail, first = 0, b'', 'client'
        while True:
            d = s.recv(65536)
            if not d:
                break
            s.sendall(d)
            total += len(d)
            tail = (tail + d)[-len(BYE):]
            if tail == BYE:
                first = 'server'
                break
        s.close()
        with self.server.lock:
            self.server.log.append((total, first))


class EchoServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 256


@pytest.fixture
def echo_server():
    srv = EchoServer((HOST, ECHO_PORT), EchoHandler)
    srv.log, srv.lock = [], threading.Lock()
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def run(port, *args, timeout=60):
    """Run the helper; returns (exit code, its key=value results)."""
    cmd = [os.path.join(BUILD, 'tests', 'e2e', 'tcp_connect'),
           '-l', '0', '--no-huge', '-m', '512', '--no-pci',
           '--file-prefix=rptc%d' % os.getpid(),
           '--vdev=net_tap0,iface=rp0', '--log-level=pmd.net.tap:error',
           '--', '--ip', '198.18.0.1/24', '--peer', HOST,
           '--port', str(port), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    res = {}
    for line in p.stdout.splitlines():
        if line.startswith('mode='):
            for kv in line.split():
                k, v = kv.split('=', 1)
                res[k] = v
    print(p.stdout, p.stderr[-2000:])
    assert res, 'no results:\n' + p.stdout + p.stderr
    return p.returncode, res


def test_echo_both_closes(echo_server):
    n, size = 24, 200000
    rc, res = run(ECHO_PORT, '--mode', 'echo', '--conns', str(n),
                  '--bytes', str(size))
    assert int(res['connected']) == n
    assert int(res['echoed']) == n
    assert int(res['mismatches']) == 0
    assert int(res['closed']) == n
    assert int(res['peer_fins']) == n // 2   # FIN in ESTABLISHED
    # Half closed by us first: TIME-WAIT; half by the server first.
    assert int(res['time_waits']) == n // 2
    assert int(res['tcp_active_opens']) == n
    assert int(res['tcp_established']) == n
    assert rc == 0
    log = sorted(echo_server.log)
    assert len(log) == n
    assert log.count((size, 'client')) == n // 2
    assert log.count((size + len(BYE), 'server')) == n // 2


def test_refused():
    # Nothing listens: the kernel answers the SYN with RST+ACK.
    with socket.create_server((HOST, REFUSED_PORT)):
        pass
    rc, res = run(REFUSED_PORT, '--mode', 'refused')
    assert int(res['connected']) == 0
    assert int(res['closed']) == 1
    assert int(res['tcp_connect_refused']) == 1
    assert int(res['tcp_resets_rx']) == 1
    assert float(res['seconds']) < 3
    assert rc == 0


@pytest.fixture
def blackhole():
    """The kernel drops SYNs to BLACKHOLE_PORT."""
    rule = ['INPUT', '-p', 'tcp', '--dport', str(BLACKHOLE_PORT),
            '-j', 'DROP']
    subprocess.run(['iptables', '-A', *rule], check=True)
    yield
    subprocess.run(['iptables', '-D', *rule], check=True)


def test_syn_timeout(blackhole):
    # 2 retries: SYN at 0, 1 and 3 s, given up at 7 s.
    rc, res = run(BLACKHOLE_PORT, '--mode', 'timeout', '--syn-retries',
                  '2', '--time-limit', '20')
    assert int(res['connected']) == 0
    assert int(res['closed']) == 1
    assert int(res['tcp_connect_timeouts']) == 1
    assert int(res['tcp_retransmits']) == 2
    assert 6.5 < float(res['seconds']) < 10
    assert rc == 0
