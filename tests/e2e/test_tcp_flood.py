"""test_tcp_flood.py -- a SYN flood from inside the test namespace
(hping3, spoofed from an address of the subnet that never answers, so
every half-open connection stays half open): the SYN backlog fills, SYN
cookies take over, established clients keep being served and new ones
still connect.
"""
import subprocess
import time

import redis

from conftest import IP, PORT


def test_syn_flood_cookies(fresh):
    rp = fresh(['--tcp-backlog', '64']).start()
    before = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    assert before.set('flood', 'before')
    # About 5000 SYNs over 1 s: bounded in count and time.
    flood = subprocess.Popen(
        ['hping3', '-q', '-S', '-p', str(PORT), '-a', '198.18.0.99',
         '-i', 'u200', '-c', '5000', IP],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        # The established client is served during the flood.
        for i in range(50):
            assert before.incr('served') == i + 1
        # A new client gets in through a SYN cookie.
        during = redis.Redis(host=IP, port=PORT, socket_timeout=10,
                             socket_connect_timeout=5)
        assert during.set('flood', 'during')
        assert during.get('flood') == b'during'
        during.close()
    finally:
        flood.wait(timeout=60)
    net = before.info('network')
    assert net['tcp_syncookies_sent'] > 100
    assert net['tcp_syncookies_ok'] >= 1
    assert net['tcp_syncookies_failed'] == 0
    assert before.get('served') == b'50'
    before.close()
    assert rp.stop() == 0
