"""test_shutdown.py -- stopping redpoll: SHUTDOWN through redpollctl and
SIGTERM are graceful (clients drained, log durable, exit 0, admin socket
removed) and keep every acknowledged write; the admin socket's path
checks; the admin socket keeps working when the data port is down.
"""
import json
import os
import signal
import socket
import subprocess
import time

import pytest
import redis

from conftest import IP, PORT
from test_admin import ctl

def test_admin_socket_path_checks(fresh, tmp_path):
    """A file that is not a socket is never replaced; a socket file left
    by a crash is."""
    bogus = tmp_path / 'plain'
    bogus.write_text('not a socket')
    rp = fresh()
    rp.admin = str(bogus)
    rp.start(wait=False)
    assert rp.proc.wait(timeout=30) != 0
    rp.proc = None
    assert 'admin-socket %s: File exists' % bogus in rp.read_log()
    assert bogus.read_text() == 'not a socket'

    stale = str(tmp_path / 'stale.sock')
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()           # the file stays, nobody listens: a crash's leftover
    rp.admin = stale
    rp.start()
    a = redis.Redis(unix_socket_path=stale, socket_timeout=10)
    assert a.ping()
    a.close()
    assert rp.stop() == 0
    assert not os.path.exists(stale)


def test_shutdown_via_redpollctl_keeps_writes(fresh):
    rp = fresh().start()
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    for i in range(500):
        r.set('key%d' % i, 'val%d' % i)
    r.incrby('ctr', 42)
    p = ctl(rp, 'shutdown')
    assert 'redpoll stopped' in p.stdout
    assert rp.proc.wait(timeout=20) == 0
    assert not os.path.exists(rp.admin)
    log = rp.read_log()
    assert 'shutting down' in log and 'the log is durable' in log
    rp.proc = None
    r.close()

    rp.start()
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    assert r.dbsize() == 501
    assert r.get('key499') == b'val499' and r.get('ctr') == b'42'
    # SHUTDOWN's arguments are checked as Redis checks them.
    with pytest.raises(redis.exceptions.ResponseError, match='syntax'):
        r.execute_command('SHUTDOWN', 'SAVE', 'NOSAVE')
    with pytest.raises(redis.exceptions.ResponseError,
                       match='No shutdown in progress'):
        r.execute_command('SHUTDOWN', 'ABORT')
    r.close()
    assert rp.stop() == 0


def test_sigterm_drains_pipelined_replies(fresh):
    """SIGTERM while a client's pipeline is in flight: every reply already
    produced reaches the client before the FIN, and each acknowledged
    write survives the restart."""
    rp = fresh().start()
    s = socket.create_connection((IP, PORT), timeout=10)
    n = 2000
    s.sendall(b''.join(b'*3\r\n$3\r\nSET\r\n$%d\r\nd%d\r\n$1\r\nx\r\n' %
                       (len(b'd%d' % i), i) for i in range(n)))
    buf = b''
    while buf.count(b'\r\n') < 10:
        buf += s.recv(65536)
    rp.proc.send_signal(signal.SIGTERM)
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break       # FIN after the queued replies: an orderly close
        buf += chunk
    s.close()
    acked = buf.count(b'+OK\r\n')
    assert buf == b'+OK\r\n' * acked and acked >= 10
    assert rp.proc.wait(timeout=20) == 0
    rp.proc = None

    rp.start()
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    for i in range(acked):
        assert r.get('d%d' % i) == b'x', i
    r.close()
    assert rp.stop() == 0


def test_admin_works_with_port_down(fresh):
    rp = fresh().start()
    subprocess.run(['ip', 'link', 'set', 'rp0', 'down'], check=True)
    try:
        a = redis.Redis(unix_socket_path=rp.admin, socket_timeout=10)
        assert a.set('while_down', '1')
        assert a.get('while_down') == b'1'
        a.close()
        time.sleep(0.5)
        assert ctl(rp, 'ports').returncode == 0
    finally:
        subprocess.run(['ip', 'link', 'set', 'rp0', 'up'], check=True)
    assert rp.stop() == 0


def test_redpollctl_snapshot(fresh, tmp_path):
    """redpollctl snapshot writes an RDB file that Debian's redis-server
    loads with every value."""
    rp = fresh(['--dir', str(tmp_path), '--dbfilename', 'snap.rdb']).start()
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    r.set('s', 'v')
    r.rpush('l', 'a', 'b')
    r.hset('h', mapping={'f': '1'})
    out = json.loads(ctl(rp, '--json', 'snapshot', 'export').stdout)
    assert out['path'] == '%s/snap.rdb' % tmp_path and out['ms'] >= 0
    assert 'exported' in ctl(rp, 'snapshot', 'export').stdout
    # In the background: start, then wait until it is done.
    for i in range(5000):
        r.set('bulk:%d' % i, 'x' * 100)
    assert ctl(rp, 'snapshot').stdout.strip() == 'Background saving started'
    again = ctl(rp, 'snapshot', check=False)      # unless it is done
    assert again.returncode == 0 or 'already in progress' in again.stderr
    done = ctl(rp, 'snapshot', 'wait')
    assert done.returncode == 0, done.stderr
    assert 'no snapshot running; last: ok' in done.stdout
    prog = json.loads(ctl(rp, '--json', 'snapshot', 'progress').stdout)
    assert prog['running'] is False and prog['last_status'] == 'ok'
    assert prog['snapshots'] >= 3 and int(prog['last_keys']) == 5003
    assert ctl(rp, 'snapshot', 'bogus', check=False).returncode == 2
    r.close()
    assert rp.stop() == 0
    sock = str(tmp_path / 'redis.sock')
    srv = subprocess.Popen(['redis-server', '--port', '0', '--unixsocket',
                            sock, '--dir', str(tmp_path), '--dbfilename',
                            'snap.rdb', '--save', ''],
                           stdout=subprocess.DEVNULL)
    try:
        c = redis.Redis(unix_socket_path=sock, socket_timeout=10)
        for _ in range(100):
            try:
                c.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        assert c.get('s') == b'v'
        assert c.lrange('l', 0, -1) == [b'a', b'b']
        assert c.hgetall('h') == {b'f': b'1'}
        c.close()
    finally:
        srv.terminate()
        srv.wait(timeout=20)
