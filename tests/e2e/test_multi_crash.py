"""test_multi_crash.py -- an EXEC, SORT STORE, COPY and MOVE survive a
crash (SIGKILL) of redpoll whole, replayed from the pmem log."""
import signal

import redis

from conftest import IP, PORT


def client():
    return redis.Redis(host=IP, port=PORT, socket_timeout=10)


def test_exec_survives_crash(fresh):
    rp = fresh().start()
    r = client()
    r.flushall()
    p = r.pipeline(transaction=True)
    p.set('t1', 'a').rpush('t2', 'x', 'y').hset('t3', 'f', 'v')
    p.incr('t4').expire('t1', 1000)
    p.execute()
    r.rpush('src', 3, 1, 2)
    r.sort('src', store='sorted')
    r.copy('t1', 'copied')
    r.set('m', 'v')
    r.move('m', 2)
    r.close()
    rp.stop(signal.SIGKILL)
    rp.start()
    r = client()
    assert r.get('t1') == b'a'
    assert 0 < r.ttl('t1') <= 1000
    assert r.lrange('t2', 0, -1) == [b'x', b'y']
    assert r.hget('t3', 'f') == b'v'
    assert r.get('t4') == b'1'
    assert r.lrange('sorted', 0, -1) == [b'1', b'2', b'3']
    assert r.get('copied') == b'a'
    assert r.exists('m') == 0
    r.execute_command('SELECT', 2)
    assert r.get('m') == b'v'
    r.close()
