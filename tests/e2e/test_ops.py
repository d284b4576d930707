"""test_ops.py -- the operator's pieces: the log (Redis's line format
through rte_log, loglevel at start and at run time, the events an
operator greps for), CONFIG REWRITE, the systemd unit, and redpollctl's
top, cores, cli --data and config set as seen from the data port, and
DPDK's dpdk-telemetry.py reading redpoll's telemetry.
"""
import os
import re
import shutil
import subprocess
import time

import pytest
import redis

from conftest import BUILD, IP, PORT, ROOT
from test_admin import ctl

# pid:role dd Mon yyyy hh:mm:ss.mmm <level-char> message
LINE = re.compile(r'^(\d+):([MW]) \d\d [A-Z][a-z]{2} \d{4} '
                  r'\d\d:\d\d:\d\d\.\d{3} ([.*#-]) (.*)$')


def log_lines(path):
    """The (role, level-char, message) of every line of a log file; every
    line must have Redis's prefix, but for the pmem layer's own lines
    (libc stderr, not rte_log yet: see docs/operations.md)."""
    out = []
    with open(path, errors='replace') as f:
        for line in f.read().splitlines():
            if line.startswith('pmem: '):
                continue
            m = LINE.match(line)
            assert m is not None, 'not in the log format: %r' % line
            out.append((m.group(2), m.group(3), m.group(4)))
    return out


def find(lines, text):
    """The first (role, level, message) whose message contains text."""
    for l in lines:
        if text in l[2]:
            return l
    return None


def data_client():
    return redis.Redis(host=IP, port=PORT, socket_timeout=10)


def test_log_events(fresh):
    """--logfile and --loglevel: start, recovery, CONFIG SET and
    shutdown lines, in Redis's format, from the right lcore."""
    rp = fresh()
    logfile = os.path.join(rp.workdir, 'events.log')
    rp.extra += ['--logfile', logfile, '--loglevel', 'notice']
    rp.start()
    r = data_client()
    assert r.config_set('maxmemory', '100mb')
    assert r.config_set('requirepass', 'sekret')
    r.execute_command('AUTH', 'sekret')
    assert r.config_set('requirepass', '')
    r.close()
    assert rp.stop() == 0
    rp.check_log()
    lines = log_lines(logfile)
    pid = None
    with open(logfile) as f:
        pid = f.readline().split(':')[0]
    start = find(lines, 'redpoll 0.1.0 starting')
    assert start is not None and start[:2] == ('M', '*')
    assert 'pid %s' % pid in start[2]
    ready = find(lines, 'ready: %s:%d on net_tap0' % (IP, PORT))
    assert ready is not None and ready[:2] == ('M', '*')
    assert '1 worker(s), persistence sync' in ready[2]
    assert find(lines, 'worker 0 replayed 0 records')[1] == '*'
    assert find(lines, 'worker 0 recovered 0 keys in')[:2] == ('M', '*')
    assert find(lines, 'port net_tap0: link up') is not None
    # CONFIG SET runs on the worker: 'W', the value as CONFIG GET shows.
    assert ('W', '*', 'CONFIG SET maxmemory 104857600') in lines
    # The password never reaches the log.
    assert ('W', '*', 'CONFIG SET requirepass (set)') in lines
    assert ('W', '*', 'CONFIG SET requirepass (none)') in lines
    assert 'sekret' not in open(logfile).read()
    down = find(lines, 'shutting down')
    end = find(lines, 'stopped, the log is durable')
    assert down[:2] == ('M', '*') and end[:2] == ('M', '*')
    assert lines.index(down) < lines.index(end) == len(lines) - 1
    # DPDK's INFO lines (EAL: ...) are capped by loglevel notice.
    assert not any(l[1] in '.-' for l in lines)


