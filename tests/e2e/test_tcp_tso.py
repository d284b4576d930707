"""test_tcp_tso.py -- TSO on net_tap (directive tcp-tso): large values
read back intact, the port cutting the segments, no checksum error seen
by the kernel, and the GET throughput with and without TSO (printed;
docs/tcp.md has the numbers)."""
import hashlib
import os
import subprocess
import time

import pytest
import redis

from conftest import IP, PORT

MiB = 1 << 20


def csum_errors():
    """TcpInCsumErrors of this namespace's kernel."""
    out = subprocess.run(['nstat', '-az', 'TcpInCsumErrors'],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith('TcpInCsumErrors'):
            return int(line.split()[1])
    return 0


def get_rate(r, v, rounds=3):
    """Best GET rate of an 8 MiB value, MB/s; every reply checked."""
    want = hashlib.sha256(v).digest()
    best = None
    for _ in range(rounds):
        t = time.time()
        got = r.get('tso')
        dt = time.time() - t
        assert hashlib.sha256(got).digest() == want
        best = dt if best is None else min(best, dt)
    return len(v) / best / 1e6


@pytest.mark.parametrize('tso', ['yes', 'no'])
def test_tso_large_values(fresh, tso):
    rp = fresh(['--tcp-tso', tso]).start()
    r = redis.Redis(host=IP, port=PORT, socket_timeout=30)
    before = csum_errors()
    v = os.urandom(8 * MiB)
    assert r.set('tso', v)
    rate = get_rate(r, v)
    # a reply that starts at an odd offset in the send queue
    small = b'x' * 5
    r.set('small', small)
    p = r.pipeline(transaction=False)
    p.get('small').get('tso').get('small')
    assert p.execute() == [small, v, small]
    info = r.info('dataplane')
    assert 'tcp_tso' in info['port_tx_offloads']
    assert csum_errors() == before
    assert info['tcp_retransmits'] < 5    # a bad checksum: resent forever
    if tso == 'yes':
        assert info['tcp_tso_segs_tx'] > 0
    else:
        assert info['tcp_tso_segs_tx'] == 0
    print('tcp-tso %s: GET 8 MiB %.1f MB/s, %d segments (%d TSO), %d '
          'frames' % (tso, rate, info['tcp_segs_tx'],
                      info['tcp_tso_segs_tx'], info['port_tx_packets']))
    r.close()
    assert rp.stop() == 0
    rp.check_log()
