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
import gc
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import redis

from conftest import BUILD, IP, PORT, WORKER_CORES, worker_args
from test_bench import MemifRedpoll, bench, check_clean

CTL = os.path.join(BUILD, 'app', 'redpollctl')

CLIENTS = 40
CLIENT_IP = '198.18.0.2'        # the namespace's side of the tap
KEYS = 30


def steer_owner(a, b, pa, pb, n):
    """dp_steer_hash and dp_steer_owner (docs/architecture.md) of a
    flow between addresses a, b and ports pa, pb: header fields as an
    x86 reads them (little-endian loads of network-order bytes)."""
    def ip(s):
        return int.from_bytes(socket.inet_aton(s), 'little')

    def port(p):
        return int.from_bytes(p.to_bytes(2, 'big'), 'little')
    m = 0xffffffff
    x = ((ip(a) ^ ip(b)) + (port(pa) ^ port(pb)) * 0x9e3779b1) & m
    x ^= x >> 16
    x = (x * 0x85ebca6b) & m
    x ^= x >> 13
    x = (x * 0xc2b2ae35) & m
    x ^= x >> 16
    return (x * n) >> 32


def ctl_info(rp, section):
    """INFO through redpollctl (the admin socket), as a dict."""
    out = subprocess.run([CTL, '-s', rp.admin, 'info', section],
                         capture_output=True, text=True, timeout=30,
                         check=True).stdout
    return dict(line.split(':', 1) for line in out.splitlines()
                if ':' in line and not line.startswith('#'))


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
    every handshake and close goes through the rings; a stop with
    clients on both workers closes every connection."""
    rp = start(fresh, 2)
    for i in range(150):
        c = redis.Redis(host=IP, port=PORT, socket_timeout=10)
        assert c.set('churn:%d' % i, i)
        assert c.get('churn:%d' % i) == str(i).encode()
        c.connection_pool.disconnect()  # close() leaves the socket open
    r = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    assert r.dbsize() == 150
    w = r.info('workers')
    assert w['worker1_steered_in'] > 150
    assert w['worker0_conns_accepted'] > 0 and \
        w['worker1_conns_accepted'] > 0
    r.connection_pool.disconnect()

    # SIGTERM with 12 clients, all on worker 1 (source ports chosen with
    # the steering hash, an independent implementation of the
    # documented one), none on worker 0: worker 0 is done at once but
    # must keep its queue running until worker 1 has closed them.
    idle, ports = [], []
    sport = random.randrange(20000, 30000)
    while len(idle) < 12:
        sport += 1
        if steer_owner(CLIENT_IP, IP, sport, PORT, 2) != 1:
            continue
        s = socket.socket()
        s.settimeout(10)
        try:
            s.bind((CLIENT_IP, sport))
        except OSError:         # in use (by an earlier run's socket)
            s.close()
            continue
        s.connect((IP, PORT))
        s.sendall(b'PING\r\n')
        assert s.recv(64) == b'+PONG\r\n'
        idle.append(s)
        ports.append(sport)
    # Earlier connections gone (the start-up check's too, once its
    # client object is collected); asked through the admin socket,
    # which is no TCP connection.
    gc.collect()
    for _ in range(100):
        w = ctl_info(rp, 'workers')
        if w['worker0_connections'] == '0':
            break
        time.sleep(0.05)
    assert w['worker0_connections'] == '0', subprocess.run(
        [CTL, '-s', rp.admin, 'conns'], capture_output=True,
        text=True).stdout
    assert w['worker1_connections'] == '12', w
    rp.proc.send_signal(signal.SIGTERM)
    for s in idle:
        assert s.recv(64) == b''        # FIN, not a timeout
        s.close()
    assert rp.proc.wait(timeout=20) == 0
    rp.proc = None
    # Worker 1 got the clients' FINs and its ACKs left through worker
    # 0's queue: none of these sockets is left waiting in LAST-ACK.
    for _ in range(20):
        out = subprocess.run(['ss', '-tanH', 'state', 'last-ack', 'dst',
                              IP], capture_output=True, text=True,
                             check=True).stdout
        left = [line for line in out.splitlines()
                if any('%s:%d ' % (CLIENT_IP, p) in line for p in ports)]
        if not left:
            break
        time.sleep(0.05)
    assert left == []
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