def test_loglevel_warning_and_run_time_change(fresh):
    """loglevel warning suppresses notice lines, DPDK's included;
    CONFIG SET loglevel changes it at once; verbose shows DPDK's INFO."""
    rp = fresh()
    logfile = os.path.join(rp.workdir, 'warn.log')
    rp.extra += ['--logfile', logfile, '--loglevel', 'warning']
    rp.start()
    r = data_client()
    assert r.config_set('maxmemory', '1mb')
    lines = log_lines(logfile)
    assert lines == [l for l in lines if l[1] == '#']
    assert find(lines, 'ready') is None
    assert find(lines, 'CONFIG SET') is None
    assert r.config_set('loglevel', 'notice')
    assert r.config_set('maxmemory', '2mb')
    assert r.config_get('loglevel') == {'loglevel': 'notice'}
    r.close()
    assert rp.stop() == 0
    rp.check_log()
    lines = log_lines(logfile)
    assert find(lines, 'CONFIG SET maxmemory 1048576') is None
    assert ('W', '*', 'CONFIG SET loglevel notice') in lines
    assert ('W', '*', 'CONFIG SET maxmemory 2097152') in lines
    assert find(lines, 'stopped, the log is durable') is not None

    # verbose: DPDK's own INFO lines (the EAL's) come through as '-'.
    os.unlink(logfile)
    rp.extra[-1] = 'verbose'
    rp.start()
    assert rp.stop() == 0
    rp.check_log()
    lines = log_lines(logfile)
    assert any(l[1] == '-' and l[2].startswith('EAL: ') for l in lines)


