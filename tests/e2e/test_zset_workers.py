"""test_zset_workers.py -- sorted sets with 2 workers: every key lives on
its own shard, requests for it travel there, same-slot multi-key commands
(ZUNIONSTORE, ZRANGESTORE, ZMPOP over {tag} keys) run on their shard, and
the sets survive a restart.
"""

from test_workers import client, start


def test_zsets_on_shards(fresh):
    rp = start(fresh, 2)
    r = client()
    for i in range(1, 101):
        assert r.zadd('z:%d' % i, {'a': i, 'b': i + 0.5, 'c': -i}) == 3
    for i in range(1, 101):
        assert r.zrange('z:%d' % i, 0, -1, withscores=True) == [
            (b'c', float(-i)), (b'a', float(i)), (b'b', i + 0.5)]
        assert r.zincrby('z:%d' % i, 1, 'c') == 1.0 - i
    assert r.zunionstore('{t}out', ['{t}a', '{t}b']) == 0
    r.zadd('{t}a', {'x': 1, 'y': 2})
    r.zadd('{t}b', {'y': 10, 'z': 3})
    assert r.zunionstore('{t}out', ['{t}a', '{t}b']) == 3
    assert r.zrange('{t}out', 0, -1, withscores=True) == [
        (b'x', 1.0), (b'z', 3.0), (b'y', 12.0)]
    assert r.zrangestore('{t}r', '{t}out', 0, 0) == 1
    assert r.zmpop(2, ['{t}none', '{t}r'], max=True) == [
        b'{t}r', [[b'x', b'1']]]
    assert r.exists('{t}r') == 0
    assert r.dbsize() == 103
    r.close()
    assert rp.stop() == 0

    rp = start(fresh, 2)
    r = client()
    assert r.dbsize() == 103
    assert r.zscore('z:7', 'c') == -6.0
    assert r.zrange('{t}out', 0, -1) == [b'x', b'z', b'y']
    r.close()
    assert rp.stop() == 0
