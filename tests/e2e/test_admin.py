"""test_admin.py -- the operator's console on a running redpoll: the
admin Unix socket (RESP, redis-cli -s, pipelining, errors) and
redpollctl's commands, exit codes and JSON. Stops and restarts are in
test_shutdown.py.
"""
import json
import os
import socket
import stat
import subprocess

import pytest
import redis

from conftest import BUILD, IP, PORT

CTL = os.path.join(BUILD, 'app', 'redpollctl')


def ctl(rp, *args, check=True):
    p = subprocess.run([CTL, '-s', rp.admin, *args], capture_output=True,
                       text=True, timeout=30)
    if check:
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return p


def unix_call(path, payload, n_replies):
    """Send raw bytes on the admin socket; read n_replies simple lines."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(payload)
    buf = b''
    while buf.count(b'\r\n') < n_replies:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf


def test_socket_mode_and_redis_cli(server):
    st = os.stat(server.admin)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600
    out = subprocess.run(['redis-cli', '-s', server.admin, 'SET', 'adm',
                          'v1'], capture_output=True, text=True, timeout=10)
    assert out.stdout.strip() == 'OK'
    # The same shard: the data port sees the write.
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    assert r.get('adm') == b'v1'
    r.close()
    a = redis.Redis(unix_socket_path=server.admin, socket_timeout=10)
    assert a.incr('admctr') == 1
    assert a.incr('admctr') == 2
    assert a.client_list()[0]['flags'] == 'U'
    a.close()


def test_pipeline_order_and_errors(server):
    reqs = b''.join(b'*3\r\n$6\r\nINCRBY\r\n$2\r\npo\r\n$1\r\n1\r\n'
                    for _ in range(200))
    out = unix_call(server.admin, b'DEL po\r\n' + reqs + b'GET po\r\n',
                    202)
    lines = out.split(b'\r\n')
    assert lines[0] in (b':0', b':1')
    assert lines[1:201] == [b':%d' % i for i in range(1, 201)]
    assert lines[201:203] == [b'$3', b'200']
    # Admin commands run on the main lcore, between shard requests.
    out = unix_call(server.admin, b'PING\r\nADMIN NOPE\r\nPING\r\n', 3)
    assert out == (b'+PONG\r\n-ERR unknown subcommand or wrong number of '
                   b"arguments for 'NOPE'. Try ADMIN HELP.\r\n+PONG\r\n")
    # A protocol error is answered as Redis does, then the socket closes.
    out = unix_call(server.admin, b'*1\r\n$x\r\n', 1)
    assert out == b'-ERR Protocol error: invalid bulk length\r\n'
    # A client that leaves mid-request does not disturb the others.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(server.admin)
    s.sendall(b'*2\r\n$3\r\nGET\r\n$10\r\nabc')
    s.close()
    assert unix_call(server.admin, b'PING\r\n', 1) == b'+PONG\r\n'


def test_no_password_on_admin_socket(server):
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    r.config_set('requirepass', 'sekret')
    try:
        # The data port needs AUTH; the admin socket is guarded by its
        # file permissions instead.
        r2 = redis.Redis(host=IP, port=PORT, socket_timeout=10)
        with pytest.raises(redis.exceptions.AuthenticationError):
            r2.get('x')
        r2.close()
        a = redis.Redis(unix_socket_path=server.admin, socket_timeout=10)
        assert a.ping()
        a.close()
    finally:
        a = redis.Redis(unix_socket_path=server.admin, socket_timeout=10)
        a.config_set('requirepass', '')
        a.close()
        r.close()


def test_redpollctl_commands(server):
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    r.flushall()
    r.mset({'k1': 'a', 'k2': 'b', 'k3': 'c'})
    st = json.loads(ctl(server, '--json', 'status').stdout)
    assert st['keys'] == 3
    assert st['workers'] == 1
    assert st['persistence'] == 'sync'
    assert st['port'] == 'net_tap0' and st['link'] in ('up', 'down')
    assert st['connected_clients'] >= 1
    human = ctl(server, 'status').stdout
    assert 'keys         3' in human and 'persistence  sync' in human

    cores = json.loads(ctl(server, '--json', 'cores').stdout)
    assert len(cores) == 1 and cores[0]['worker'] == 0
    assert cores[0]['connections'] >= 1
    assert 0 <= cores[0]['busy_pct'] <= 100
    assert cores[0]['admin_requests'] > 0

    ports = json.loads(ctl(server, '--json', 'ports').stdout)
    assert ports['driver'] == 'net_tap'
    assert ports['rx_packets'] > 0 and ports['tx_packets'] > 0

    r.client_setname('watched')
    conns = json.loads(ctl(server, '--json', 'conns').stdout)
    names = [c['name'] for c in conns]
    assert 'watched' in names
    only = json.loads(ctl(server, '--json', 'conns', 'name=watched').stdout)
    assert [c['name'] for c in only] == ['watched']
    assert only[0]['addr'].startswith('198.18.0.2:')
    r.close()

    assert ctl(server, 'config', 'get', 'maxclients').stdout.split() == [
        'maxclients', '10000']
    ctl(server, 'config', 'set', 'timeout', '600')
    assert json.loads(ctl(server, '--json', 'config', 'get',
                          'timeout').stdout) == {'timeout': '600'}
    ctl(server, 'config', 'set', 'timeout', '0')

    info = json.loads(ctl(server, '--json', 'info', 'keyspace').stdout)
    assert info['db0'].startswith('keys=3,')
    top = ctl(server, '--json', 'top', '--count', '2').stdout.splitlines()
    assert len(top) == 2 and 'ops_per_sec' in json.loads(top[1])
    assert ctl(server, 'cli', 'GET', 'k1').stdout.strip() == 'a'
    assert 'usage: redpollctl' in ctl(server, 'status', '--help').stdout


def test_redpollctl_exit_codes(server, tmp_path):
    p = ctl(server, 'config', 'set', 'timeout', 'abc', check=False)
    assert p.returncode == 1
    assert "argument couldn't be parsed into an integer" in p.stderr
    assert ctl(server, 'nosuch', check=False).returncode == 2
    assert ctl(server, 'config', 'get', check=False).returncode == 2
    assert ctl(server, 'top', '--count', '0', check=False).returncode == 2
    p = subprocess.run([CTL, '-s', str(tmp_path / 'none.sock'), 'status'],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 3 and 'cannot connect' in p.stderr
    p = subprocess.run([CTL], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2


def telemetry(cmd):
    path = '/var/run/dpdk/rpe2e%d/dpdk_telemetry.v2' % os.getpid()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    json.loads(s.recv(16384))          # the greeting
    s.send(cmd.encode())
    out = json.loads(s.recv(65536))
    s.close()
    return out


def test_dpdk_telemetry(server):
    info = telemetry('/redpoll/info')['/redpoll/info']
    assert info == {'version': '0.1.0', 'workers': 1}
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    before = telemetry('/redpoll/workers,0')['/redpoll/workers']
    for _ in range(10):
        r.ping()
    after = telemetry('/redpoll/workers')['/redpoll/workers']
    assert after['commands'] >= before['commands'] + 10
    assert after['connections'] >= 1 and after['lcore'] == 1
    net = telemetry('/redpoll/net,0')['/redpoll/net']
    assert net['tcp_connections'] >= 1
    assert net['net_rx_packets'] > 0 and 'tcp_passive_opens' in net
    assert telemetry('/redpoll/workers,5')['/redpoll/workers'] is None
    r.close()


def test_slowlog_records_slow_command(server):
    r = redis.Redis(host=IP, port=PORT, socket_timeout=30)
    r.flushall()
    r.config_set('slowlog-log-slower-than', '1000')     # 1 ms
    r.slowlog_reset()
    # A slow command: KEYS over 200k keys takes well over 1 ms.
    pipe = r.pipeline(transaction=False)
    for i in range(200000):
        pipe.set('slow:%d' % i, 'x')
        if i % 10000 == 9999:
            pipe.execute()
    r.slowlog_reset()
    assert len(r.keys('slow:*')) == 200000
    entries = r.slowlog_get(10)
    assert [e['command'] for e in entries] == [b'KEYS slow:*']
    assert entries[0]['duration'] >= 1000
    assert r.slowlog_len() == 1
    log = json.loads(ctl(server, '--json', 'slowlog').stdout)
    assert [e['args'] for e in log] == [['KEYS', 'slow:*']]
    assert log[0]['client'].startswith('198.18.0.2:')
    human = ctl(server, 'slowlog', 'get', '5').stdout
    assert 'KEYS slow:*' in human
    assert ctl(server, 'slowlog', 'len').stdout.strip() == '1'
    assert ctl(server, 'slowlog', 'reset').stdout.strip() == 'OK'
    assert r.slowlog_len() == 0

    # The latency monitor sees the same command as an event.
    r.config_set('latency-monitor-threshold', '1')
    r.keys('slow:*')
    latest = r.execute_command('LATENCY', 'LATEST')
    assert latest[0][0] == b'command' and latest[0][2] >= 1
    table = ctl(server, 'latency', 'latest').stdout
    assert table.splitlines()[0].split() == ['event', 'time', 'last_ms',
                                             'max_ms']
    assert 'command' in table
    assert 'command: 1 latency spikes' in ctl(server, 'latency',
                                             'doctor').stdout
    hist = json.loads(ctl(server, '--json', 'latency', 'histogram',
                          'keys').stdout)
    assert hist[0] == 'keys' and hist[1][0:2] == ['calls', 2]
    assert ctl(server, 'latency', 'reset').stdout.strip() == '1'
    assert ctl(server, 'latency', 'nope', check=False).returncode == 2
    r.config_set('latency-monitor-threshold', '0')
    r.config_set('slowlog-log-slower-than', '10000')

    info = r.info('commandstats')
    assert info['cmdstat_keys']['calls'] == 2
    assert 'latency_percentiles_usec_keys' in r.info('latencystats')
    r.flushall()
    r.close()


def test_cores_move_under_redis_benchmark(server):
    before = json.loads(ctl(server, '--json', 'cores').stdout)[0]
    out = subprocess.run(['redis-benchmark', '-h', IP, '-p', str(PORT),
                          '-n', '20000', '-c', '10', '-P', '8', '-t',
                          'set,get', '-q'], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    after = json.loads(ctl(server, '--json', 'cores').stdout)[0]
    assert after['commands'] >= before['commands'] + 40000
    assert after['keys'] >= 1 and after['used_memory'] > 0


def test_client_kill(server):
    # A raw connection, so that no client library reconnects behind us.
    victim = socket.create_connection((IP, PORT), timeout=10)
    victim.sendall(b'CLIENT ID\r\n')
    vid = int(victim.recv(64).strip()[1:])
    killer = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    assert killer.execute_command('CLIENT', 'KILL', 'ID', vid) == 1
    assert victim.recv(64) == b''          # closed by redpoll
    victim.close()
    # The old form by address; SKIPME protects the caller by default.
    v2 = socket.create_connection((IP, PORT), timeout=10)
    v2.sendall(b'CLIENT INFO\r\n')
    info = v2.recv(4096).decode()
    addr = info.split('addr=')[1].split()[0]
    assert killer.execute_command('CLIENT', 'KILL', addr) == b'OK'
    assert v2.recv(64) == b''
    v2.close()
    with pytest.raises(redis.exceptions.ResponseError,
                       match='No such client'):
        killer.execute_command('CLIENT', 'KILL', addr)
    me = killer.client_id()
    assert killer.execute_command('CLIENT', 'KILL', 'ID', me) == 0
    assert killer.ping()
    # From the admin socket: every data-port client.
    a = redis.Redis(unix_socket_path=server.admin, socket_timeout=10)
    assert a.execute_command('CLIENT', 'KILL', 'TYPE', 'normal') >= 1
    a.close()
    killer.close()


def monitor_lines(addr, unix=None, n=0):
    """Start MONITOR on a raw connection; return (socket, reader)."""
    if unix:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(unix)
    else:
        s = socket.create_connection(addr, timeout=10)
    s.settimeout(10)
    s.sendall(b'MONITOR\r\n')
    first = s.recv(64)
    return s, first


def test_monitor_matches_redis(server, oracle):
    import re
    cmds = [['SET', 'mk', 'a b\n"q"\\'], ['GET', 'mk'],
            ['HSET', 'h', 'f', '\x01\x7f'], ['SELECT', '3'], ['PING']]
    got = []
    for addr in (oracle, (IP, PORT)):
        mon, first = monitor_lines(addr)
        assert first == b'+OK\r\n'
        c = redis.Redis(host=addr[0], port=addr[1], socket_timeout=10)
        for cmd in cmds:
            c.execute_command(*cmd)
        buf = b''
        while buf.count(b"\r\n") < len(cmds):
            buf += mon.recv(65536)
        c.close()
        mon.close()
        lines = [re.sub(rb'^\+\d+\.\d{6} \[(\d+) [^\]]*\]', rb'[\1]', l)
                 for l in buf.split(b'\r\n') if l]
        # Redis may feed the client's HELLO/CLIENT handshake: keep ours.
        got.append([l for l in lines if re.match(
            rb'\[\d+\] "(SET|GET|HSET|SELECT|PING)"', l)])
    assert got[0] == got[1], got
    assert got[1][0] == rb'[0] "SET" "mk" "a b\n\"q\"\\"'
    assert got[1][2] == rb'[0] "HSET" "h" "f" "\x01\x7f"'
    # Not on the admin socket (its replies travel with its requests).
    s, first = monitor_lines(None, unix=server.admin)
    assert first.startswith(b'-ERR MONITOR is not available')
    s.close()


def test_info_dataplane(server):
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    d = r.info('dataplane')
    assert d['port_driver'] == 'net_tap' and d['port_link'] == 'up'
    assert d['port_rx_packets'] > 0
    assert d['tcp_segs_rx'] > 0 and d['net_rx_packets'] > 0
    assert d['workers'] == 1 and d['worker0_iterations'] > 0
    r.close()
