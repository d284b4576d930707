#!/usr/bin/python3
"""memory.py -- bytes per key of each type, redpoll beside redis-server.

Fills redpoll (data port) and Debian's redis-server (unix socket) with
the same keys, one case at a time after FLUSHALL, and prints a markdown
table: redpoll's INFO used_memory delta per key, Redis's used_memory
delta per key and Redis's MEMORY USAGE of one key (SAMPLES 0: exact).
Both servers must be running; bench/memory.sh starts them.

    memory.py REDPOLL_HOST:PORT REDIS_SOCKET
"""
import sys

import redis

# (name, keys, fill(pipe, key_index)): one key per call
BATCH = 1000


def s_int(p, k):
    p.set('k:%d' % k, 1000000 + k)


def s_str(n):
    def fill(p, k):
        p.set('k:%d' % k, ('%0*d' % (n, k))[:n])
    return fill


def coll(kind, n):
    def fill(p, k):
        key = 'k:%d' % k
        if kind == 'list':
            p.rpush(key, *['elem-%d' % i for i in range(n)])
        elif kind == 'hash':
            p.hset(key, mapping={'field-%d' % i: 'value-%d' % i
                                 for i in range(n)})
        elif kind == 'set':
            p.sadd(key, *['member-%d' % i for i in range(n)])
        elif kind == 'set of integers':
            p.sadd(key, *[i for i in range(n)])
        else:
            p.zadd(key, {'member-%d' % i: i for i in range(n)})
    return fill


CASES = [
    ('string, integer', 10000, s_int),
    ('string, 10 bytes', 10000, s_str(10)),
    ('string, 100 bytes', 10000, s_str(100)),
]
for kind in ('list', 'hash', 'set', 'set of integers', 'zset'):
    CASES.append(('%s, 10 elements' % kind, 1000, coll(kind, 10)))
    CASES.append(('%s, 1000 elements' % kind, 50, coll(kind, 1000)))


def used(c):
    return int(c.info('memory')['used_memory'])


def fill(c, n, fn):
    for start in range(0, n, BATCH):
        p = c.pipeline(transaction=False)
        for k in range(start, min(n, start + BATCH)):
            fn(p, k)
        p.execute()


def measure(c, n, fn):
    c.flushall()
    before = used(c)
    fill(c, n, fn)
    after = used(c)
    return (after - before) / n


def main():
    host, port = sys.argv[1].rsplit(':', 1)
    rp = redis.Redis(host=host, port=int(port), socket_timeout=60)
    rs = redis.Redis(unix_socket_path=sys.argv[2], socket_timeout=60)
    # Redis's own defaults on both sides (Debian sets 512 for hashes)
    for c in (rp, rs):
        c.config_set('hash-max-listpack-entries', 128)
        c.config_set('set-max-intset-entries', 512)
    print('| data | keys | redpoll encoding | redpoll B/key | '
          'Redis encoding | Redis B/key | Redis MEMORY USAGE | '
          'redpoll/Redis |')
    print('|---|---:|---|---:|---|---:|---:|---:|')
    for name, n, fn in CASES:
        a = measure(rp, n, fn)
        rpenc = rp.object('encoding', 'k:0').decode()
        b = measure(rs, n, fn)
        usage = rs.memory_usage('k:0', samples=0)
        enc = rs.object('encoding', 'k:0').decode()
        print('| %s | %d | %s | %.0f | %s | %.0f | %d | %.2f |' %
              (name, n, rpenc, a, enc, b, usage, a / b))
        sys.stdout.flush()
    rp.flushall()
    rs.flushall()


if __name__ == '__main__':
    main()
