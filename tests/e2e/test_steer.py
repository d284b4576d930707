"""test_steer.py -- software flow steering: redpoll with 2 and 3 workers
(3 oversubscribed on this 2-core machine) on a tap with ONE queue pair
(port-queues 1), and 3 workers on 2 queue pairs. Worker q polls queue q
and hands every frame to the worker that owns its flow; the workers
without a queue transmit through one that has. Many clients at once get
every reply right, every worker owns connections, the steering counters
move, nothing is dropped, the whole keyspace answers, ICMP and a clean
stop work. The same with redpoll-bench over
net_memif, a single-queue device.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading

import pytest
import redis

from conftest import BUILD, IP, PORT, WORKER_CORES, worker_args
from test_bench import MemifRedpoll, bench, check_clean

CTL = os.path.join(BUILD, 'app', 'redpollctl')

CLIENTS = 40
KEYS = 30


def start(fresh, n, queues=1):
    return fresh([*worker_args(n), '--port-queues', str(queues)],
                 WORKER_CORES[n]).start()


def client_work(i, conn, errors):
    """SET then GET KEYS keys of client i, each reply checked."""
    try:
        for k in range(KEYS):
            key = 'c%d:k%d' % (i, k)
            val = ('v%d-%d-' % (i, k)) * (1 + k % 5)
            assert conn.set(key, val) is True
            got = conn.get(key)
            assert got == val.encode(), (key, got)
        assert conn.incrby('count:%d' % (i % 7), 1) >= 1
    except Exception as e:      # reported by the main thread
        errors.append('client %d: %r' % (i, e))


@pytest.mark.parametrize('n,q', [(2, 1), (3, 1), (3, 2)])
def test_fewer_queues_than_workers(fresh, n, q):
    rp = start(fresh, n, q)
    assert 'flows steered between workers in software' in rp.read_log()
    conns = [redis.Redis(host=IP, port=PORT, socket_timeout=20)
             for _ in range(CLIENTS)]
    for c in conns:             # every connection open before the load
        assert c.ping()

    errors = []
    threads = [threading.Thread(target=client_work, args=(i, c, errors))
               for i, c in enumerate(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

    d = conns[0].info('dataplane')
    assert d['port_queues'] == q and d['workers'] == n
    w = conns[0].info('workers')
    # Connections: each worker owns some (the flow hash spreads them).
    owned = [w['worker%d_connections' % i] for i in range(n)]
    # (the start-up check's connection may still be closing)
    assert CLIENTS <= sum(owned) <= CLIENTS + 1, owned
    assert all(o > 0 for o in owned), owned
    # Workers with a queue steered frames out to the others, which got
    # them; those without a queue handed their transmit over; no ring
    # overflowed.
    assert sum(w['worker%d_steered_out' % i] for i in range(q)) > 0
    for i in range(1, n):
        assert w['worker%d_steered_in' % i] > 0
    for i in range(q):
        assert w['worker%d_tx_handoff' % i] == 0
    for i in range(q, n):
        assert w['worker%d_tx_handoff' % i] > 0
        assert w['worker%d_steered_out' % i] == 0
    assert all(w['worker%d_steer_drops' % i] == 0 for i in range(n))
    cores = json.loads(subprocess.run(
        [CTL, '-s', rp.admin, '--json', 'cores'], capture_output=True,
        text=True, timeout=30, check=True).stdout)
    assert [c['worker'] for c in cores] == list(range(n))
    assert sum(c['steered_out'] for c in cores[:q]) > 0
    assert all(c['steered_in'] > 0 for c in cores[1:])
    assert all(c['steer_drops'] == 0 for c in cores)
    assert all(c['tx_handoff'] > 0 for c in cores[q:])

    # The keyspace spans every shard.
    r = conns[0]
    assert r.dbsize() == CLIENTS * KEYS + 7
    assert len(r.keys('c1:*')) == KEYS
    ask = ['c%d:k%d' % (i, i % KEYS) for i in range(CLIENTS)]
    assert r.mget(ask) == [
        (('v%d-%d-' % (i, i % KEYS)) * (1 + (i % KEYS) % 5)).encode()
        for i in range(CLIENTS)]
    assert sum(int(r.get('count:%d' % j)) for j in range(7)) == CLIENTS
    for c in conns:
        c.close()

    # ICMP is steered by the addresses: echo replies come back.
    out = subprocess.run(['ping', '-c', '3', '-i', '0.2', '-W', '2', IP],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr

    assert rp.stop() == 0
    rp.check_log()


def test_connection_churn(fresh):
    """Short connections one after another (new ports, both owners):
    every handshake and close goes through the rings."""
    rp = start(fresh, 2)
    for i in range(150):
        c = redis.Redis(host=IP, port=PORT, socket_timeout=10)
        assert c.set('churn:%d' % i, i)
        assert c.get('churn:%d' % i) == str(i).encode()
        c.close()
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    assert r.dbsize() == 150
    w = r.info('workers')
    assert w['worker1_steered_in'] > 150
    assert w['worker0_conns_accepted'] > 0 and \
        w['worker1_conns_accepted'] > 0
    r.close()
    assert rp.stop() == 0
    rp.check_log()


def test_memif_bench_two_workers(tmp_path):
    """redpoll-bench back to back over net_memif (one queue pair) with
    two redpoll workers: RESP/UDP and TCP runs without an error, the TCP
    connections spread over both workers through the rings."""
    work = tempfile.mkdtemp(prefix='rpsteer-', dir='/dev/shm')
    sock = os.path.join(work, 'memif.sock')
    rp = MemifRedpoll(work, sock)
    rp.cores = list(WORKER_CORES[2])
    rp.extra = ['--workers', '2', '--port-queues', '1']
    try:
        rp.start()
        rates = {}
        for name, transport in (('udp', []), ('tcp', ['--tcp'])):
            out = tmp_path / ('%s.json' % name)
            rc, o, e = bench(['--timeout-ms', '5000', *transport, '-t',
                              'set,get', '--ratio', 'set:get=1:3', '-c',
                              '16', '-P', '4', '--duration', '2',
                              '--json', str(out)],
                             '--vdev=net_memif0,role=client,socket=%s' %
                             sock)
            assert rc == 0, o + e + rp.read_log()[-2000:]
            r = json.loads(out.read_text())
            check_clean(r)
            rates[name] = r['requests_per_second']
        print('steered memif, 2 workers: %s requests/s' % rates)
        cores = json.loads(subprocess.run(
            [CTL, '-s', rp.admin, '--json', 'cores'], capture_output=True,
            text=True, timeout=30, check=True).stdout)
        assert cores[0]['steered_out'] > 0
        assert cores[1]['steered_in'] > 0 and cores[1]['tx_handoff'] > 0
        assert all(c['steer_drops'] == 0 for c in cores)
        assert all(c['commands'] > 0 for c in cores), cores
        assert rp.stop() == 0
        rp.check_log()
    finally:
        rp.stop(signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)
