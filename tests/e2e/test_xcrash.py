"""test_xcrash.py -- writes over several shards are all-or-nothing across
SIGKILL at random moments (20 kills with the release build), with 2
workers while snapshots cut and reclaim the logs: clients MSET groups of
keys on both shards to one new value each time, another one RENAMEs a key
back and forth between the shards, another one moves amounts between two
accounts on the two shards in MULTI/EXEC. After every restart each group
holds one value on every key (the last acknowledged MSET's, or the one in
flight at the kill), the renamed key exists exactly once, and the
accounts hold the last acknowledged balances (or the transfer in flight
applied whole)."""
import os
import random
import signal
import threading

import redis

from conftest import BUILD, IP, PORT, WORKER_CORES, worker_args
from test_workers import shard

KILLS = int(os.environ.get('RP_XCRASH_KILLS',
                           '4' if 'asan' in BUILD else '20'))
SEED = int(os.environ.get('RP_XCRASH_SEED', '2027'))
WRITERS = 3
GROUPS = 8          # per writer
N = 2


def client(timeout=10):
    return redis.Redis(host=IP, port=PORT, socket_timeout=timeout)


def tags():
    """A hashtag of each of the two shards."""
    found = {}
    i = 0
    while len(found) < N:
        t = 't%d' % i
        found.setdefault(shard(t, N), t)
        i += 1
    return [found[s] for s in range(N)]


def group_keys(w, g):
    """The keys of writer w's group g: two on each shard."""
    return ['g%d.%d.%s{%s}' % (w, g, x, t) for t in tags() for x in 'ab']


def mover_keys():
    return ['mv{%s}' % t for t in tags()]


def acked(errors, call, *args):
    """Make one client call: True once it was answered. False when the
    connection went (a kill) or the server answered an error (kept in
    errors, which the test fails on): the client then stops."""
    try:
        call(*args)
        return True
    except (redis.exceptions.ConnectionError,
            redis.exceptions.TimeoutError):
        return False
    except redis.exceptions.ResponseError as e:
        errors.append(str(e))
        return False


class Writer:
    """MSETs of its own groups; what each group must hold."""

    def __init__(self, w, rng):
        self.w = w
        self.rng = rng
        self.acked = {}             # group -> value
        self.inflight = None        # (group, value)
        self.n = 0
        self.errors = []            # error replies (MISCONF: no cut)

    def run(self, c, stop):
        self.inflight = None
        while not stop.is_set():
            g = self.rng.randrange(GROUPS)
            self.n += 1
            v = 'w%d-%d-%s' % (self.w, self.n, 'x' * self.rng.randrange(
                1, 200))
            self.inflight = (g, v)
            if not acked(self.errors, c.mset,
                         {k: v for k in group_keys(self.w, g)}):
                return
            self.acked[g] = v
            self.inflight = None

    def check(self, c):
        for g in range(GROUPS):
            keys = group_keys(self.w, g)
            got = [x.decode() if x is not None else None
                   for x in c.mget(keys)]
            assert len(set(got)) == 1, ('partial MSET', keys, got)
            want = self.acked.get(g)
            if self.inflight and self.inflight[0] == g and \
                    got[0] == self.inflight[1]:
                self.acked[g] = got[0]    # it landed
                continue
            assert got[0] == want, (keys, got, want)


class Mover:
    """RENAMEs one key between the shards (a gathered command)."""

    def __init__(self):
        self.at = 0                 # index in mover_keys() of the key
        self.inflight = False
        self.errors = []
        self.n = 0

    def run(self, c, stop):
        keys = mover_keys()
        self.inflight = False
        while not stop.is_set():
            self.inflight = True
            if not acked(self.errors, c.rename, keys[self.at],
                         keys[1 - self.at]):
                return
            self.n += 1
            self.at = 1 - self.at
            self.inflight = False

    def check(self, c):
        keys = mover_keys()
        got = [c.get(k) for k in keys]
        present = [i for i in range(2) if got[i] is not None]
        assert len(present) == 1, ('RENAME not atomic', keys, got)
        assert got[present[0]] == b'moving', got
        if present[0] != self.at:
            assert self.inflight, (keys, got, self.at)
            self.at = present[0]


class Transfer:
    """MULTI/EXEC moving an amount between accounts on the two shards
    (a gathered EXEC)."""

    def __init__(self, rng):
        self.rng = rng
        self.acked = [1000, 1000]
        self.inflight = None        # the amount moved from 0 to 1
        self.errors = []
        self.n = 0

    @staticmethod
    def keys():
        return ['acct{%s}' % t for t in tags()]

    def run(self, c, stop):
        a, b = self.keys()
        self.inflight = None
        while not stop.is_set():
            x = self.rng.randrange(-50, 51)
            self.inflight = x
            p = c.pipeline(transaction=True)
            p.decrby(a, x)
            p.incrby(b, x)
            if not acked(self.errors, p.execute):
                return
            self.n += 1
            self.acked = [self.acked[0] - x, self.acked[1] + x]
            self.inflight = None

    def check(self, c):
        got = [int(v) for v in c.mget(self.keys())]
        assert sum(got) == 2000, ('EXEC not atomic', got)
        if got != self.acked:
            x = self.inflight
            assert x is not None and \
                got == [self.acked[0] - x, self.acked[1] + x], \
                (got, self.acked, x)
            self.acked = got


def run_round(actors, seconds, kill=None):
    """Every actor on a client of its own for seconds, then kill (if
    given), then stop them."""
    stop = threading.Event()
    # A killed server sends no RST: a short timeout ends the round.
    jobs = [(x, client(timeout=1)) for x in actors]
    threads = [threading.Thread(target=x.run, args=(c, stop))
               for x, c in jobs]
    for t in threads:
        t.start()
    stop.wait(seconds)
    if kill is not None:
        kill()
    stop.set()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()
    for _, c in jobs:
        c.close()


def saves(c):
    return c.info('persistence')['rdb_saves']


def test_kill9_cross_shard(fresh):
    rp = fresh([*worker_args(N), '--pmem-size', '2mb',
                '--snapshot-log-percent', '20'], WORKER_CORES[N])
    rp.start()
    rng = random.Random(SEED)
    writers = [Writer(w, random.Random(SEED + w)) for w in range(WRITERS)]
    mover = Mover()
    transfer = Transfer(random.Random(SEED - 1))
    client().mset({mover_keys()[0]: 'moving',
                   Transfer.keys()[0]: 1000, Transfer.keys()[1]: 1000})
    actors = writers + [mover, transfer]

    def kill():
        rp.proc.send_signal(signal.SIGKILL)
        rp.proc.wait(timeout=20)
    for _ in range(KILLS):
        run_round(actors, rng.uniform(0.2, 0.8), kill)
        rp.proc = None
        rp.start()
        c = client()
        for x in actors:
            x.check(c)
        c.close()
    # Snapshots cut the logs while cross-shard writes run (a cut that
    # waited for held parts forever would fill the log: MISCONF).
    c = client()
    before = saves(c)
    run_round(actors, 2)
    assert saves(c) > before + 1, (before, saves(c))
    for x in actors:
        x.check(c)
    c.close()
    log = rp.read_log()
    assert rp.stop() == 0
    rp.check_log()
    # Work was done, without an error reply.
    for x in actors:
        assert x.errors == [], x.errors
    assert sum(len(x.acked) for x in writers) == WRITERS * GROUPS, \
        [x.acked for x in writers]
    assert mover.n > KILLS, mover.n
    assert transfer.n > KILLS, transfer.n
    assert 'cross-shard parts skipped' in log
