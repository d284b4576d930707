"""test_udp_restart.py -- RESP over UDP on redpoll processes of each
test's own (the tap has one owner at a time, so not in test_udp.py):
the udp-port directive (another port, off), two workers whose shards
both answer over UDP, and a UDP write that survives SIGKILL once
acknowledged.
"""
import signal

import redis

from conftest import IP, PORT
from test_udp import F_REPLY, Udp


def test_udp_port_directive(fresh):
    rp = fresh(['--udp-port', '7379']).start()
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    other = Udp(7379)
    assert other.call(1, 'SET', 'k', 'v') == (F_REPLY, b'+OK\r\n')
    same = Udp(PORT)
    same.send(2, 'GET', 'k')
    same.nothing()
    assert r.info('dataplane')['net_udp_no_port'] == 1
    assert r.config_get('udp-port') == {'udp-port': '7379'}
    other.close()
    same.close()
    r.close()
    assert rp.stop() == 0
    rp.check_log()

    rp = fresh(['--udp-port', '-1']).start()
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    off = Udp(PORT)
    off.send(3, 'PING')
    off.nothing()
    d = r.info('dataplane')
    assert d['net_udp_rx'] == 1 and d['net_udp_no_port'] == 1
    assert d['net_udp_requests'] == 0
    off.close()
    r.close()
    assert rp.stop() == 0
    rp.check_log()


def shard(key, n):
    """Redis Cluster's hash slot -> shard, computed here independently."""
    crc = 0
    for b in key.encode():
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xffff
    return (crc & 16383) * n // 16384


def test_two_workers(fresh):
    rp = fresh(['--workers', '2', '--worker-idle-sleep-us', '50'],
               ('--lcores', '0@0,1@1,2@0')).start()
    r = redis.Redis(host=IP, port=PORT, socket_timeout=20)
    keys = ['w:%d' % i for i in range(40)]
    assert {shard(k, 2) for k in keys} == {0, 1}
    # Several sockets: their flows land on both workers' queues, and each
    # sends keys of both shards, so requests travel between workers.
    socks = [Udp() for _ in range(6)]
    rid = 0
    for s in socks:
        for k in keys:
            rid += 1
            assert s.call(rid, 'SET', k, '%s@%d' % (k, rid)) == (
                F_REPLY, b'+OK\r\n')
    last = socks[-1]
    for k in keys:
        rid += 1
        flags, body = last.call(rid, 'GET', k)
        v = r.get(k)
        assert flags == F_REPLY and body == b'$%d\r\n%s\r\n' % (len(v), v)
        assert v.startswith(k.encode() + b'@')
    # A split request over both shards, merged in the keys' order.
    flags, body = last.call(rid + 1, 'MGET', keys[0], 'nokey', keys[1])
    v0, v1 = r.get(keys[0]), r.get(keys[1])
    assert body == b'*3\r\n$%d\r\n%s\r\n$-1\r\n$%d\r\n%s\r\n' % (
        len(v0), v0, len(v1), v1)
    assert last.call(rid + 2, 'DBSIZE') == (F_REPLY, b':40\r\n')
    w = r.info('workers')
    assert w['worker0_requests_remote'] + w['worker1_requests_remote'] > 0
    assert w['worker0_commands'] + w['worker1_commands'] >= 6 * 40 + 43
    d = r.info('dataplane')
    assert d['net_udp_requests'] == 6 * 40 + 42
    assert d['net_udp_replies'] == 6 * 40 + 42
    for s in socks:
        s.close()
    r.close()
    assert rp.stop() == 0
    rp.check_log()


def test_acknowledged_udp_write_survives_kill9(fresh):
    rp = fresh().start()
    u = Udp()
    assert u.call(1, 'SET', 'durable', 'yes') == (F_REPLY, b'+OK\r\n')
    assert u.call(2, 'INCRBY', 'ctr', 7) == (F_REPLY, b':7\r\n')
    rp.stop(signal.SIGKILL)               # a crash: no clean shutdown
    u.close()
    rp.start()
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    assert r.get('durable') == b'yes'
    assert r.get('ctr') == b'7'
    u = Udp()
    assert u.call(3, 'GET', 'durable') == (F_REPLY, b'$3\r\nyes\r\n')
    u.close()
    r.close()
    assert rp.stop() == 0
    rp.check_log()