def wait_for(pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def test_log_link_events_without_logfile(fresh):
    """No logfile: the same lines on standard output (conftest keeps it
    in redpoll.log). The main lcore logs the port's link going down and
    up (checked once a second)."""
    rp = fresh().start()
    text = rp.read_log()
    assert re.search(r'^\d+:M .* \* redpoll 0\.1\.0 ready: ', text, re.M)
    subprocess.run(['ip', 'link', 'set', 'rp0', 'down'], check=True)
    try:
        assert wait_for(lambda: re.search(
            r'^\d+:M .* # port net_tap0: link down$', rp.read_log(), re.M))
    finally:
        subprocess.run(['ip', 'link', 'set', 'rp0', 'up'], check=True)
    assert wait_for(lambda: re.search(
        r'^\d+:M .* \* port net_tap0: link up', rp.read_log().split(
            'link down')[1], re.M))
    assert rp.stop() == 0
    rp.check_log()


def test_config_rewrite(fresh, tmp_path):
    """CONFIG REWRITE (redis-py and redpollctl) writes the --config file:
    comments and order kept, changed values in place, new ones appended;
    a restart from the file has the new values."""
    conf = tmp_path / 'redpoll.conf'
    conf.write_text('# my redpoll\n\nmaxmemory 0\ntimeout 0\n# end\n')
    os.chmod(conf, 0o640)
    rp = fresh(['--config', str(conf)]).start()
    r = data_client()
    assert r.config_set('maxmemory', '100mb')
    assert r.config_set('tcp-keepalive', '60')
    assert r.config_rewrite()
    assert r.info('server')['config_file'] == str(conf)
    text = conf.read_text()
    assert text.startswith('# my redpoll\n\nmaxmemory 100mb\ntimeout 0\n'
                           '# end\n# Generated by CONFIG REWRITE\n'), text
    # The command-line directives are written too, as Redis does.
    assert '\ntcp-keepalive 60\n' in text
    assert '\npmem-path %s\n' % rp.pmem in text
    assert '\nadmin-socket %s\n' % rp.admin in text
    assert os.stat(conf).st_mode & 0o777 == 0o640
    assert [f for f in os.listdir(tmp_path) if f != 'redpoll.conf'] == []
    # redpollctl: the same, after one more change.
    assert r.config_set('timeout', '30')
    p = ctl(rp, 'config', 'rewrite')
    assert p.stdout.strip() == 'OK'
    assert '\ntimeout 30\n# end\n' in conf.read_text()
    r.close()
    assert rp.stop() == 0
    rp.check_log()
    # The log names the rewrite.
    assert re.search(r'^\d+:W .* \* CONFIG REWRITE: %s rewritten$' %
                     re.escape(str(conf)), rp.read_log(), re.M)

    # Restarted from the file alone (conftest's arguments aside).
    rp2 = fresh(['--config', str(conf)]).start()
    r = data_client()
    assert r.config_get('maxmemory') == {'maxmemory': '104857600'}
    assert r.config_get('timeout') == {'timeout': '30'}
    r.close()
    assert rp2.stop() == 0
    rp2.check_log()


def unit_settings(path):
    """The Key=value settings of a unit file: {key: [values]}."""
    out = {}
    for line in open(path).read().splitlines():
        if line.startswith('#') or '=' not in line:
            continue
        k, v = line.split('=', 1)
        out.setdefault(k, []).append(v)
    return out


def test_systemd_unit(tmp_path):
    """deploy/redpoll.service passes systemd-analyze verify without a
    warning, with its install paths pointing at this tree's files."""
    unit = os.path.join(ROOT, 'deploy', 'redpoll.service')
    s = unit_settings(unit)
    assert s['Type'] == ['simple']
    assert s['KillSignal'] == ['SIGTERM']
    assert int(s['TimeoutStopSec'][0]) > 25      # beyond ExecStop's wait
    assert s['ExecStop'] == ['-/usr/local/bin/redpollctl shutdown --wait 25']
    pre = ' '.join(s['ExecStartPre'])
    assert '/usr/local/lib/redpoll/hugepages.sh' in pre
    assert '/usr/local/lib/redpoll/netns.sh create' in pre
    start = s['ExecStart'][0]
    assert start.startswith('/usr/bin/ip netns exec ${RP_NETNS} '
                            '/usr/local/bin/redpoll ')
    # Type=simple: redpoll must stay in the foreground.
    assert start.endswith('-- --config /etc/redpoll/redpoll.conf '
                          '--daemonize no')
    if shutil.which('systemd-analyze') is None:
        pytest.fail('systemd-analyze is missing (Debian 12 has it)')
    # Installed paths -> this tree, so that verify finds every program.
    text = open(unit).read()
    text = text.replace('/usr/local/bin/', os.path.join(BUILD, 'app') + '/')
    text = text.replace('/usr/local/lib/redpoll/',
                        os.path.join(ROOT, 'scripts') + '/')
    local = tmp_path / 'redpoll.service'
    local.write_text(text)
    progs = re.findall(r'(/\S+/(?:app/redpoll|app/redpollctl|'
                       r'hugepages\.sh|netns\.sh))\b', text)
    assert len(set(progs)) == 4, progs
    for prog in progs:
        assert os.access(prog, os.X_OK), prog
    p = subprocess.run(['systemd-analyze', 'verify', str(local)],
                       capture_output=True, text=True, timeout=60,
                       cwd=str(tmp_path))
    assert p.returncode == 0 and p.stderr == '', p.stderr
    # A broken unit is reported (the check is not blind).
    bad = tmp_path / 'bad.service'
    bad.write_text(text.replace('Type=simple', 'Type=simplex'))
    p = subprocess.run(['systemd-analyze', 'verify', str(bad)],
                       capture_output=True, text=True, timeout=60,
                       cwd=str(tmp_path))
    assert 'Failed to parse service type' in p.stderr


def test_deploy_conf_serves(fresh):
    """deploy/redpoll.conf loads and serves (the test's own paths given
    on the command line override its pmem-path and admin-socket)."""
    conf = os.path.join(ROOT, 'deploy', 'redpoll.conf')
    rp = fresh(['--config', conf]).start()
    r = data_client()
    assert r.ping()
    assert r.config_get('daemonize') == {'daemonize': 'no'}
    assert r.config_get('persistence') == {'persistence': 'sync'}
    r.close()
    assert rp.stop() == 0
    rp.check_log()
