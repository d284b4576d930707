"""conftest.py -- fixtures of the end-to-end tests.

scripts/test.sh runs pytest inside a network namespace it created with
scripts/netns.sh (a persistent tap device rp0 whose kernel side is
198.18.0.2/24). Here redpoll is started on that tap through DPDK's net_tap
(RP_BUILD selects the release or the ASan build) and answers on
198.18.0.1; Debian's redis-server, the oracle of the differential tests,
runs on this namespace's loopback.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.environ.get('RP_BUILD', os.path.join(ROOT, 'build'))
IP = '198.18.0.1'
PORT = 6379
ORACLE_PORT = 6390

# EAL core maps for N workers on this 2-core machine: the main lcore and
# the workers share the two CPUs (3 workers are oversubscribed).
WORKER_CORES = {1: ('-l', '0-1'), 2: ('--lcores', '0@0,1@1,2@0'),
                3: ('--lcores', '0@0,1@1,2@0,3@1')}


def worker_args(n):
    """redpoll options for N workers: more than one worker sleeps when
    idle (busy polling three workers on two CPUs would starve the
    clients; a later option wins over conftest's default 0)."""
    if n == 1:
        return []
    return ['--workers', str(n), '--worker-idle-sleep-us', '50']


class Redpoll:
    """A redpoll process on the namespace's tap device."""

    def __init__(self, workdir, extra=(), cores=('-l', '0-1'), env=None):
        self.workdir = workdir
        self.env = dict(env or {})
        self.cores = list(cores)
        self.pmem = os.path.join(workdir, 'pmem')
        self.log = os.path.join(workdir, 'redpoll.log')
        self.admin = os.path.join(workdir, 'admin.sock')
        self.extra = list(extra)
        self.proc = None

    def cmdline(self, extra=()):
        return [os.path.join(BUILD, 'app', 'redpoll'),
                *self.cores, '--no-huge', '-m', '1024', '--no-pci',
                '--file-prefix=rpe2e%d' % os.getpid(),
                '--vdev=net_tap0,iface=rp0',
                '--log-level=pmd.net.tap:error', '--',
                '--bind-ip', IP + '/24', '--pmem-path', self.pmem,
                '--pmem-size', '256mb', '--worker-idle-sleep-us', '0',
                '--admin-socket', self.admin,
                *self.extra, *extra]

    def start(self, extra=(), wait=True):
        env = dict(os.environ, PMEM_IS_PMEM_FORCE='1',
                   ASAN_OPTIONS='detect_leaks=0:abort_on_error=1',
                   UBSAN_OPTIONS='halt_on_error=1:print_stacktrace=1')
        env.update(self.env)
        logf = open(self.log, 'a')
        self.proc = subprocess.Popen(self.cmdline(extra), stdout=logf,
                                     stderr=subprocess.STDOUT, env=env)
        logf.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('redpoll exited %d:\n%s' %
                                   (self.proc.returncode, self.read_log()))
            try:
                r = redis.Redis(host=IP, port=PORT, socket_timeout=1,
                                socket_connect_timeout=1)
                if r.ping():
                    r.close()
                    return
            except (redis.exceptions.ConnectionError,
                    redis.exceptions.TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError('redpoll not ready:\n' + self.read_log())

    def read_log(self):
        with open(self.log, errors='replace') as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        """Stop (SIGTERM: clean; SIGKILL: a crash); return exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError('redpoll did not stop on SIGTERM')
        rc = self.proc.returncode
        self.proc = None
        return rc

    def check_log(self):
        """No sanitizer report, no crash in the log."""
        text = self.read_log()
        for bad in ('AddressSanitizer', 'runtime error:',
                    'LeakSanitizer', 'Segmentation fault', 'PANIC'):
            assert bad not in text, text


def raw_connect(host=IP, port=PORT, timeout=5):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


@pytest.fixture(scope='module')
def server():
    """One redpoll per test module. Modules that start their own (restart,
    crash, bad configuration) use `fresh` and never `server`: only one
    process can own the tap device at a time."""
    work = tempfile.mkdtemp(prefix='rpe2e-', dir='/dev/shm')
    rp = Redpoll(work).start()
    yield rp
    rc = rp.stop()
    rp.check_log()
    assert rc == 0, rp.read_log()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope='module', params=[1, 2, 3],
                ids=['w1', 'w2', 'w3'])
def nserver(request):
    """Like `server`, once per worker count (1, 2, 3): the differential
    suites run against each. pytest groups a module's tests by the
    parameter and stops one redpoll before it starts the next."""
    n = request.param
    work = tempfile.mkdtemp(prefix='rpe2e-', dir='/dev/shm')
    rp = Redpoll(work, worker_args(n), WORKER_CORES[n]).start()
    rp.workers = n
    yield rp
    rc = rp.stop()
    rp.check_log()
    assert rc == 0, rp.read_log()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def r(server):
    """A redis-py client on a flushed redpoll."""
    c = redis.Redis(host=IP, port=PORT, socket_timeout=10)
    c.flushall()
    yield c
    c.close()


@pytest.fixture(scope='session')
def oracle():
    """Debian's redis-server on the namespace's loopback."""
    work = tempfile.mkdtemp(prefix='rporacle-', dir='/dev/shm')
    proc = subprocess.Popen(
        ['redis-server', '--port', str(ORACLE_PORT), '--bind', '127.0.0.1',
         '--save', '', '--appendonly', 'no', '--dir', work],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    c = redis.Redis(host='127.0.0.1', port=ORACLE_PORT)
    for _ in range(100):
        try:
            c.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.1)
    yield ('127.0.0.1', ORACLE_PORT)
    proc.terminate()
    proc.wait()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def fresh(tmp_path_factory):
    """A redpoll of the test's own (restarts, crashes, bad configs)."""
    work = tempfile.mkdtemp(prefix='rpe2e-', dir='/dev/shm')
    made = []

    def make(extra=(), cores=('-l', '0-1'), env=None):
        rp = Redpoll(work, extra, cores, env)
        made.append(rp)
        return rp
    yield make
    for rp in made:
        rp.stop(signal.SIGKILL)
    shutil.rmtree(work, ignore_errors=True)
