"""test_crash.py -- acknowledged writes survive SIGKILL at random moments,
many times in a row (50 with the release build), while snapshots cut and
reclaim the log between and during the crashes: on emulated pmem under
/dev/shm and on a plain file (msync). After every restart each key holds
exactly its last acknowledged value (the one write in flight at the kill
may have landed or not) and no key that was never written exists."""
import os
import random
import signal
import threading

import pytest
import redis

from conftest import BUILD, IP, PORT

KILLS = int(os.environ.get('RP_CRASH_KILLS',
                           '5' if 'asan' in BUILD else '50'))
SEED = int(os.environ.get('RP_CRASH_SEED', '2026'))
KEYS = 300


def client(timeout=10):
    return redis.Redis(host=IP, port=PORT, socket_timeout=timeout)


class Model:
    """What each key must hold: bytes, or None (absent)."""

    def __init__(self):
        self.v = {}
        self.volatile = set()       # keys with a TTL
        self.unknown = set()        # TTL unknown (a write in flight)

    def ops(self, rng, c, stop):
        """Write until stop is set or the server dies; the write in flight
        then is returned as (key, value if it landed)."""
        while not stop.is_set():
            k = 'k%d' % rng.randrange(KEYS)
            op = rng.randrange(6)
            if rng.randrange(150) == 0:
                # A snapshot now and then, so that kills land in them.
                try:
                    c.bgsave()
                except redis.exceptions.ResponseError:
                    pass            # one is running already
                except (redis.exceptions.ConnectionError,
                        redis.exceptions.TimeoutError):
                    return None
            cur = self.v.get(k)
            if op == 0:
                new = ('v%d' % rng.randrange(10 ** 9)).encode() * \
                      rng.randrange(1, 8)
                call = lambda: c.set(k, new)
            elif op == 1:
                if cur is not None and not cur.lstrip(b'-').isdigit():
                    continue
                new = str(int(cur or 0) + 7).encode()
                call = lambda: c.incrby(k, 7)
            elif op == 2:
                new = (cur or b'') + b'+a'
                call = lambda: c.append(k, b'+a')
            elif op == 3:
                if cur is None:
                    continue
                new = cur
                call = lambda: c.pexpire(k, 3600 * 1000)
            elif op == 4:
                new = None
                call = lambda: c.delete(k)
            else:
                new = cur
                call = lambda: c.get(k)
            try:
                call()
            except (redis.exceptions.ConnectionError,
                    redis.exceptions.TimeoutError):
                return k, new
            self.v[k] = new
            if op == 3:
                self.volatile.add(k)
            elif op in (0, 4):
                self.volatile.discard(k)
            if op in (0, 3, 4):
                self.unknown.discard(k)
        return None

    def check(self, c, inflight):
        keys = set(x.decode() for x in c.keys('*'))
        assert keys <= set('k%d' % i for i in range(KEYS)), keys
        names = ['k%d' % i for i in range(KEYS)]
        p = c.pipeline(transaction=False)
        for k in names:
            p.get(k)
            p.pttl(k)
        res = p.execute()
        for i, k in enumerate(names):
            got, ttl = res[2 * i], res[2 * i + 1]
            want = self.v.get(k)
            if inflight and inflight[0] == k:
                # Landed or not, its TTL is not known until rewritten.
                self.volatile.discard(k)
                self.unknown.add(k)
                if got != want:
                    assert got == inflight[1], (k, got, want, inflight)
                    self.v[k] = got    # it landed: that is the truth
                    continue
            assert got == want, (k, got, want)
            if want is None or k in self.unknown:
                continue
            if k in self.volatile:
                assert ttl > 0, (k, ttl)
            else:
                assert ttl == -1, (k, ttl)


@pytest.mark.parametrize('medium', ['pmem', 'file'])
def test_kill9_many_times(fresh, tmp_path, medium):
    extra = ['--pmem-size', '2mb', '--snapshot-log-percent', '20']
    env = None
    if medium == 'file':
        extra += ['--pmem-path', str(tmp_path / 'regions')]
        env = {'PMEM_IS_PMEM_FORCE': '0'}
    rp = fresh(extra, env=env)
    rng = random.Random(SEED + (medium == 'file'))
    model = Model()
    rp.start()
    for kill in range(KILLS):
        # A killed server sends no RST: a short timeout ends the round.
        c = client(timeout=1)
        stop = threading.Event()
        delay = rng.uniform(0.05, 0.6)
        timer = threading.Timer(delay, lambda: rp.proc.send_signal(
            signal.SIGKILL))
        timer.start()
        inflight = model.ops(rng, c, stop)
        timer.join()
        c.close()
        rp.proc.wait(timeout=20)
        rp.proc = None
        rp.start()
        c = client()
        model.check(c, inflight)
        c.close()
    log = rp.read_log()
    assert rp.stop() == 0
    rp.check_log()
    # The log was cut and reclaimed by snapshots along the way.
    assert 'snapshot at record' in log, log[-3000:]
    assert 'loaded the snapshot at record' in log
    if medium == 'file':
        assert 'real pmem: no (flush: msync)' in log
