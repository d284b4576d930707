"""test_net.py -- Linux talks to redpoll's own stack: ARP, ICMP, TCP."""
import re
import socket
import subprocess

import pytest

from conftest import IP, PORT, raw_connect


@pytest.fixture(scope='module')
def server(nserver):
    """Every test of this module runs against 1, 2 and 3 workers."""
    return nserver


def test_ping(server):
    out = subprocess.run(['ping', '-c', '3', '-i', '0.2', '-W', '2', IP],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert '3 received' in out.stdout


def test_ping_large_payload(server):
    # 1400 bytes of payload: echoed intact (no fragmentation below MTU).
    out = subprocess.run(['ping', '-c', '2', '-s', '1400', '-W', '2', IP],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
    assert '2 received' in out.stdout


def test_arp_resolved(server):
    subprocess.run(['ping', '-c', '1', '-W', '2', IP], capture_output=True)
    neigh = subprocess.run(['ip', 'neigh', 'show', IP], capture_output=True,
                           text=True).stdout
    assert re.search(r'lladdr ([0-9a-f]{2}:){5}[0-9a-f]{2}', neigh), neigh


def test_closed_port_refused(server):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((IP, PORT + 1))
        assert False, 'connect to a closed port succeeded'
    except ConnectionRefusedError:
        pass
    finally:
        s.close()


def test_many_connections(server):
    socks = [raw_connect() for _ in range(200)]
    for s in socks:
        s.sendall(b'PING\r\n')
    for s in socks:
        assert s.recv(64) == b'+PONG\r\n'
    for s in socks:
        s.close()


def test_half_close_gets_replies(server):
    s = raw_connect()
    s.sendall(b'*1\r\n$4\r\nPING\r\n')
    s.shutdown(socket.SHUT_WR)
    data = b''
    while True:
        chunk = s.recv(64)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data == b'+PONG\r\n'
