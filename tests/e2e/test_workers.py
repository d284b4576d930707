"""test_workers.py -- redpoll with 2 and 3 workers (oversubscribed on this
2-core machine): flows spread over the tap's queues, keys owned by hash
slot, requests for another worker's keys travel there and back in order,
split and whole-keyspace commands answer as Redis does, the keyspace
survives a restart with the same worker count and refuses another one.
"""
import os
import threading

import pytest
import redis

from conftest import IP, PORT

# Worker lcores share the two CPUs with the main lcore.
CORES = {2: ('--lcores', '0@0,1@1,2@0'), 3: ('--lcores', '0@0,1@1,2@0,3@1')}


def start(fresh, n, extra=()):
    rp = fresh(['--workers', str(n), '--worker-idle-sleep-us', '50',
                *extra], CORES[n])
    # conftest's command line sets worker-idle-sleep-us 0 first; the
    # later value wins (busy polling three workers on two CPUs would
    # starve the clients).
    return rp.start()


def client():
    return redis.Redis(host=IP, port=PORT, socket_timeout=20)


@pytest.mark.parametrize('n', [2, 3])
def test_keys_everywhere(fresh, n):
    rp = start(fresh, n)
    r = client()
    keys = ['key:%d' % i for i in range(300)]
    for k in keys:
        assert r.set(k, k.upper())
    assert r.dbsize() == 300
    # MGET across every shard, in the keys' order, with misses.
    ask = keys[::7] + ['nokey'] + keys[:5]
    assert r.mget(ask) == [k.upper().encode() if k != 'nokey' else None
                           for k in ask]
    assert r.exists(*keys[:50], 'nokey', keys[0]) == 51
    assert sorted(r.keys('key:1*')) == sorted(
        k.encode() for k in keys if k.startswith('key:1'))
    # SCAN: every key exactly once across the shards.
    seen = []
    cursor = 0
    while True:
        cursor, batch = r.scan(cursor, count=37)
        seen.extend(batch)
        if cursor == 0:
            break
    assert sorted(seen) == sorted(k.encode() for k in keys)
    assert r.randomkey() in {k.encode() for k in keys}
    assert r.delete(*keys[:100], 'nokey') == 100
    assert r.dbsize() == 200
    # Same-slot multi-key writes run on their shard.
    assert r.mset({'{u}a': '1', '{u}b': '2'})
    assert r.mget('{u}a', '{u}b') == [b'1', b'2']
    assert r.rename('{u}a', '{u}c')
    # Across shards they are refused for now (atomic cross-shard writes
    # come with the transaction coordinator).
    with pytest.raises(redis.exceptions.ResponseError, match='CROSSSLOT'):
        r.mset({'key:200': 'x', 'key:201': 'y', 'key:202': 'z'})
    # Per-worker statistics saw local, remote and served requests.
    # INFO workers comes from the connection's own worker, which sent
    # the keys of the other shards away.
    info = r.info('workers')
    assert info['workers'] == n
    home = [i for i in range(n) if 'worker%d_requests_remote' % i in info]
    assert len(home) == 1
    assert info['worker%d_requests_remote' % home[0]] >= 100
    assert r.flushall()
    assert r.dbsize() == 0
    r.close()
    assert rp.stop() == 0


def test_pipeline_order_across_shards(fresh):
    rp = start(fresh, 2)
    r = client()
    p = r.pipeline(transaction=False)
    for i in range(5000):
        p.set('p:%d' % i, i)
        p.get('p:%d' % (i // 2))
        p.incr('ctr:%d' % (i % 7))
    out = p.execute()
    for i in range(5000):
        assert out[3 * i] is True
        assert out[3 * i + 1] == str(i // 2).encode()
    counts = {}
    for i in range(5000):
        counts[i % 7] = counts.get(i % 7, 0) + 1
        assert out[3 * i + 2] == counts[i % 7]
    r.close()
    assert rp.stop() == 0


def test_incr_storm_exact(fresh):
    """Concurrent INCRs from many connections (each landing on whichever
    worker its flow hashes to) on keys of every shard: exact totals."""
    rp = start(fresh, 2)
    keys = ['storm:%d' % i for i in range(16)]
    per_thread, threads = 300, 8
    errors = []

    def hammer(t):
        try:
            c = client()
            p = c.pipeline(transaction=False)
            for i in range(per_thread):
                p.incr(keys[(i + t) % len(keys)])
            p.execute()
            c.close()
        except Exception as e:       # reported below
            errors.append(e)

    ts = [threading.Thread(target=hammer, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    r = client()
    total = sum(int(v) for v in r.mget(keys))
    assert total == per_thread * threads
    r.close()
    assert rp.stop() == 0


def test_restart_keeps_shards_and_refuses_other_count(fresh):
    rp = start(fresh, 2)
    r = client()
    for i in range(200):
        r.set('d:%d' % i, i)
    r.close()
    assert rp.stop() == 0
    rp = start(fresh, 2)
    r = client()
    assert r.dbsize() == 200
    assert r.mget(['d:%d' % i for i in range(200)]) == [
        str(i).encode() for i in range(200)]
    r.close()
    assert rp.stop() == 0
    # One worker cannot own a keyspace two wrote.
    one = fresh(['--workers', '1'])
    one.start(wait=False)
    assert one.proc.wait(timeout=30) != 0
    one.proc = None
    assert 'holds the logs of 2 worker(s)' in one.read_log()


def test_admin_socket_reaches_every_shard(fresh):
    rp = start(fresh, 2)
    a = redis.Redis(unix_socket_path=rp.admin, socket_timeout=20)
    for i in range(50):
        a.set('adm:%d' % i, i)
    assert a.dbsize() == 50
    r = client()
    assert r.mget(['adm:%d' % i for i in range(50)]) == [
        str(i).encode() for i in range(50)]
    r.close()
    a.close()
    assert rp.stop() == 0
