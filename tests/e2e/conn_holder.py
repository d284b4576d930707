"""conn_holder.py -- holds K idle TCP connections to redpoll for
test_tcp_scale.py (one process cannot hold 20,000 sockets under this
machine's open-file limit). Protocol on stdin/stdout, one line each:
prints "ready" once every connection is up; on "ping" sends PING on
each and prints "ok" when every one answered +PONG; exits (closing them
all) at end of input. Any failure prints "error: ..." and exits 1.

    conn_holder.py IP PORT K
"""
import selectors
import socket
import sys


def main():
    ip, port, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    socks, sel, pending = [], selectors.DefaultSelector(), 0
    for i in range(k):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((ip, port))
        sel.register(s, selectors.EVENT_WRITE)
        socks.append(s)
        pending += 1
        while pending >= 256 or (i == k - 1 and pending > 0):
            events = sel.select(timeout=20)
            if not events:
                print('error: connects stalled at %d' % len(socks),
                      flush=True)
                return 1
            for key, _ in events:
                err = key.fileobj.getsockopt(socket.SOL_SOCKET,
                                             socket.SO_ERROR)
                if err:
                    print('error: connect: %s' % err, flush=True)
                    return 1
                sel.unregister(key.fileobj)
                pending -= 1
    print('ready', flush=True)
    for line in sys.stdin:
        if line.strip() != 'ping':
            continue
        for lo in range(0, k, 1000):
            batch = socks[lo:lo + 1000]
            for s in batch:
                s.setblocking(True)
                s.settimeout(20)
                s.sendall(b'PING\r\n')
            for s in batch:
                got = b''
                while not got.endswith(b'\r\n'):
                    chunk = s.recv(64)
                    if not chunk:
                        print('error: closed', flush=True)
                        return 1
                    got += chunk
                if got != b'+PONG\r\n':
                    print('error: %r' % got, flush=True)
                    return 1
        print('ok', flush=True)
    for s in socks:
        s.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
