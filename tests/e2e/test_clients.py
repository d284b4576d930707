"""test_clients.py -- stock clients: redis-cli for each command family, a
python3-redis session, values from 1 B to 8 MiB, redis-benchmark."""
import os
import re
import subprocess

import pytest
import redis

from conftest import BUILD, IP, PORT


@pytest.fixture(scope='module')
def server(nserver):
    """Every test of this module runs against 1, 2 and 3 workers."""
    return nserver


def cli(*args, stdin=None):
    out = subprocess.run(['redis-cli', '-h', IP, '-p', str(PORT), *args],
                         input=stdin, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_cli_strings(r):
    assert cli('SET', 'greeting', 'hello') == 'OK'
    assert cli('APPEND', 'greeting', ' world') == '11'
    assert cli('GET', 'greeting') == 'hello world'
    assert cli('GETRANGE', 'greeting', '0', '4') == 'hello'
    assert cli('INCR', 'n') == '1'
    assert cli('INCRBY', 'n', '41') == '42'
    assert cli('INCRBYFLOAT', 'n', '0.5') == '42.5'
    assert cli('MSET', 'a', '1', 'b', '2') == 'OK'
    assert cli('MGET', 'a', 'b', 'nokey') == '1\n2'
    assert cli('SET', 'a', 'x', 'NX') == ''
    assert cli('STRLEN', 'greeting') == '11'


def test_cli_keys(r):
    cli('MSET', 'k1', 'v', 'k2', 'v', 'other', 'v')
    assert cli('EXISTS', 'k1', 'k2', 'nope') == '2'
    assert sorted(cli('KEYS', 'k*').split()) == ['k1', 'k2']
    assert cli('EXPIRE', 'k1', '100') == '1'
    assert 0 < int(cli('TTL', 'k1')) <= 100
    assert cli('PERSIST', 'k1') == '1'
    assert cli('TTL', 'k1') == '-1'
    assert cli('RENAME', 'k2', 'k3') == 'OK'
    assert cli('TYPE', 'k3') == 'string'
    assert cli('DEL', 'k1', 'k3') == '2'
    assert cli('DBSIZE') == '1'
    assert cli('SELECT', '99') == 'ERR DB index is out of range'


def test_cli_server(r):
    assert cli('PING') == 'PONG'
    assert cli('ECHO', 'hi') == 'hi'
    info = cli('INFO')
    assert 'redis_version:' in info and 'connected_clients:' in info
    assert re.search(r'^\d+\n\d+$', cli('TIME'))
    assert cli('CONFIG', 'GET', 'port') == 'port\n6379'
    assert cli('CLIENT', 'SETNAME', 'me') == 'OK'


def test_cli_pipe_mode(r):
    cmds = ''.join('SET key:%d %d\n' % (i, i) for i in range(1000))
    out = subprocess.run(['redis-cli', '-h', IP, '--pipe'], input=cmds,
                         capture_output=True, text=True, timeout=30)
    assert 'errors: 0, replies: 1000' in out.stdout, out.stdout
    assert r.dbsize() == 1000


def test_redis_py_session(r):
    assert r.set('user:1', 'ada')
    assert r.get('user:1') == b'ada'
    assert r.setex('session', 60, 'tok')
    assert 0 < r.ttl('session') <= 60
    assert r.incr('visits') == 1
    assert r.incrby('visits', 10) == 11
    assert r.mget('user:1', 'nope', 'visits') == [b'ada', None, b'11']
    assert r.getset('user:1', 'grace') == b'ada'
    assert r.getdel('user:1') == b'grace'
    assert r.exists('user:1') == 0
    p = r.pipeline(transaction=False)
    for i in range(100):
        p.set('p%d' % i, i)
    p.get('p99')
    assert p.execute()[-1] == b'99'
    assert sorted(r.scan_iter(match='p9*')) == sorted(
        [b'p9'] + [b'p9%d' % i for i in range(10)])
    with pytest.raises(redis.exceptions.ResponseError) as e:
        r.execute_command('INCR', 'session')
    assert 'not an integer' in str(e.value)


@pytest.mark.parametrize('size', [1, 1024, 64 * 1024, 8 * 1024 * 1024])
def test_value_round_trip(r, size):
    value = os.urandom(size)
    assert r.set('blob', value)
    assert r.get('blob') == value
    assert r.strlen('blob') == size


def test_hiredis_client(r):
    exe = os.path.join(BUILD, 'tests', 'e2e', 'hiredis_client')
    out = subprocess.run([exe, IP, str(PORT)], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'hiredis: ok'


def test_benchmark(server):
    out = subprocess.run(
        ['redis-benchmark', '-h', IP, '-p', str(PORT), '-t',
         'set,get,incr,lpush,mset', '-n', '200000', '-P', '16', '-c', '50',
         '-q'], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert 'rror' not in text, text
    for t in ('SET', 'GET', 'INCR', 'LPUSH', 'MSET'):
        assert re.search(r'^%s.*: [\d.]+ requests per second' % t, text,
                         re.M), text
