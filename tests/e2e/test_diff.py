"""test_diff.py -- differential test: the command scripts in tests/diff/
run against Debian's redis-server and against redpoll; every reply must be
identical, byte for byte.

With several workers (the nserver fixture runs every script against 1, 2
and 3) every script must give the same bytes too.

Script format: one command per line, arguments split like a POSIX shell
(shlex), '#' starts a comment, blank lines are ignored. Each script starts
from an empty keyspace (FLUSHALL is sent first, its reply not compared).
An argument @dump:KEY is the payload of the last DUMP KEY the same
server answered (RESTORE k 0 @dump:j: a round trip on each server; the
DUMPs themselves are compared).
"""
import glob
import os
import shlex
import socket

import pytest

from conftest import IP, PORT, ROOT

SCRIPTS = sorted(glob.glob(os.path.join(ROOT, 'tests', 'diff', '*.redis')))


def encode(args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else a.encode('utf-8',
                                                      'surrogateescape')
        out.append(b'$%d\r\n%s\r\n' % (len(b), b))
    return b''.join(out)


class Conn:
    """A raw RESP connection that reads exactly one reply at a time."""

    def __init__(self, addr):
        self.s = socket.create_connection(addr, timeout=10)
        self.buf = b''

    def _line(self):
        while b'\r\n' not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError('closed')
            self.buf += chunk
        i = self.buf.index(b'\r\n') + 2
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError('closed')
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def reply(self):
        line = self._line()
        t = line[:1]
        if t == b'$':
            n = int(line[1:-2])
            return line + (self._exact(n + 2) if n >= 0 else b'')
        if t == b'*':
            n = int(line[1:-2])
            return line + b''.join(self.reply() for _ in range(max(n, 0)))
        return line

    def call(self, args):
        self.s.sendall(encode(args))
        return self.reply()

    def close(self):
        self.s.close()


def resolve(args, dumps):
    """args with each @dump:KEY replaced by dumps[KEY]."""
    return [dumps[a[6:]] if a.startswith('@dump:') else a for a in args]


def remember_dump(args, reply, dumps):
    """After DUMP KEY: its payload (a bulk reply) into dumps[KEY]."""
    if (len(args) == 2 and args[0].upper() == 'DUMP' and
            reply.startswith(b'$') and not reply.startswith(b'$-')):
        dumps[args[1]] = reply[reply.index(b'\r\n') + 2:-2]


def commands(path):
    with open(path) as f:
        for no, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            yield no, shlex.split(line)


@pytest.mark.parametrize('script', SCRIPTS,
                         ids=[os.path.basename(s) for s in SCRIPTS])
def test_script(nserver, oracle, script):
    want, got = Conn(oracle), Conn((IP, PORT))
    want.call(['FLUSHALL'])
    got.call(['FLUSHALL'])
    mismatches = []
    dumps = ({}, {})
    for no, args in commands(script):
        a = want.call(resolve(args, dumps[0]))
        b = got.call(resolve(args, dumps[1]))
        remember_dump(args, a, dumps[0])
        remember_dump(args, b, dumps[1])
        if a != b:
            mismatches.append('%s:%d %s\n  redis:   %r\n  redpoll: %r' %
                              (os.path.basename(script), no,
                               shlex.join(args), a, b))
    want.close()
    got.close()
    assert not mismatches, '\n'.join(mismatches)


def test_scripts_exist():
    assert len(SCRIPTS) >= 3, SCRIPTS
