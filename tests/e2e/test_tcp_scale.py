"""test_tcp_scale.py -- 20,000 concurrent idle connections on one worker,
each answering PING afterwards; the memory an idle connection costs is
measured from the process's resident set and printed (docs/tcp.md).
Two conn_holder.py processes hold 10,000 connections each."""
import os
import subprocess
import sys
import time

import redis

from conftest import IP, PORT

N = 20000
HOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      'conn_holder.py')


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError('no VmRSS')


def test_20k_idle_connections(fresh):
    rp = fresh(['--maxclients', str(N + 100), '--worker-idle-sleep-us',
                '50']).start()
    time.sleep(0.5)
    base = rss_kib(rp.proc.pid)
    holders = [subprocess.Popen([sys.executable, HOLDER, IP, str(PORT),
                                 str(N // 2)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        for h in holders:
            assert h.stdout.readline().strip() == 'ready'
        r = redis.Redis(host=IP, port=PORT, socket_timeout=20)
        r.ping()
        # Every connection answers; a handshake whose last ACK the tap
        # dropped (or that went through a SYN cookie) completes with the
        # PING itself.
        for h in holders:
            h.stdin.write('ping\n')
            h.stdin.flush()
        for h in holders:
            assert h.stdout.readline().strip() == 'ok'
        time.sleep(1.0)
        held = rss_kib(rp.proc.pid)
        per_conn = (held - base) * 1024 / N
        net = r.info('network')
        print('\n%d idle connections: RSS %d -> %d KiB, %.0f bytes each; '
              'syncookies sent %d ok %d failed %d' %
              (N, base, held, per_conn, net['tcp_syncookies_sent'],
               net['tcp_syncookies_ok'], net['tcp_syncookies_failed']))
        # The holders' N, this client, maybe the start-up probe's.
        assert N < r.info('clients')['connected_clients'] <= N + 2
        assert per_conn < 16384
        r.close()
    finally:
        for h in holders:
            h.stdin.close()
            h.wait(timeout=60)
    assert [h.returncode for h in holders] == [0, 0]
    assert rp.stop() == 0
