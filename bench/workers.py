"""workers.py -- the cost of a request for a key of another worker, and
throughput with 1 and 2 workers (run by bench/workers.sh inside its
network namespace; see docs/benchmarks.md, "Workers").

    workers.py ROUNDS REQUESTS

Each round starts redpoll with 1 worker, runs redis-benchmark -t set,get
-c 50 -P 16 -r 100000, stops it; then with 2 workers: the same, then one
connection (-c 1 -P 16) reading a key of shard 0 and one reading a key
of shard 1. The connection lands on either worker (the flow's hash), so
each probe is classed local or remote by the workers' requests_remote
counters, not by its key. Then the cross-shard transactions: MSET of two
keys of one shard against two keys of different shards (redis-benchmark,
one connection, -P 16), and MULTI INCR INCR EXEC (redis-py, one
connection, one transaction at a time) with both keys on the
connection's own shard, both on the other shard, or one on each. Cost =
busy TSC cycles of all workers (INFO workers) over the requests (or
transactions) sent. Prints markdown tables of the medians.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import shutil
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'e2e'))

import redis                                            # noqa: E402
from conftest import IP, PORT, WORKER_CORES, Redpoll, worker_args  # noqa
from test_workers import shard                          # noqa: E402

IDLE = ['--worker-idle-sleep-us', '50']    # the same for 1 and 2 workers


def counters(r):
    """Per-worker busy cycles, remote requests, and the TSC rate."""
    w = r.info('workers')
    n = w['workers']
    return ([w['worker%d_busy_cycles' % i] for i in range(n)],
            sum(w['worker%d_requests_remote' % i] for i in range(n)),
            w['worker0_tsc_hz'])


def bench(args, n):
    """redis-benchmark -q: {test: requests/s}."""
    out = subprocess.run(['redis-benchmark', '-h', IP, '-p', str(PORT),
                          '-n', str(n), '-q', *args], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    res = {}
    for line in out.replace('\r', '\n').splitlines():
        m = re.match(r'\s*(.*?):\s+([\d.]+) requests per second', line)
        if m:
            res[m.group(1)] = float(m.group(2))
    return res


def measured(r, args, n):
    """A run's requests/s, cycles per request (all workers), remote
    requests and TSC rate."""
    c0, rem0, hz = counters(r)
    rps = bench(args, n)
    c1, rem1, _ = counters(r)
    return rps, (sum(c1) - sum(c0)) / n, rem1 - rem0, hz


def key_of(sh, n):
    i = 0
    while shard('bench:%d' % i, n) != sh:
        i += 1
    return 'bench:%d' % i


def home_shard(r):
    """The worker this connection landed on: reading a key of its own
    shard sends nothing to another worker (requests_remote stays)."""
    for sh in (0, 1):
        _, rem0, _ = counters(r)
        r.get(key_of(sh, 2))
        _, rem1, _ = counters(r)
        if rem1 == rem0:
            return sh
    return 0


def transactions(r, keys, n):
    """n transactions MULTI INCR k1 INCR k2 EXEC on r's connection:
    cycles (all workers) and wall-clock ns per transaction."""
    c0, _, hz = counters(r)
    t0 = time.perf_counter()
    for _ in range(n):
        p = r.pipeline(transaction=True)
        for k in keys:
            p.incr(k)
        p.execute()
    t1 = time.perf_counter()
    c1, _, _ = counters(r)
    return (sum(c1) - sum(c0)) / n, (t1 - t0) * 1e9 / n


def main():
    rounds, n = int(sys.argv[1]), int(sys.argv[2])
    tput = {}                     # (workers, test) -> [rps]
    cost = {'local': [], 'remote': []}
    tx = {}                       # kind -> [(cycles, ns)]
    hz = None
    work = tempfile.mkdtemp(prefix='rpwk-', dir='/dev/shm')
    try:
        for rnd in range(rounds):
            for w in (1, 2):
                rp = Redpoll(work, worker_args(w) + IDLE,
                             WORKER_CORES[w]).start()
                try:
                    r = redis.Redis(host=IP, port=PORT, socket_timeout=30)
                    r.flushall()
                    res = bench(['-t', 'set,get', '-c', '50', '-P', '16',
                                 '-r', '100000'], n)
                    for t, v in res.items():
                        tput.setdefault((w, t), []).append(v)
                    if w == 2:
                        for sh in (0, 1):
                            k = key_of(sh, 2)
                            r.set(k, 'v' * 16)
                            _, cpr, rem, hz = measured(
                                r, ['-c', '1', '-P', '16', 'GET', k], n)
                            kind = 'remote' if rem > n / 2 else 'local'
                            cost[kind].append(cpr)
                        k0 = key_of(0, 2)
                        one = ['{%s}x' % k0, '{%s}y' % k0]
                        two = [key_of(0, 2), key_of(1, 2)]
                        for kind, ks in (('mset one shard', one),
                                         ('mset two shards', two)):
                            _, cpr, _, _ = measured(
                                r, ['-c', '1', '-P', '16', 'MSET', ks[0],
                                    'v', ks[1], 'v'], n)
                            tx.setdefault(kind, []).append((cpr, 0))
                        c = redis.Redis(host=IP, port=PORT,
                                        socket_timeout=30,
                                        single_connection_client=True)
                        home = home_shard(c)
                        other = 1 - home
                        for kind, ks in (
                                ('exec own shard',
                                 ['{%s}c1' % key_of(home, 2),
                                  '{%s}c2' % key_of(home, 2)]),
                                ('exec other shard',
                                 ['{%s}c1' % key_of(other, 2),
                                  '{%s}c2' % key_of(other, 2)]),
                                ('exec two shards',
                                 ['{%s}c1' % key_of(0, 2),
                                  '{%s}c1' % key_of(1, 2)])):
                            tx.setdefault(kind, []).append(
                                transactions(c, ks, max(n // 20, 500)))
                        c.close()
                    r.close()
                finally:
                    rp.stop()
                shutil.rmtree(os.path.join(work, 'pmem'), ignore_errors=True)
            print('round %d done' % (rnd + 1), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print('raw:', tput, cost, file=sys.stderr)

    print('| test (-c 50 -P 16) | 1 worker req/s | 2 workers req/s | ratio |')
    print('|---|---|---|---|')
    for t in ('SET', 'GET'):
        a = statistics.median(tput[(1, t)])
        b = statistics.median(tput[(2, t)])
        print('| %s | %.0f | %.0f | %.2f |' % (t, a, b, b / a))
    print()
    print('| GET, one connection, -P 16 | samples | cycles/request '
          '(all workers) | ns/request |')
    print('|---|---|---|---|')
    for kind in ('local', 'remote'):
        v = cost[kind]
        if not v:
            print('| %s | 0 | - | - |' % kind)
            continue
        m = statistics.median(v)
        print('| %s key | %d | %.0f | %.0f |' % (kind, len(v), m,
                                                 m * 1e9 / hz))
    print()
    print('| transaction, one connection | samples | cycles (all workers) '
          '| ns (cycles) | ns (wall clock, client included) |')
    print('|---|---|---|---|---|')
    for kind, v in tx.items():
        m = statistics.median(c for c, _ in v)
        wall = statistics.median(t for _, t in v)
        print('| %s | %d | %.0f | %.0f | %s |' % (
            kind, len(v), m, m * 1e9 / hz,
            '%.0f' % wall if wall else '-'))


if __name__ == '__main__':
    main()
