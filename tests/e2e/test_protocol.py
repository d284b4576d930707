"""test_protocol.py -- RESP over redpoll's TCP, raw bytes on a socket:
pipelining, requests split at every byte boundary, inline commands and
protocol errors, each compared with Debian's redis-server."""
import socket
import time

import pytest

from conftest import IP, PORT, raw_connect


@pytest.fixture(scope='module')
def server(nserver):
    """Every test of this module runs against 1, 2 and 3 workers."""
    return nserver

PIPELINE = (b'*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n'
            b'*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'
            b'PING\r\n'
            b'*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n'
            b'ECHO "quoted \\x41 arg"\r\n'
            b'*1\r\n$4\r\nPING\r\n')
PIPELINE_REPLY = (b'+OK\r\n$5\r\nhello\r\n+PONG\r\n$4\r\na\r\nb\r\n'
                  b'$12\r\nquoted A arg\r\n+PONG\r\n')


def recv_exact(s, n, timeout=5):
    s.settimeout(timeout)
    data = b''
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def recv_until_close(s, timeout=5):
    s.settimeout(timeout)
    data = b''
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def test_pipeline_one_write(server):
    s = raw_connect()
    s.sendall(PIPELINE)
    assert recv_exact(s, len(PIPELINE_REPLY)) == PIPELINE_REPLY
    s.close()


@pytest.mark.parametrize('split', range(1, len(PIPELINE)))
def test_pipeline_split_at_every_byte(server, split):
    s = raw_connect()
    s.sendall(PIPELINE[:split])
    time.sleep(0.002)     # two segments, not one
    s.sendall(PIPELINE[split:])
    assert recv_exact(s, len(PIPELINE_REPLY)) == PIPELINE_REPLY
    s.close()


def test_pipeline_byte_by_byte(server):
    s = raw_connect()
    for i in range(len(PIPELINE)):
        s.send(PIPELINE[i:i + 1])
    assert recv_exact(s, len(PIPELINE_REPLY)) == PIPELINE_REPLY
    s.close()


def test_deep_pipeline(server):
    n = 5000
    s = raw_connect()
    s.sendall(b'*1\r\n$4\r\nPING\r\n' * n)
    assert recv_exact(s, 7 * n, timeout=20) == b'+PONG\r\n' * n
    s.close()


BAD = [
    b'*3\r\n$3\r\nSET\r\n$1\r\nk\r\nxx\r\n',      # expected '$', got 'x'
    b'*-5\r\nPING\r\n',                          # negative count: skipped
    b'*abc\r\n',                                 # invalid multibulk length
    b'*2000000\r\n',                             # count over 1024*1024
    b'*1\r\n$abc\r\n',                           # invalid bulk length
    b'*1\r\n$-1\r\n',                            # negative bulk length
    b'*1\r\n$600000000\r\n',                     # over proto-max-bulk-len
    b'SET k "unbalanced\r\n',                    # unbalanced quotes
    b'ECHO "a"b\r\n',                            # quote not followed by space
    b'PING\r\n*1\r\n$4\r\nPING\r\nQUIT\r\nPING\r\n',  # QUIT closes
    b'\r\n\r\nPING\r\n',                         # empty lines skipped
    b'NOSUCHCMD a b\r\n',                        # unknown command
    b'*' + b'1' * 70000,                         # too big mbulk count string
    b'A' * 70000,                                # too big inline request
]


def exchange(addr, data):
    s = socket.create_connection(addr, timeout=5)
    s.sendall(data)
    # Either the server closes (protocol error, QUIT) or we stop reading
    # after a pause: what matters is the same bytes from both.
    s.settimeout(1.0)
    out = b''
    closed = False
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        out += chunk
    s.close()
    return out, closed


@pytest.mark.parametrize('data', BAD, ids=range(len(BAD)))
def test_bad_input_like_redis(server, oracle, data):
    want = exchange(oracle, data)
    got = exchange((IP, PORT), data)
    assert got == want
    # The server is still healthy afterwards.
    s = raw_connect()
    s.sendall(b'PING\r\n')
    assert recv_exact(s, 7) == b'+PONG\r\n'
    s.close()
