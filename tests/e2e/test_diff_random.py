"""test_diff_random.py -- randomized differential runs: a seeded generator
of command sequences over a small key space, 2000 commands per family,
each reply compared byte for byte with Debian's redis-server.

Only commands whose replies do not depend on hash-table order or on
randomness are generated (no SPOP, SRANDMEMBER, SMEMBERS of non-integer
sets, HGETALL of large hashes, SCAN): everything else is fair game,
including wrong types and bad arguments. The seed is RP_DIFF_SEED
(default 2026), printed on a mismatch so that a failure replays.
"""
import os
import random

import pytest

from conftest import IP, PORT
from test_diff import Conn

SEED = int(os.environ.get('RP_DIFF_SEED', '2026'))
N = 2000
KEYS = ['k%d' % i for i in range(6)]


def num(rng):
    return str(rng.choice([0, 1, -1, 7, 42, 2**31, -2**63, 2**63 - 1,
                           rng.randint(-1000, 1000)]))


def word(rng):
    return rng.choice(['a', 'b', 'c', 'x', '', 'hello', '10', '3.5', '-2',
                       'a' * 70])


def strings(rng):
    k = rng.choice(KEYS)
    return rng.choice([
        ['SET', k, word(rng)], ['GET', k], ['APPEND', k, word(rng)],
        ['INCR', k], ['DECRBY', k, num(rng)], ['INCRBYFLOAT', k, '1.5'],
        ['STRLEN', k], ['GETRANGE', k, num(rng), num(rng)],
        ['SETRANGE', k, str(rng.randint(0, 40)), word(rng)],
        ['MSET', k, word(rng), rng.choice(KEYS), word(rng)],
        ['MGET', k, rng.choice(KEYS)], ['SETNX', k, word(rng)],
        ['GETDEL', k], ['DEL', k], ['EXISTS', k, rng.choice(KEYS)],
        ['TYPE', k], ['RENAME', k, rng.choice(KEYS)],
    ])


def lists(rng):
    k = rng.choice(KEYS)
    return rng.choice([
        ['LPUSH', k, word(rng), word(rng)], ['RPUSH', k, word(rng)],
        ['LPOP', k], ['RPOP', k, str(rng.randint(0, 3))], ['LLEN', k],
        ['LRANGE', k, num(rng), num(rng)], ['LRANGE', k, '0', '-1'],
        ['LINDEX', k, num(rng)], ['LSET', k, num(rng), word(rng)],
        ['LINSERT', k, rng.choice(['BEFORE', 'AFTER']), word(rng),
         word(rng)],
        ['LREM', k, num(rng), word(rng)], ['LTRIM', k, num(rng), num(rng)],
        ['LPOS', k, word(rng)],
        ['LMOVE', k, rng.choice(KEYS), rng.choice(['LEFT', 'RIGHT']),
         rng.choice(['LEFT', 'RIGHT'])],
        ['LPUSHX', k, word(rng)], ['DEL', k],
    ])


def short_word(rng):
    """A value that keeps a hash compact (ordered like Redis's)."""
    return rng.choice(['a', 'b', 'c', 'x', '', 'hello', '10', '3.5', '-2'])


def hashes(rng):
    k = rng.choice(KEYS)
    f = rng.choice(['f1', 'f2', 'f3', 'f4'])
    word = short_word
    return rng.choice([
        ['HSET', k, f, word(rng)], ['HGET', k, f], ['HDEL', k, f],
        ['HLEN', k], ['HEXISTS', k, f], ['HINCRBY', k, f, num(rng)],
        ['HINCRBYFLOAT', k, f, '0.25'], ['HSTRLEN', k, f],
        ['HMGET', k, f, 'f9'], ['HSETNX', k, f, word(rng)],
        ['HGETALL', k], ['HKEYS', k], ['HVALS', k], ['DEL', k],
    ])


def sets(rng):
    k = rng.choice(KEYS)
    m = str(rng.randint(0, 20))         # integers: intsets, sorted
    return rng.choice([
        ['SADD', k, m, str(rng.randint(0, 20))], ['SREM', k, m],
        ['SCARD', k], ['SISMEMBER', k, m], ['SMISMEMBER', k, m, '99'],
        ['SMEMBERS', k], ['SINTER', k, rng.choice(KEYS)],
        ['SUNIONSTORE', rng.choice(KEYS), k, rng.choice(KEYS)],
        ['SDIFF', k, rng.choice(KEYS)],
        ['SINTERCARD', '2', k, rng.choice(KEYS)],
        ['SMOVE', k, rng.choice(KEYS), m], ['DEL', k],
    ])


