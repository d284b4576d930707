"""test_ctl.py -- redpollctl as an operator uses it on a running redpoll:
top rendered in a terminal (tmux), cores counting a redis-benchmark run,
config set seen from the data port, config rewrite without a file, cli
interactive on the admin socket and cli --data on the data port, and
DPDK's dpdk-telemetry.py reading redpoll's /redpoll/info.
"""
import json
import os
import subprocess
import time

import pytest
import redis

from conftest import IP, PORT
from test_admin import CTL, ctl


def data_client():
    return redis.Redis(host=IP, port=PORT, socket_timeout=10)


class Tmux:
    """A private tmux server (its own socket name): only it is ever
    killed, never another server or session."""

    def __init__(self):
        self.sock = 'rpctl%d' % os.getpid()
        self.env = dict(os.environ, TERM='xterm-256color')

    def run(self, *args, check=True):
        return subprocess.run(['tmux', '-L', self.sock, *args],
                              capture_output=True, text=True, timeout=30,
                              env=self.env, check=check)

    def screen(self, session):
        return self.run('capture-pane', '-p', '-t', session).stdout

    def wait_screen(self, session, *texts, timeout=10):
        deadline = time.time() + timeout
        while True:
            screen = self.screen(session)
            if all(t in screen for t in texts) or time.time() > deadline:
                return screen
            time.sleep(0.2)

    def kill(self):
        """Stop this private server and remove its socket file."""
        self.run('kill-server', check=False)
        path = os.path.join(os.environ.get('TMUX_TMPDIR', '/tmp'),
                            'tmux-%d' % os.getuid(), self.sock)
        if os.path.exists(path):
            os.unlink(path)


@pytest.fixture
def tmux():
    t = Tmux()
    yield t
    t.kill()


def test_top_renders_in_a_terminal(server, tmux):
    tmux.run('new-session', '-d', '-s', 'rptop', '-x', '120', '-y', '40',
             '%s -s %s top' % (CTL, server.admin))
    screen = tmux.wait_screen('rptop', 'ops/s', 'worker', 'commands',
                              'busy%')
    for heading in ('ops/s', 'worker', 'commands', 'busy%', 'admin_reqs',
                    'conns'):
        assert heading in screen, screen
    # Redrawn every second: the total of commands moves (top's own INFO
    # requests count).
    first = [l for l in screen.splitlines() if 'ops/s' in l][0]
    time.sleep(2.5)
    again = [l for l in tmux.screen('rptop').splitlines()
             if 'ops/s' in l][0]
    assert first != again
    tmux.run('kill-session', '-t', 'rptop')


def test_cli_interactive_on_admin_socket(server, tmux):
    """cli without arguments is redis-cli's interactive mode on the
    admin socket."""
    tmux.run('new-session', '-d', '-s', 'rpcli', '-x', '120', '-y', '20',
             '%s -s %s cli' % (CTL, server.admin))
    prompt = 'redis %s>' % server.admin
    assert prompt in tmux.wait_screen('rpcli', prompt)
    tmux.run('send-keys', '-t', 'rpcli', 'SET interactive yes', 'Enter')
    # One line at a time: the next is typed at the next prompt.
    assert 'OK' in tmux.wait_screen('rpcli', 'OK')
    tmux.run('send-keys', '-t', 'rpcli', 'GET interactive', 'Enter')
    screen = tmux.wait_screen('rpcli', '"yes"')
    assert 'OK' in screen and '"yes"' in screen, screen
    tmux.run('send-keys', '-t', 'rpcli', 'quit', 'Enter')
    r = data_client()
    assert r.get('interactive') == b'yes'
    r.delete('interactive')
    r.close()


def cores(rp):
    return json.loads(ctl(rp, '--json', 'cores').stdout)[0]['commands']


def test_cores_count_a_benchmark(server):
    before = cores(server)
    bench = subprocess.Popen(
        ['redis-benchmark', '-h', IP, '-p', str(PORT), '-t', 'set',
         '-n', '20000', '-c', '1', '-q'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    during = []
    while bench.poll() is None:
        v = cores(server)
        if bench.poll() is None:
            during.append(v)
        time.sleep(0.05)
    out = bench.communicate(timeout=60)[0]
    assert bench.returncode == 0, out
    after = cores(server)
    assert after >= before + 20000
    # Samples taken while it ran saw the count rise.
    inside = [v for v in during if before < v < after]
    assert len(set(inside)) >= 2, (before, during, after)
    assert inside == sorted(inside)


def test_config_set_seen_on_data_port(server):
    r = data_client()
    try:
        p = ctl(server, 'config', 'set', 'maxmemory', '100mb')
        assert p.stdout.strip() == 'OK'
        assert r.config_get('maxmemory') == {'maxmemory': '104857600'}
        p = ctl(server, 'config', 'get', 'maxmemory')
        assert p.stdout.split() == ['maxmemory', '104857600']
    finally:
        ctl(server, 'config', 'set', 'maxmemory', '0')
    assert r.config_get('maxmemory') == {'maxmemory': '0'}
    r.close()


def test_config_rewrite_without_file(server):
    r = data_client()
    with pytest.raises(redis.ResponseError,
                       match='The server is running without a config file'):
        r.config_rewrite()
    r.close()
    p = ctl(server, 'config', 'rewrite', check=False)
    assert p.returncode == 1
    assert 'ERR The server is running without a config file' in p.stderr
    assert ctl(server, 'config', 'rewrite', 'x', check=False).returncode == 2


def test_cli_data(server):
    """cli --data runs redis-cli against bind-ip:port read through the
    socket; a one-shot command and its reply."""
    p = ctl(server, 'cli', '--data', 'SET', 'viadata', 'v1')
    assert p.stdout.strip() == 'OK'
    r = data_client()
    assert r.get('viadata') == b'v1'
    p = ctl(server, 'cli', '--data', 'CLIENT', 'INFO')
    # A TCP client of the data port, not a client of the admin socket.
    assert 'laddr=%s:%d' % (IP, PORT) in p.stdout, p.stdout
    # With requirepass set, the password reaches redis-cli (by
    # REDISCLI_AUTH, not on its command line).
    ctl(server, 'config', 'set', 'requirepass', 'dataPW')
    try:
        p = ctl(server, 'cli', '--data', 'GET', 'viadata')
        assert p.stdout.strip() == 'v1'
    finally:
        ctl(server, 'config', 'set', 'requirepass', '')
    r.delete('viadata')
    r.close()
    # Unreachable socket: exit code 3, nothing run.
    p = subprocess.run([CTL, '-s', '/nonexistent/sock', 'cli', '--data',
                        'PING'], capture_output=True, text=True, timeout=30)
    assert p.returncode == 3 and p.stdout == ''


def test_dpdk_telemetry_reads_redpoll_info(server):
    prefix = 'rpe2e%d' % os.getpid()
    p = subprocess.run(['dpdk-telemetry.py', '-f', prefix],
                       input='/redpoll/info\n/redpoll/workers,0\n',
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    replies = {}
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith('{'):
            replies.update(json.loads(line))
    info = replies['/redpoll/info']
    assert info['workers'] == 1
    assert info['version'] == '0.1.0'
    assert '/redpoll/workers' in replies
