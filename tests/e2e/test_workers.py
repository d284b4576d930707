"""test_workers.py -- redpoll with 2 and 3 workers (oversubscribed on this
2-core machine): flows spread over the tap's queues, keys owned by hash
slot, requests for another worker's keys travel there and back in order,
split and whole-keyspace commands answer as Redis does, the keyspace
survives a restart with the same worker count and refuses another one.
"""
import json
import os
import socket
import subprocess
import threading

import pytest
import redis

from conftest import BUILD, IP, PORT, WORKER_CORES, worker_args

CTL = os.path.join(BUILD, 'app', 'redpollctl')


def slot(key):
    """Redis Cluster's hash slot, computed here independently."""
    k = key.encode()
    s = k.find(b'{')
    if s >= 0:
        e = k.find(b'}', s + 1)
        if e > s + 1:
            k = k[s + 1:e]
    crc = 0
    for b in k:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xffff
    return crc & 16383


def shard(key, n):
    return slot(key) * n // 16384


def start(fresh, n, extra=()):
    return fresh([*worker_args(n), *extra], WORKER_CORES[n]).start()


def client():
    return redis.Redis(host=IP, port=PORT, socket_timeout=20)


def run_until_done(writers, readers, stop):
    """Run readers and writers; once every writer ended, stop the readers
    (they loop until stop is set) and wait for them."""
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()


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
    # Across shards: MSET/MSETNX are transactions; RENAME (a value
    # moving between shards) is refused for now.
    assert r.mset({'key:200': 'x', 'key:201': 'y', 'key:202': 'z'})
    assert r.mget('key:200', 'key:201', 'key:202') == [b'x', b'y', b'z']
    assert r.msetnx({'key:203': 'n', 'fresh:1': 'n'}) is False
    assert r.get('fresh:1') is None
    assert r.msetnx({'fresh:1': 'a', 'fresh:2': 'b', 'fresh:3': 'c'})
    assert r.mget('fresh:1', 'fresh:2', 'fresh:3') == [b'a', b'b', b'c']
    r.delete('fresh:1', 'fresh:2', 'fresh:3')
    # Other multi-key commands gather their keys on one shard.
    assert shard('foo', n) != shard('bar', n)
    r.set('foo', 1)
    assert r.rename('foo', 'bar')
    assert r.get('bar') == b'1' and r.exists('foo') == 0
    # Per-worker statistics saw local, remote and served requests.
    # INFO spans the shards: keyspace and counters added up, every
    # worker's own lines there; redpollctl shows every core.
    info = r.info()
    assert info['db0']['keys'] == r.dbsize()
    w = r.info('workers')
    assert w['workers'] == n
    assert all('worker%d_requests_served' % i in w for i in range(n))
    assert sum(w['worker%d_requests_remote' % i] for i in range(n)) >= 100
    assert sum(w['worker%d_keys' % i] for i in range(n)) == r.dbsize()
    d = r.info('dataplane')
    assert d['port_queues'] == n and d['workers'] == n
    assert all('worker%d_commands' % i in d for i in range(n))
    cores = json.loads(subprocess.run(
        [CTL, '-s', rp.admin, '--json', 'cores'], capture_output=True,
        text=True, timeout=30, check=True).stdout)
    assert [c['worker'] for c in cores] == list(range(n))
    assert sum(c['keys'] for c in cores) == r.dbsize()
    assert sum(c['requests_remote'] for c in cores) >= 100
    assert all(c['ring_depth'] >= 0 for c in cores)
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


@pytest.mark.parametrize('n', [2, 3])
def test_incr_storm_exact(fresh, n):
    """Concurrent INCRs from many connections (each landing on whichever
    worker its flow hashes to) on keys of every shard: exact totals."""
    rp = start(fresh, n)
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


@pytest.mark.parametrize('n', [2, 3])
def test_mset_never_seen_half(fresh, n):
    """Writers MSET the same value into keys of different shards while
    readers MGET them: a reader never sees two different values."""
    rp = start(fresh, n)
    keys = ['a{x}', 'b{y}', 'c{z}', 'd{w}', 'e{v}', 'f{u}']
    assert len({shard(k, n) for k in keys}) == n
    c = client()
    c.mset({k: 0 for k in keys})
    stop = threading.Event()
    bad, errors, reads = [], [], [0]

    def writer(t):
        try:
            w = client()
            for i in range(700):
                w.mset({k: '%d-%d' % (t, i) for k in keys})
            w.close()
        except Exception as e:
            errors.append(e)

    def reader():
        try:
            rd = client()
            while not stop.is_set():
                vals = rd.mget(keys)
                reads[0] += 1
                if len(set(vals)) != 1:
                    bad.append(vals)
            rd.close()
        except Exception as e:
            errors.append(e)

    run_until_done([threading.Thread(target=writer, args=(t,))
                    for t in range(3)],
                   [threading.Thread(target=reader) for _ in range(3)], stop)
    assert not errors and not bad, (errors, bad[:3])
    assert reads[0] > 100
    assert len(set(c.mget(keys))) == 1
    c.close()
    assert rp.stop() == 0