def zsets(rng):
    k = rng.choice(KEYS)
    m = rng.choice(['a', 'b', 'c', 'd', 'e'])
    sc = rng.choice(['1', '2.5', '-3', 'inf', '-inf', '0', '1e300'])
    return rng.choice([
        ['ZADD', k, sc, m], ['ZADD', k, 'NX', 'CH', sc, m],
        ['ZADD', k, 'XX', 'GT', sc, m], ['ZINCRBY', k, '1.5', m],
        ['ZREM', k, m], ['ZCARD', k], ['ZSCORE', k, m],
        ['ZRANK', k, m], ['ZREVRANK', k, m],
        ['ZRANGE', k, '0', '-1', 'WITHSCORES'],
        ['ZRANGEBYSCORE', k, '-inf', rng.choice(['(2', '+inf', '0'])],
        ['ZCOUNT', k, '(-3', '3'], ['ZPOPMIN', k], ['ZPOPMAX', k, '2'],
        ['ZUNIONSTORE', rng.choice(KEYS), '2', k, rng.choice(KEYS)],
        ['ZREMRANGEBYRANK', k, num(rng), num(rng)], ['DEL', k],
    ])


def bitmaps(rng):
    k = rng.choice(KEYS)
    return rng.choice([
        ['SETBIT', k, str(rng.randint(0, 200)), rng.choice(['0', '1'])],
        ['GETBIT', k, str(rng.randint(0, 200))], ['BITCOUNT', k],
        ['BITCOUNT', k, num(rng), num(rng), rng.choice(['BYTE', 'BIT'])],
        ['BITPOS', k, rng.choice(['0', '1'])],
        ['BITOP', rng.choice(['AND', 'OR', 'XOR']), rng.choice(KEYS), k,
         rng.choice(KEYS)],
        ['BITFIELD', k, 'INCRBY', rng.choice(['i5', 'u8', 'i16']),
         str(rng.randint(0, 40)), num(rng)],
        ['GET', k], ['DEL', k],
    ])


def list_nodes(rng):
    """The lists family over tiny nodes (list-max-listpack-size starts
    at 2 and changes now and then), with more positional commands."""
    k = rng.choice(KEYS)
    r = rng.random()
    if r < 0.01:
        return ['CONFIG', 'SET', 'list-max-listpack-size',
                rng.choice(['1', '2', '3', '5', '-1'])]
    if r < 0.25:
        return rng.choice([
            ['RPUSH', k] + [word(rng) for _ in range(rng.randint(1, 6))],
            ['LPUSH', k] + [num(rng) for _ in range(rng.randint(1, 6))],
            ['LPOS', k, word(rng), 'RANK', rng.choice(['1', '-1', '2', '-3']),
             'COUNT', str(rng.randint(0, 3)),
             'MAXLEN', str(rng.randint(0, 8))],
            ['LMPOP', '2', k, rng.choice(KEYS), rng.choice(['LEFT', 'RIGHT']),
             'COUNT', str(rng.randint(1, 4))],
            ['LINDEX', k, str(rng.randint(-12, 12))],
            ['LSET', k, str(rng.randint(-8, 8)), rng.choice(['a', 'z' * 90,
                                                            '12345'])],
        ])
    return lists(rng)


FAMILIES = {'strings': strings, 'lists': lists, 'hashes': hashes,
            'sets': sets, 'zsets': zsets, 'bitmaps': bitmaps,
            'list_nodes': list_nodes}


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_random_family(nserver, oracle, family):
    rng = random.Random('%d-%s' % (SEED, family))
    want, got = Conn(oracle), Conn((IP, PORT))
    for c in (want, got):
        c.call(['FLUSHALL'])
        c.call(['CONFIG', 'SET', 'hash-max-listpack-entries', '128'])
        c.call(['CONFIG', 'SET', 'hash-max-listpack-value', '64'])
        c.call(['CONFIG', 'SET', 'list-max-listpack-size',
                '2' if family == 'list_nodes' else '-2'])
    try:
        for i in range(N):
            args = FAMILIES[family](rng)
            a, b = want.call(args), got.call(args)
            assert a == b, ('seed %d, %s command %d: %r\n  redis:   %r\n'
                            '  redpoll: %r' % (SEED, family, i, args, a, b))
    finally:
        for c in (want, got):
            c.call(['CONFIG', 'SET', 'list-max-listpack-size', '-2'])
        want.close()
        got.close()
