"""test_rdb.py -- the RDB format against Debian's redis-server 7.0: DUMP
payloads of every type (strings, lists, hashes, sets, sorted sets)
RESTOREd both ways, a dump.rdb written by redis-server (several
databases, expiries) imported at start (with one and two workers) and
surviving a restart through the pmem log, and a file written by SAVE
loaded by redis-server with every value equal.
Each test starts its own redpoll (the `fresh` fixture)."""
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time

import pytest
import redis

from conftest import IP, PORT, WORKER_CORES


def client(db=0):
    return redis.Redis(host=IP, port=PORT, db=db, socket_timeout=20)


def start(fresh, n, extra=()):
    return fresh(['--workers', str(n), '--worker-idle-sleep-us', '50',
                  *extra], WORKER_CORES[n]).start()


class RedisServer:
    """A redis-server of the test's own on a Unix socket."""

    def __init__(self, workdir, dbfilename='dump.rdb'):
        self.dir = workdir
        self.sock = os.path.join(workdir, 'redis.sock')
        self.proc = subprocess.Popen(
            ['redis-server', '--port', '0', '--unixsocket', self.sock,
             '--save', '', '--appendonly', 'no', '--dir', workdir,
             '--dbfilename', dbfilename],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                if self.client().ping():
                    return
            except (redis.exceptions.ConnectionError,
                    FileNotFoundError):
                time.sleep(0.1)
        raise RuntimeError('redis-server did not start')

    def client(self, db=0):
        return redis.Redis(unix_socket_path=self.sock, db=db,
                           socket_timeout=20)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


@pytest.fixture
def redis_server():
    work = tempfile.mkdtemp(prefix='rprdb-', dir='/dev/shm')
    made = []

    def make(dbfilename='dump.rdb'):
        s = RedisServer(work, dbfilename)
        made.append(s)
        return s
    yield work, make
    for s in made:
        s.stop()
    shutil.rmtree(work, ignore_errors=True)


def populate(c, tag=''):
    """Keys of every type and encoding redpoll has."""
    c.set('str' + tag, 'hello')
    c.set('empty' + tag, '')
    c.set('int' + tag, '12345')
    c.set('neg' + tag, '-7')
    c.set('bigint' + tag, '123456789012345')
    c.set('bin' + tag, bytes(range(256)))
    c.set('long' + tag, 'abc' * 1000)           # LZF-compressed by Redis
    c.rpush('list' + tag, 'a', '1', '-300', '70000', 'x' * 100, '')
    c.rpush('biglist' + tag, *['elem-%d-%s' % (i, 'y' * (i % 90))
                               for i in range(5000)])
    c.rpush('intlist' + tag, *range(-2000, 2000, 7))
    c.hset('hash' + tag, mapping={'f1': 'v1', 'f2': '100', 'f3': ''})
    c.hset('bighash' + tag, mapping={'field%d' % i: 'value%d' % i
                                     for i in range(300)})
    c.hset('longhash' + tag, mapping={'f': 'z' * 200, 'g': '1'})
    c.sadd('set' + tag, 'a', 'b', 'c', '')
    c.sadd('intset' + tag, 1, 2, 3, -5, 1000)
    c.sadd('bigset' + tag, *['m%d' % i for i in range(700)])
    c.zadd('zset' + tag, {'a': 1, 'b': -2})
    c.zadd('zfloat' + tag, {'a': 1.5, 'b': 1e300, 'c': float('-inf'),
                            'd': 0.1})
    c.zadd('bigzset' + tag, {'member%d' % i: (i % 41) * 0.25
                             for i in range(500)})
    c.zadd('longzset' + tag, {'w' * 100: 3, 'v': 4})
    c.set('ttl' + tag, 'v', px=3600 * 1000)
    c.rpush('ttllist' + tag, 'a', 'b')
    c.pexpire('ttllist' + tag, 7200 * 1000)


def value(c, k):
    """(type, value) of a key, comparable across servers."""
    t = c.type(k).decode()
    if t == 'string':
        return t, c.get(k)
    if t == 'list':
        return t, c.lrange(k, 0, -1)
    if t == 'hash':
        return t, c.hgetall(k)
    if t == 'set':
        return t, sorted(c.smembers(k))
    if t == 'zset':
        return t, c.zrange(k, 0, -1, withscores=True)
    return t, None


def snapshot(c):
    """Every key of the client's db: key -> (type, value, has_ttl)."""
    out = {}
    for k in c.scan_iter(count=1000):
        pttl = c.pttl(k)
        out[k] = value(c, k) + (pttl > 0,)
    return out


def test_dump_restore_both_ways(fresh, redis_server):
    rp = start(fresh, 1)
    work, make = redis_server
    ora = make().client()
    r = client()
    populate(ora)
    keys = [k for k in ora.keys('*')]
    assert len(keys) == 22
    for k in keys:
        # redis-server -> redpoll
        payload = ora.dump(k)
        assert r.restore(k, 0, payload)
        assert value(r, k) == value(ora, k), k
        # redpoll -> redis-server
        back = r.dump(k)
        assert ora.restore(k + b":back", 0, back)
        assert value(ora, k + b':back') == value(ora, k), k
    # Values Redis does not compress are encoded as Redis encodes them,
    # byte for byte.
    for k in (b'str', b'int', b'neg', b'bigint', b'hash', b'intlist',
              b'intset', b'zset'):
        assert r.dump(k) == ora.dump(k), k
    # TTL, REPLACE, ABSTTL on both sides alike.
    p = ora.dump('str')
    for c in (r, ora):
        with pytest.raises(redis.exceptions.ResponseError,
                           match='BUSYKEY Target key name already exists.'):
            c.restore('str', 0, p)
        assert c.restore('str', 5000, p, replace=True)
        assert 4000 < c.pttl('str') <= 5000
        with pytest.raises(redis.exceptions.ResponseError,
                           match='DUMP payload version or checksum'):
            c.restore('bad', 0, p[:-1] + bytes([p[-1] ^ 1]))
    assert r.dump('nosuchkey') is None
    r.close()
    assert rp.stop() == 0
    rp.check_log()


def make_redis_dump(make):
    """A dump.rdb by redis-server: three databases, expiries, one key
    about to expire. Returns the expected snapshot per database."""
    srv = make()
    want = {}
    for db, tag in ((0, ''), (1, ':one'), (5, ':five')):
        c = srv.client(db)
        populate(c, tag)
        want[db] = snapshot(c)
    c = srv.client(0)
    c.set('soon', 'gone', px=300)
    assert c.save()
    srv.stop()
    time.sleep(0.5)
    return want


@pytest.mark.parametrize('n', [1, 2])
def test_import_redis_dump(fresh, redis_server, n):
    work, make = redis_server
    want = make_redis_dump(make)
    path = os.path.join(work, 'dump.rdb')
    rp = start(fresh, n, ['--import-rdb', path])
    assert 'imported 66 keys' in rp.read_log()
    for db, snap in want.items():
        assert snapshot(client(db)) == snap, db
    assert client(0).get('soon') is None
    assert client(2).dbsize() == 0
    # The keys are in the pmem log: a crash and a start without the
    # import keep them.
    rp.stop(signal.SIGKILL)
    rp.extra = [a for a in rp.extra]
    i = rp.extra.index('--import-rdb')
    del rp.extra[i:i + 2]
    rp.start()
    for db, snap in want.items():
        assert snapshot(client(db)) == snap, db
    assert rp.stop() == 0
    # Importing into a keyspace that has keys is refused.
    rp.extra += ['--import-rdb', path]
    rp.start(wait=False)
    assert rp.proc.wait(timeout=30) != 0
    assert 'keyspace is not empty' in rp.read_log()
    rp.proc = None
    rp.check_log()


def test_import_errors(fresh, tmp_path):
    bad = tmp_path / 'bad.rdb'
    bad.write_bytes(b'REDIS0010\xfe\x00\x0f\x05myset\x01\x01a\xff' +
                    b'\x00' * 8)
    rp = fresh(['--import-rdb', str(bad)])
    rp.start(wait=False)
    assert rp.proc.wait(timeout=30) != 0
    log = rp.read_log()
    assert "key 'myset'" in log and 'type 15' in log, log
    rp.proc = None
    rp = fresh(['--import-rdb', str(tmp_path / 'missing.rdb')])
    rp.start(wait=False)
    assert rp.proc.wait(timeout=30) != 0
    assert 'No such file' in rp.read_log()
    rp.proc = None


@pytest.mark.parametrize('workers', [1, 2])
def test_save_loaded_by_redis(fresh, redis_server, workers):
    """SAVE snapshots every worker and exports them as one file."""
    work, make = redis_server
    out = os.path.join(work, 'out')
    rp = start(fresh, workers, ['--dir', out, '--dbfilename', 'rp.rdb'])
    want = {}
    for db, tag in ((0, ''), (3, ':three')):
        c = client(db)
        populate(c, tag)
        want[db] = snapshot(c)
    r = client()
    before = r.lastsave()
    time.sleep(1.1)
    assert r.save()
    assert r.lastsave() > before
    assert rp.stop() == 0
    rp.check_log()
    srv = make_in(out, 'rp.rdb')
    try:
        for db, snap in want.items():
            assert snapshot(srv.client(db)) == snap, db
        assert srv.client(1).dbsize() == 0
    finally:
        srv.stop()


def make_in(workdir, dbfilename):
    return RedisServer(workdir, dbfilename)


def crc64(data):
    """Redis's CRC-64 (Jones, reflected) of a DUMP payload."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95ac9329ac4bc9b5 if crc & 1 else 0)
    return crc


def payload(body):
    """A DUMP payload: type and value, RDB version 10, CRC-64."""
    p = body + struct.pack('<H', 10)
    return p + struct.pack('<Q', crc64(p))


def lp_zset(pairs):
    """A ZSET_LISTPACK payload of (member, score text) pairs, entries of
    at most 63 bytes; the text 1 as the integer 1, as Redis writes it."""
    body = b''
    for e in (x for pair in pairs for x in pair):
        enc = b'\x01' if e == b'1' else bytes([0x80 | len(e)]) + e
        body += enc + bytes([len(enc)])
    lp = struct.pack('<IH', 7 + len(body), 2 * len(pairs)) + body + b'\xff'
    return payload(bytes([17, len(lp)]) + lp)


def zset2(pairs):
    """A ZSET_2 payload of (member, score) pairs, scores as 8 bytes."""
    body = bytes([5, len(pairs)])
    for m, s in pairs:
        body += bytes([len(m)]) + m + struct.pack('<d', s)
    return payload(body)


def test_negative_zero_like_redis(fresh, oracle):
    """A score -0 byte for byte as redis-server 7.0 answers it: kept by a
    listpack payload's "-0" text and a skiplist, written as 0 when a
    command puts it in a listpack or a small ZSET_2 becomes one."""
    from test_diff import Conn
    rp = start(fresh, 1)
    lp = lp_zset([(b'x', b'-0'), (b'y', b'1')])
    z2 = zset2([(b'x', -0.0), (b'y', -1.0)])
    # (a RESTORE of the same bytes on both, or a command)
    script = [
        ['RESTORE', 'lp', '0', lp], ['OBJECT', 'ENCODING', 'lp'],
        ['ZSCORE', 'lp', 'x'], ['ZRANGE', 'lp', '0', '-1', 'WITHSCORES'],
        ['ZSCAN', 'lp', '0'], ['DUMP', 'lp'], ['ZMSCORE', 'lp', 'x', 'y'],
        ['ZRANGEBYSCORE', 'lp', '-0', '0', 'WITHSCORES'],
        ['ZADD', 'lp', '0', 'x'], ['ZINCRBY', 'lp', '0', 'x'],
        ['ZADD', 'lp', 'INCR', '0', 'x'], ['ZADD', 'lp', '-0', 'x'],
        ['ZSCORE', 'lp', 'x'], ['DUMP', 'lp'],
        ['COPY', 'lp', 'c'], ['ZSCORE', 'c', 'x'], ['DUMP', 'c'],
        ['ZRANGESTORE', 'rs', 'lp', '0', '-1'], ['ZSCORE', 'rs', 'x'],
        ['ZUNIONSTORE', 'us', '1', 'lp'], ['ZSCORE', 'us', 'x'],
        ['ZUNION', '1', 'lp', 'WITHSCORES'],
        ['ZINTER', '2', 'lp', 'c', 'WITHSCORES'],
        ['ZDIFF', '1', 'lp', 'WITHSCORES'],
        ['COPY', 'lp', 'p'], ['ZPOPMIN', 'p'], ['DUMP', 'p'],
        ['RENAME', 'p', 'p2'], ['ZPOPMIN', 'p2'], ['EXISTS', 'p2'],
        ['ZADD', 'c', '2', 'z'], ['ZSCORE', 'c', 'x'], ['DUMP', 'c'],
        ['CONFIG', 'SET', 'zset-max-listpack-entries', '3'],
        ['ZADD', 'c', '5', 'w'], ['OBJECT', 'ENCODING', 'c'],
        ['ZSCORE', 'c', 'x'], ['DUMP', 'c'],
        ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
        ['SORT', 'lp', 'BY', 'nosort'], ['OBJECT', 'ENCODING', 'lp'],
        ['ZSCORE', 'lp', 'x'], ['DUMP', 'lp'],
        ['ZADD', 'lp', '1', 'x'], ['ZADD', 'lp', '-0', 'x'],
        ['ZSCORE', 'lp', 'x'],
        ['ZADD', 'lp2', '1', 'x'], ['ZADD', 'lp2', '-0', 'x'],
        ['ZSCORE', 'lp2', 'x'], ['OBJECT', 'ENCODING', 'lp2'],
        ['RESTORE', 'z2', '0', z2], ['OBJECT', 'ENCODING', 'z2'],
        ['ZSCORE', 'z2', 'x'], ['DUMP', 'z2'],
        ['CONFIG', 'SET', 'zset-max-listpack-entries', '1'],
        ['RESTORE', 'z2s', '0', z2], ['OBJECT', 'ENCODING', 'z2s'],
        ['ZSCORE', 'z2s', 'x'], ['DUMP', 'z2s'],
        ['RESTORE', 'lps', '0', lp], ['OBJECT', 'ENCODING', 'lps'],
        ['ZSCORE', 'lps', 'x'], ['DUMP', 'lps'],
        ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
    ]
    want, got = Conn(oracle), Conn((IP, PORT))
    try:
        for c in (want, got):
            c.call(['FLUSHALL'])
        for args in script:
            assert got.call(args) == want.call(args), args
    finally:
        want.call(['CONFIG', 'SET', 'zset-max-listpack-entries', '128'])
        want.close()
        got.close()
    assert rp.stop() == 0
    rp.check_log()
