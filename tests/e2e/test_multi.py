"""test_multi.py -- transactions with two clients (python3-redis): WATCH
aborts when another connection (TCP or the admin socket) modifies a
watched key, redis-py's pipelines and its WATCH retry loop, clients that
leave with keys watched. The crash test is in test_multi_crash.py (its
own redpoll)."""
import threading

import pytest
import redis

from conftest import IP, PORT


@pytest.fixture(scope='module')
def server(nserver):
    """Every test of this module runs against 1, 2 and 3 workers."""
    return nserver


def client():
    return redis.Redis(host=IP, port=PORT, socket_timeout=10)


def exec_after(a, b, key, write):
    """a WATCHes key, b runs write, a runs a transaction: EXEC's reply."""
    a.execute_command('WATCH', key)
    b.execute_command(*write)
    a.execute_command('MULTI')
    assert a.execute_command('INCR', 'counter') == b'QUEUED'
    return a.execute_command('EXEC')


@pytest.mark.parametrize('setup, write, aborts', [
    (('SET', 'k', '1'), ('SET', 'k', '2'), True),
    (('SET', 'k', '1'), ('DEL', 'k'), True),
    (('SET', 'k', '1'), ('EXPIRE', 'k', '100'), True),
    (('SET', 'k', '1'), ('RENAME', 'k', 'k2'), True),
    (('SET', 'j', '1'), ('RENAME', 'j', 'k'), True),
    (('SET', 'k', '1'), ('FLUSHALL',), True),
    (('SET', 'k', '1'), ('FLUSHDB',), True),
    (('SET', 'k', '1'), ('MOVE', 'k', '1'), True),
    (('SET', 'j', '1'), ('COPY', 'j', 'k'), True),
    (('RPUSH', 'j{k}', 'x'), ('SORT', 'j{k}', 'ALPHA', 'STORE', 'k'), True),
    (('RPUSH', 'k', 'x'), ('SORT', 'k', 'ALPHA', 'STORE', 'j{k}'), False),
    (('RPUSH', 'k', 'x'), ('LPUSH', 'k', 'y'), True),
    (('HSET', 'k', 'f', 'v'), ('HSET', 'k', 'f', 'w'), True),
    (('SET', 'k', '1'), ('GET', 'k'), False),
    (('SET', 'k', '1'), ('SET', 'other', '1'), False),
    (('PING',), ('FLUSHALL',), False),
    (('SET', 'k', '1'), ('DEL', 'missing'), False),
])
def test_watch_other_client(server, setup, write, aborts):
    a, b = client(), client()
    a.flushall()
    a.execute_command(*setup)
    reply = exec_after(a, b, 'k', write)
    if aborts:
        assert reply is None
        assert a.get('counter') is None
    else:
        assert reply == [1]
    a.close()
    b.close()


def test_watch_expiry(server):
    a, b = client(), client()
    a.flushall()
    a.set('k', '1', px=50)
    a.execute_command('WATCH', 'k')
    threading.Event().wait(0.2)
    a.execute_command('MULTI')
    a.execute_command('PING')
    assert a.execute_command('EXEC') is None
    # Expired before WATCH: watched as a missing key.
    a.set('k', '1', px=10)
    threading.Event().wait(0.1)
    a.execute_command('WATCH', 'k')
    b.get('k')
    a.execute_command('MULTI')
    a.execute_command('PING')
    assert a.execute_command('EXEC') == [b'PONG']
    a.close()
    b.close()


def test_pipeline_transaction(r):
    p = r.pipeline(transaction=True)
    p.set('a', 1).incr('a').rpush('l', 'x', 'y').lrange('l', 0, -1)
    assert p.execute() == [True, 2, 2, [b'x', b'y']]
    p = r.pipeline(transaction=True)
    p.set('a', 1).lpush('a', 'x').get('a')
    res = p.execute(raise_on_error=False)
    assert res[0] is True and res[2] == b'1'
    assert isinstance(res[1], redis.exceptions.ResponseError)


def test_watch_retry_loop(server):
    """redis-py's optimistic increment from two threads: no lost update."""
    r0 = client()
    r0.flushall()
    r0.set('n', 0)

    def worker():
        c = client()
        for _ in range(100):
            def incr(pipe):
                v = int(pipe.get('n'))
                pipe.multi()
                pipe.set('n', v + 1)
            c.transaction(incr, 'n')
        c.close()
    ts = [threading.Thread(target=worker) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert int(r0.get('n')) == 300
    r0.close()


def test_admin_socket_client(server):
    """A client of the admin socket watches like a TCP client, and may
    leave with keys watched (released from another thread)."""
    a = redis.Redis(unix_socket_path=server.admin, socket_timeout=10)
    b = client()
    b.flushall()
    b.set('k', '1')
    assert exec_after(a, b, 'k', ('SET', 'k', '2')) is None
    assert exec_after(a, b, 'k', ('GET', 'k')) == [1]
    a.execute_command('WATCH', 'k', 'x', 'y')
    a.execute_command('MULTI')
    a.execute_command('SET', 'k', 'never')
    a.close()
    c = redis.Redis(unix_socket_path=server.admin, socket_timeout=10)
    assert exec_after(c, b, 'k', ('SET', 'k', '3')) is None
    assert b.get('k') == b'3'
    c.close()
    b.close()


def test_clients_leave_mid_transaction(server):
    for _ in range(20):
        a = client()
        a.execute_command('WATCH', 'k1', 'k2')
        a.execute_command('MULTI')
        a.execute_command('SET', 'k1', 'v')
        a.close()
    b = client()
    b.set('k1', 'x')
    assert exec_after(b, b, 'k1', ('GET', 'k1')) == [int(b.get('counter'))]
    b.close()



def test_client_list_flags(server):
    """CLIENT LIST shows a transaction (x, multi=<queued>) and a touched
    watched key (d), with Redis's letters."""
    a, b = client(), client()
    a.flushall()
    a.set('k', '1')
    a.execute_command('WATCH', 'k')
    a.execute_command('MULTI')
    a.execute_command('GET', 'k')
    a.execute_command('GET', 'k')
    b.set('k', '2')
    lines = b.execute_command('CLIENT', 'LIST').decode().splitlines()
    mine = [l for l in lines if ' flags=xd ' in l]
    assert len(mine) == 1 and ' multi=2 ' in mine[0], lines
    assert a.execute_command('EXEC') is None
    lines = b.execute_command('CLIENT', 'LIST').decode().splitlines()
    assert all(' flags=N ' in l and ' multi=-1 ' in l for l in lines)
    a.close()
    b.close()