ACCOUNTS = ['acct{%s}' % t for t in 'abcdefgh']


@pytest.mark.parametrize('n', [2, 3])
def test_multi_exec_transfers_keep_total(fresh, n):
    """MULTI/EXEC transfers between accounts on different shards, from
    many connections at once, plain and under WATCH (retried when a
    concurrent transfer touched an account), while auditors read every
    account in one MULTI/EXEC and with MGET: the total never changes,
    and at the end it is exact."""
    rp = start(fresh, n)
    assert len({shard(k, n) for k in ACCOUNTS}) == n
    c = client()
    c.mset({k: 1000 for k in ACCOUNTS})
    total = 1000 * len(ACCOUNTS)
    stop = threading.Event()
    bad, errors, audits, aborts = [], [], [0], [0]

    def transfer(t):
        try:
            w = client()
            for i in range(150):
                a = ACCOUNTS[(t + i) % len(ACCOUNTS)]
                b = ACCOUNTS[(t * 3 + i * 5 + 1) % len(ACCOUNTS)]
                if a == b:
                    continue
                p = w.pipeline(transaction=True)
                p.decrby(a, i % 13 + 1)
                p.incrby(b, i % 13 + 1)
                p.execute()
            w.close()
        except Exception as e:
            errors.append(e)

    def watched(t):
        try:
            w = client()
            for i in range(60):
                a, b = ACCOUNTS[(t + i) % 8], ACCOUNTS[(t + 2 * i + 3) % 8]
                if a == b:
                    continue
                while True:
                    with w.pipeline(transaction=True) as p:
                        try:
                            p.watch(a, b)
                            va, vb = int(p.get(a)), int(p.get(b))
                            p.multi()
                            p.set(a, va - 7)
                            p.set(b, vb + 7)
                            p.execute()
                            break
                        except redis.WatchError:
                            aborts[0] += 1
            w.close()
        except Exception as e:
            errors.append(e)

    def auditor():
        try:
            rd = client()
            while not stop.is_set():
                p = rd.pipeline(transaction=True)
                for k in ACCOUNTS:
                    p.get(k)
                s1 = sum(int(v) for v in p.execute())
                s2 = sum(int(v) for v in rd.mget(ACCOUNTS))
                audits[0] += 1
                if s1 != total or s2 != total:
                    bad.append((s1, s2))
            rd.close()
        except Exception as e:
            errors.append(e)

    run_until_done([threading.Thread(target=transfer, args=(t,))
                    for t in range(4)] +
                   [threading.Thread(target=watched, args=(t,))
                    for t in range(3)],
                   [threading.Thread(target=auditor) for _ in range(2)], stop)
    assert not errors and not bad, (errors, bad[:3])
    assert audits[0] > 20
    assert sum(int(v) for v in c.mget(ACCOUNTS)) == total
    # A WATCHed account of another shard written by another client.
    d = client()
    one = redis.Redis(host=IP, port=PORT, socket_timeout=20,
                      single_connection_client=True)
    assert one.execute_command('WATCH', ACCOUNTS[0], ACCOUNTS[1])
    d.incr(ACCOUNTS[1])
    one.execute_command('MULTI')
    one.execute_command('SET', ACCOUNTS[0], 0)
    assert one.execute_command('EXEC') is None
    assert int(one.get(ACCOUNTS[0])) != 0
    one.close()
    d.close()
    c.close()
    assert rp.stop() == 0


