"""workers.py -- the cost of a request for a key of another worker, and
throughput with 1 and 2 workers (run by bench/workers.sh inside its
network namespace; see docs/benchmarks.md, "Workers").

    workers.py ROUNDS REQUESTS

Each round starts redpoll with 1 worker, runs redis-benchmark -t set,get
-c 50 -P 16 -r 100000, stops it; then with 2 workers: the same, then one
connection (-c 1 -P 16) reading a key of shard 0 and one reading a key
of shard 1. The connection lands on either worker (the flow's hash), so
each probe is classed local or remote by the workers' requests_remote
counters, not by its key. Cost = busy TSC cycles of all workers (INFO
workers) over the requests sent. Prints markdown tables of the medians.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import shutil

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


def main():
    rounds, n = int(sys.argv[1]), int(sys.argv[2])
    tput = {}                     # (workers, test) -> [rps]
    cost = {'local': [], 'remote': []}
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


if __name__ == '__main__':
    main()
