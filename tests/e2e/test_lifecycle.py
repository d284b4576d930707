"""test_lifecycle.py -- start, stop, crash and recovery, bad
configuration. Each test starts its own redpoll (the `fresh` fixture)."""
import os
import re
import signal
import subprocess

import redis

from conftest import BUILD, IP, PORT


def client():
    return redis.Redis(host=IP, port=PORT, socket_timeout=10)


def test_acknowledged_writes_survive_kill9(fresh):
    rp = fresh().start()
    c = client()
    for i in range(2000):
        assert c.set('key:%d' % i, 'value:%d' % i)
    assert c.incrby('counter', 7) == 7
    assert c.set('volatile', 'x', px=600000)
    assert c.delete('key:0') == 1
    c.close()
    rp.stop(signal.SIGKILL)          # a crash: no clean shutdown

    rp.start()
    c = client()
    assert c.dbsize() == 2001
    assert c.get('key:0') is None
    assert c.get('key:1999') == b'value:1999'
    assert c.get('counter') == b'7'
    assert 0 < c.pttl('volatile') <= 600000
    c.close()
    assert rp.stop() == 0
    rp.check_log()


def test_persistence_off_starts_empty(fresh):
    rp = fresh(['--persistence', 'off']).start()
    c = client()
    c.set('a', '1')
    c.close()
    rp.stop(signal.SIGKILL)
    rp.start()
    c = client()
    assert c.dbsize() == 0
    c.close()
    assert rp.stop() == 0


def test_flushall_is_durable(fresh):
    rp = fresh().start()
    c = client()
    c.mset({'a': 1, 'b': 2})
    c.flushall()
    c.set('c', 3)
    c.close()
    rp.stop(signal.SIGKILL)
    rp.start()
    c = client()
    assert c.keys('*') == [b'c']
    c.close()
    assert rp.stop() == 0


def run_redpoll(args):
    return subprocess.run([os.path.join(BUILD, 'app', 'redpoll'), *args],
                          capture_output=True, text=True, timeout=30)


def test_help_and_version():
    out = run_redpoll(['--help'])
    assert out.returncode == 0 and 'usage: redpoll' in out.stdout
    out = run_redpoll(['--version'])
    assert out.returncode == 0 and out.stdout.startswith('redpoll ')


def test_bad_config_refused_with_line(tmp_path):
    conf = tmp_path / 'bad.conf'
    conf.write_text('# a comment\nport 6379\nprot 7000\n')
    out = run_redpoll(['--', '--config', str(conf)])
    assert out.returncode != 0
    assert "bad.conf:3: unknown directive 'prot'" in out.stderr, out.stderr


def test_bad_value_on_command_line():
    out = run_redpoll(['--', '--port', '99999'])
    assert out.returncode != 0
    assert 'command line' in out.stderr and 'port' in out.stderr, out.stderr


def test_no_port_is_a_clear_error():
    out = run_redpoll(['-l', '0-1', '--no-huge', '-m', '256', '--no-pci',
                       '--file-prefix=rpnoport', '--', '--persistence',
                       'off'])
    assert out.returncode != 0
    # Once the configuration is read, errors go to the log (standard
    # output without a logfile), as a warning-level line.
    assert re.search(r'^\d+:M .* # no ethdev port: ', out.stdout,
                     re.M), out.stdout + out.stderr


def test_corrupt_log_refused_then_repaired(fresh):
    rp = fresh().start()
    c = client()
    for i in range(100):
        c.set('k%d' % i, 'v' * 100)
    c.close()
    assert rp.stop() == 0
    # Damage the first record's payload: intact records follow it, so
    # this is corruption in the middle of acknowledged data.
    path = os.path.join(rp.pmem, 'redpoll-0.pmem')
    with open(path, 'r+b') as f:
        f.seek(4096 + 16 + 3)
        b = f.read(1)
        f.seek(4096 + 16 + 3)
        f.write(bytes([b[0] ^ 0xff]))
    rp.start(wait=False)
    assert rp.proc.wait(timeout=30) != 0
    rp.proc = None
    assert 'in the middle of the log' in rp.read_log()
    rp.start(['--pmem-repair', 'yes'])
    c = client()
    assert c.dbsize() == 0          # truncated at the damage
    assert c.set('after', 'repair')
    c.close()
    assert rp.stop() == 0