def test_pipeline_barrier_cross_shard(fresh):
    """A pipeline that follows a cross-shard MSET (or MGET, or EXEC) with
    single-key requests sees the MSET's values: the later requests wait
    for the transaction, whatever worker the connection landed on."""
    n = 3
    rp = start(fresh, n)
    keys = ['k{a}', 'k{b}', 'k{c}', 'k{d}', 'k{e}', 'k{f}']
    assert len({shard(k, n) for k in keys}) == n
    for conn in range(6):
        r = client()
        p = r.pipeline(transaction=False)
        for i in range(200):
            p.mset({k: '%d-%d' % (conn, i) for k in keys})
            p.get(keys[i % len(keys)])
            p.set(keys[(i + 1) % len(keys)], 'x%d' % i)
            p.mget(keys)
            p.execute_command('MULTI')
            p.execute_command('INCR', 'ctr{a}')
            p.execute_command('GET', keys[(i + 2) % len(keys)])
            p.execute_command('EXEC')
            p.get('ctr{a}')
        out = p.execute()
        for i in range(200):
            v = '%d-%d' % (conn, i)
            o = out[9 * i:9 * i + 9]
            assert o[1] == v.encode(), (conn, i, o)
            m = [v.encode()] * len(keys)
            m[(i + 1) % len(keys)] = ('x%d' % i).encode()
            assert o[3] == m, (conn, i, o)
            want_get = m[(i + 2) % len(keys)]
            assert o[7] == [conn * 200 + i + 1, want_get], (conn, i, o)
            assert o[8] == str(conn * 200 + i + 1).encode()
        r.close()
    assert rp.stop() == 0


def test_restart_keeps_shards_and_refuses_other_count(fresh):
    rp = start(fresh, 2)
    r = client()
    for i in range(200):
        r.set('d:%d' % i, i)
    # Cross-shard writes whose effects must survive in the right logs.
    assert shard('foo', 2) != shard('bar', 2)
    r.rpush('foo', 'a', 'b')
    r.set('bar', 'gone')
    assert r.rename('foo', 'bar')
    r.sadd('src', 'm1', 'm2')
    assert r.smove('src', 'dst', 'm1')
    r.close()
    assert rp.stop() == 0
    rp = start(fresh, 2)
    r = client()
    assert r.lrange('bar', 0, -1) == [b'a', b'b']
    assert r.exists('foo') == 0
    assert r.smembers('src') == {b'm2'} and r.smembers('dst') == {b'm1'}
    r.delete('bar', 'src', 'dst')
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


def test_sets_on_shards(fresh):
    """Sets on every shard; the multi-key set commands run on the shard
    of their {hashtag}, or gather keys of several shards; SPOP's SREM
    effects and the *STORE results survive a restart."""
    rp = start(fresh, 2)
    r = client()
    for i in range(100):
        assert r.sadd('set:%d' % i, *range(i % 5 + 1)) == i % 5 + 1
    assert [r.scard('set:%d' % i) for i in range(100)] == [
        i % 5 + 1 for i in range(100)]
    assert r.sadd('{t}a', 1, 2, 3, 4) == 4
    assert r.sadd('{t}b', 3, 4, 5, 'x') == 4
    assert r.sinter('{t}a', '{t}b') == {b'3', b'4'}
    assert r.sintercard(2, ['{t}a', '{t}b'], limit=1) == 1
    assert r.sunionstore('{t}u', '{t}a', '{t}b') == 6
    assert r.sdiffstore('{t}d', '{t}a', '{t}b') == 2
    assert r.smove('{t}a', '{t}m', 1)
    assert len(r.spop('{t}u', 2)) == 2
    # set:i holds 0..i%5: set:2..5 intersect in {0} (set:5 is {0}).
    assert r.sinterstore('set:1', 'set:2', 'set:3', 'set:4', 'set:5') == 1
    assert r.sintercard(5, ['set:%d' % i for i in range(5)]) == 1
    before = {k: r.smembers(k) for k in ('{t}a', '{t}u', '{t}d', '{t}m',
                                         'set:1')}
    r.close()
    assert rp.stop() == 0
    rp = start(fresh, 2)
    r = client()
    assert {k: r.smembers(k) for k in before} == before
    assert r.scard('set:99') == 5
    r.close()
    assert rp.stop() == 0


def test_client_kill_any_worker(fresh):
    """CLIENT KILL reaches the clients of every worker."""
    rp = start(fresh, 2)
    socks, ids = [], []
    for _ in range(8):
        s = socket.create_connection((IP, PORT), timeout=10)
        s.sendall(b'CLIENT ID\r\n')
        ids.append(int(s.recv(64).strip()[1:]))
        socks.append(s)
    r = client()
    for i in ids:
        assert r.execute_command('CLIENT', 'KILL', 'ID', i) == 1
    for s in socks:
        assert s.recv(64) == b''
        s.close()
    assert r.execute_command('CLIENT', 'KILL', 'ID', ids[0]) == 0
    r.close()
    assert rp.stop() == 0
