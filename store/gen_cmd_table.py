#!/usr/bin/python3
"""gen_cmd_table.py -- generate store/cmd_table.c and store/cmd_table.h
from Redis 7.0's command specifications (JSON) for the commands listed in
store/commands.txt, so that arity, flags, key positions, ACL categories and
the COMMAND INFO / COMMAND DOCS replies match Redis's facts.

    store/gen_cmd_table.py [SPEC_DIR]
        write cmd_table.c and cmd_table.h (default SPEC_DIR:
        ../shared/redis-7.0-commands relative to the repository)
    store/gen_cmd_table.py --check PORT [SPEC_DIR]
        compare the COMMAND INFO and COMMAND DOCS entries this script
        encodes, for every specification in SPEC_DIR, with those of a Redis
        7.0 server on 127.0.0.1:PORT; exits 1 on any difference

The output is committed and the build does not run this script: rerun it
after editing commands.txt (or cmd.h's KV_CMD_FLAGS).

Naming: command "get" is handled by cmd_get, subcommand "client|id" by
cmd_client_id ('-' becomes '_'). A container (CLIENT, CONFIG) has no
handler unless commands.txt also lists it on its own line (COMMAND: run
without a subcommand); cmd.c dispatches its subcommands on argv[1].
"""
import glob
import json
import os
import re
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SPECS = os.path.join(HERE, '..', '..', 'shared',
                             'redis-7.0-commands')

# Every command flag a Redis 7.0 specification may carry, in the order
# COMMAND INFO lists them; None marks the flags Redis never shows there.
# MOVABLE_KEYS is not written in specifications: it is derived from the
# key specs (legacy_range).
REDIS_FLAGS = [
    ('WRITE', 'write'), ('READONLY', 'readonly'), ('DENYOOM', 'denyoom'),
    ('ADMIN', 'admin'), ('PUBSUB', 'pubsub'), ('NOSCRIPT', 'noscript'),
    ('BLOCKING', 'blocking'), ('LOADING', 'loading'), ('STALE', 'stale'),
    ('SKIP_MONITOR', 'skip_monitor'), ('SKIP_SLOWLOG', 'skip_slowlog'),
    ('ASKING', 'asking'), ('FAST', 'fast'), ('NO_AUTH', 'no_auth'),
    ('MAY_REPLICATE', None), ('SENTINEL', None), ('ONLY_SENTINEL', None),
    ('NO_MANDATORY_KEYS', 'no_mandatory_keys'), ('PROTECTED', None),
    ('NO_ASYNC_LOADING', 'no_async_loading'), ('NO_MULTI', 'no_multi'),
    ('MOVABLE_KEYS', 'movablekeys'), ('ALLOW_BUSY', 'allow_busy'),
    ('TOUCHES_ARBITRARY_KEYS', None),
]
REDIS_FLAG_NAMES = [f for f, _ in REDIS_FLAGS]
# ACL categories, in Redis's order.
ACL = ['KEYSPACE', 'READ', 'WRITE', 'SET', 'SORTEDSET', 'LIST', 'HASH',
       'STRING', 'BITMAP', 'HYPERLOGLOG', 'GEO', 'STREAM', 'PUBSUB',
       'ADMIN', 'FAST', 'SLOW', 'BLOCKING', 'DANGEROUS', 'CONNECTION',
       'TRANSACTION', 'SCRIPTING']
# Key spec flags, in Redis's order; the first four are shown uppercase.
KEYSPEC_FLAGS = ['RO', 'RW', 'OW', 'RM', 'ACCESS', 'UPDATE', 'INSERT',
                 'DELETE', 'NOT_KEY', 'INCOMPLETE', 'VARIABLE_FLAGS']
DOC_FLAGS = ['DEPRECATED', 'SYSCMD']
ARG_TYPES = {'string', 'integer', 'double', 'key', 'pattern', 'unix-time',
             'pure-token', 'oneof', 'block'}
ARG_FLAGS = ['optional', 'multiple', 'multiple_token']
# Redis names the group of a command "sorted-set" where the specification
# says "sorted_set" (its group enum is printed with '-').
# Redis 7.0.15's compiled table spells the pure tokens of these commands in
# uppercase where the published specification has them in lowercase
# (NORMAL, MASTER, ...): COMMAND DOCS follows the binary.
UPPER_TOKENS = {'client|kill', 'client|list'}


class SpecError(Exception):
    pass


def need(cond, what):
    if not cond:
        raise SpecError(what)


class Resp:
    """RESP2 encoder building the bytes of a reply."""

    def __init__(self):
        self.out = bytearray()

    def arr(self, n):
        self.out += b'*%d\r\n' % n

    def bulk(self, s):
        b = s.encode()
        self.out += b'$%d\r\n%s\r\n' % (len(b), b)

    def status(self, s):
        self.out += b'+%s\r\n' % s.encode()

    def int(self, v):
        self.out += b':%d\r\n' % v


def kv_flags_of_header():
    """The X(NAME, "name") pairs of KV_CMD_FLAGS in cmd.h."""
    with open(os.path.join(HERE, 'cmd.h')) as f:
        text = f.read()
    m = re.search(r'#define KV_CMD_FLAGS\(X\)(.*?)\n\n', text, re.S)
    need(m, 'cmd.h: KV_CMD_FLAGS not found')
    return re.findall(r'X\((\w+),', m.group(1))


def check_spec(name, c):
    """Reject any fact this generator does not know how to reproduce."""
    for f in c.get('command_flags', []):
        need(f in REDIS_FLAG_NAMES, '%s: unknown command flag %s' % (name, f))
    for a in c.get('acl_categories', []):
        need(a in ACL, '%s: unknown ACL category %s' % (name, a))
    for f in c.get('doc_flags', []):
        need(f in DOC_FLAGS, '%s: unknown doc flag %s' % (name, f))
    for ks in c.get('key_specs', []):
        for f in ks.get('flags', []):
            need(f in KEYSPEC_FLAGS, '%s: unknown key spec flag %s' %
                 (name, f))

    def walk(args):
        for a in args:
            need(a['type'] in ARG_TYPES, '%s: unknown argument type %s' %
                 (name, a['type']))
            walk(a.get('arguments', []))
    walk(c.get('arguments', []))


def acl_categories(c):
    """Explicit categories plus those Redis implies from the flags."""
    cats = set(c.get('acl_categories', []))
    flags = set(c.get('command_flags', []))
    if 'WRITE' in flags:
        cats.add('WRITE')
    if 'READONLY' in flags and 'SCRIPTING' not in cats:
        cats.add('READ')
    if 'ADMIN' in flags:
        cats |= {'ADMIN', 'DANGEROUS'}
    if 'PUBSUB' in flags:
        cats.add('PUBSUB')
    if 'FAST' in flags:
        cats.add('FAST')
    if 'BLOCKING' in flags:
        cats.add('BLOCKING')
    if 'FAST' not in cats:
        cats.add('SLOW')
    return [a for a in ACL if a in cats]


def is_range(ks):
    return 'index' in ks['begin_search'] and 'range' in ks['find_keys']


def legacy_range(c):
    """(first, last, step, movable) as Redis 7.0 derives them: one plain
    index+range spec is taken as it is; otherwise consecutive step-1
    range specs are merged and anything else makes the keys movable."""
    specs = c.get('key_specs', [])
    if not specs:
        return 0, 0, 0, False
    if len(specs) == 1 and is_range(specs[0]):
        ks = specs[0]
        pos, r = ks['begin_search']['index']['pos'], ks['find_keys']['range']
        last = pos + r['lastkey'] if r['lastkey'] >= 0 else r['lastkey']
        return pos, last, r['step'], 'INCOMPLETE' in ks.get('flags', [])
    first, last, prev_last, movable = None, 0, 0, False
    for ks in specs:
        if not is_range(ks):
            movable = True
            continue
        pos, r = ks['begin_search']['index']['pos'], ks['find_keys']['range']
        if r['step'] != 1 or (prev_last and prev_last != pos - 1):
            movable = True
            continue
        if 'INCOMPLETE' in ks.get('flags', []):
            movable = True
        first = pos if first is None else min(first, pos)
        abs_last = pos + r['lastkey'] if r['lastkey'] >= 0 else r['lastkey']
        # Redis compares as unsigned: a negative (from the end) wins.
        last = max(last, abs_last, key=lambda v: v & 0xffffffff)
        prev_last = last
    if first is None:
        return 0, 0, 0, True
    return first, last, 1, movable


def all_flags(c):
    flags = set(c.get('command_flags', []))
    if legacy_range(c)[3]:
        flags.add('MOVABLE_KEYS')
    return [f for f in REDIS_FLAG_NAMES if f in flags]


def encode_keyspec(w, ks):
    w.arr(6 + (2 if 'notes' in ks else 0))
    if 'notes' in ks:
        w.bulk('notes')
        w.bulk(ks['notes'])
    w.bulk('flags')
    fl = [f for f in KEYSPEC_FLAGS if f in ks.get('flags', [])]
    w.arr(len(fl))
    for f in fl:
        w.status(f if f in ('RO', 'RW', 'OW', 'RM') else f.lower())
    bs, fk = ks['begin_search'], ks['find_keys']
    w.bulk('begin_search')
    w.arr(4)
    w.bulk('type')
    if 'index' in bs:
        w.bulk('index')
        w.bulk('spec')
        w.arr(2)
        w.bulk('index')
        w.int(bs['index']['pos'])
    elif 'keyword' in bs:
        w.bulk('keyword')
        w.bulk('spec')
        w.arr(4)
        w.bulk('keyword')
        w.bulk(bs['keyword']['keyword'])
        w.bulk('startfrom')
        w.int(bs['keyword']['startfrom'])
    else:
        w.bulk('unknown')
        w.bulk('spec')
        w.arr(0)
    w.bulk('find_keys')
    w.arr(4)
    w.bulk('type')
    if 'range' in fk:
        r = fk['range']
        w.bulk('range')
        w.bulk('spec')
        w.arr(6)
        w.bulk('lastkey')
        w.int(r['lastkey'])
        w.bulk('keystep')
        w.int(r['step'])
        w.bulk('limit')
        w.int(r['limit'])
    elif 'keynum' in fk:
        k = fk['keynum']
        w.bulk('keynum')
        w.bulk('spec')
        w.arr(6)
        w.bulk('keynumidx')
        w.int(k['keynumidx'])
        w.bulk('firstkey')
        w.int(k['firstkey'])
        w.bulk('keystep')
        w.int(k['step'])
    else:
        w.bulk('unknown')
        w.bulk('spec')
        w.arr(0)


def encode_info(w, name, c, subs):
    """One COMMAND INFO entry; subs: [(full name, spec)]."""
    w.arr(10)
    w.bulk(name)
    w.int(c['arity'])
    shown = dict(REDIS_FLAGS)
    fl = [shown[f] for f in all_flags(c) if shown[f] is not None]
    w.arr(len(fl))
    for f in fl:
        w.status(f)
    first, last, step, _ = legacy_range(c)
    w.int(first)
    w.int(last)
    w.int(step)
    cats = acl_categories(c)
    w.arr(len(cats))
    for a in cats:
        w.status('@' + a.lower())
    tips = c.get('command_tips', [])
    w.arr(len(tips))
    for t in tips:
        w.bulk(t.lower())
    specs = c.get('key_specs', [])
    w.arr(len(specs))
    for ks in specs:
        encode_keyspec(w, ks)
    w.arr(len(subs))
    for sname, sc in subs:
        encode_info(w, sname, sc, [])


def encode_arg(w, a):
    fields = [('name', a['name']), ('type', a['type'])]
    if 'key_spec_index' in a:
        fields.append(('key_spec_index', a['key_spec_index']))
    for f in ('token', 'summary', 'since', 'deprecated_since'):
        if f in a:
            fields.append((f, a[f]))
    fl = [f for f in ARG_FLAGS if a.get(f)]
    nested = a['type'] in ('oneof', 'block')
    w.arr(2 * (len(fields) + (1 if fl else 0) + (1 if nested else 0)))
    for k, v in fields:
        w.bulk(k)
        if isinstance(v, int):
            w.int(v)
        else:
            w.bulk(v)
    if fl:
        w.bulk('flags')
        w.arr(len(fl))
        for f in fl:
            w.status(f)
    if nested:
        w.bulk('arguments')
        w.arr(len(a.get('arguments', [])))
        for s in a.get('arguments', []):
            encode_arg(w, s)


def encode_docs(w, c, subs):
    """One COMMAND DOCS entry (the map after the name)."""
    pairs = []
    for f in ('summary', 'since', 'group', 'complexity'):
        if f in c:
            pairs.append((f, c[f]))
    if c.get('doc_flags'):
        pairs.append(('doc_flags', [f for f in DOC_FLAGS
                                    if f in c['doc_flags']]))
    for f in ('deprecated_since', 'replaced_by'):
        if f in c:
            pairs.append((f, c[f]))
    for f in ('history', 'arguments'):
        if c.get(f):
            pairs.append((f, c[f]))
    if subs:
        pairs.append(('subcommands', subs))
    w.arr(2 * len(pairs))
    for k, v in pairs:
        w.bulk(k)
        if k == 'doc_flags':
            w.arr(len(v))
            for f in v:
                w.status(f.lower())
        elif k == 'history':
            w.arr(len(v))
            for ver, desc in v:
                w.arr(2)
                w.bulk(ver)
                w.bulk(desc)
        elif k == 'arguments':
            w.arr(len(v))
            for a in v:
                encode_arg(w, a)
        elif k == 'subcommands':
            w.arr(2 * len(v))
            for sname, sc in v:
                w.bulk(sname)
                encode_docs(w, sc, [])
        else:
            w.bulk(v)


def info_bytes(name, c, subs):
    w = Resp()
    encode_info(w, name, c, subs)
    return bytes(w.out)


def docs_bytes(c, subs):
    w = Resp()
    encode_docs(w, c, subs)
    return bytes(w.out)


def upper_tokens(args):
    for a in args:
        if a['type'] == 'pure-token':
            a['token'] = a['token'].upper()
        upper_tokens(a.get('arguments', []))


def load_specs(spec_dir):
    """{full name: spec} and {container: [subcommand full names]}."""
    specs, subs = {}, {}
    paths = sorted(glob.glob(os.path.join(spec_dir, '*.json')))
    need(paths, '%s: no specifications' % spec_dir)
    for p in paths:
        with open(p) as f:
            (name, c), = json.load(f).items()
        name = name.lower()
        if 'container' in c:
            top = c['container'].lower()
            name = '%s|%s' % (top, name)
            subs.setdefault(top, []).append(name)
        check_spec(name, c)
        c['group'] = c['group'].replace('_', '-')
        if name in UPPER_TOKENS:
            upper_tokens(c.get('arguments', []))
        specs[name] = c
    return specs, subs


def cstr(b, indent):
    """A C string literal, split after CRLFs to stay within 80 columns."""
    def esc(ch):
        if ch == 0x5c:
            return '\\\\'
        if ch == 0x22:
            return '\\"'
        if ch == 13:
            return '\\r'
        if ch == 10:
            return '\\n'
        if 32 <= ch < 127:
            return chr(ch)
        return '\\%03o' % ch
    width = 77 - 8 * indent
    lines, cur = [], ''
    for i, ch in enumerate(b):
        e = esc(ch)
        if len(cur) + len(e) > width:
            lines.append(cur)
            cur = ''
        cur += e
        if ch == 10 and i + 1 < len(b) and len(cur) > width // 2:
            lines.append(cur)
            cur = ''
    lines.append(cur)
    sep = '"\n' + '\t' * indent + '"'
    return '"' + sep.join(lines) + '"'


def handler(name):
    return 'cmd_' + name.replace('|', '_').replace('-', '_')


def read_summaries():
    """{name: redpoll's own summary} from summaries.txt."""
    out = {}
    with open(os.path.join(HERE, 'summaries.txt')) as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            name, _, text = line.rstrip('\n').partition('\t')
            need(text, 'summaries.txt: no text for %s' % name)
            out[name.lower()] = text
    return out


def own_prose(name, c, summaries):
    """Keep the specification's facts, drop Redis's prose: the summary
    becomes redpoll's own, history and argument summaries go."""
    need(name in summaries, 'summaries.txt: no summary for %s' % name)
    c['summary'] = summaries[name]
    c.pop('history', None)

    def strip(args):
        for a in args:
            a.pop('summary', None)
            strip(a.get('arguments', []))
    strip(c.get('arguments', []))


def read_list():
    wanted = []
    with open(os.path.join(HERE, 'commands.txt')) as f:
        for line in f:
            line = line.split('#')[0].strip().lower()
            if line:
                wanted.append(line)
    return wanted


def entry(name, c, subs, fn, sub_ref, kv_bits, ids):
    """The C initializer of one struct kv_cmd; ids: the names numbered
    so far (the entry takes the next number, its index in kv_cmd_stats
    arrays)."""
    ids.append(name)
    flags = all_flags(c)
    for f in flags:
        need(f in kv_bits, '%s: flag %s has no KV_CMD bit: add it to '
             'KV_CMD_FLAGS in cmd.h' % (name, f))
    first, last, step, _ = legacy_range(c)
    info, docs = info_bytes(name, c, subs), docs_bytes(c, subs)
    cats = ' '.join('@' + a.lower() for a in acl_categories(c))
    fields = [
        ('name', name.encode()), ('id', len(ids) - 1),
        ('fn', fn or 'NULL'), ('arity', c['arity']),
        ('flags', ' |\n\t\t\t '.join('KV_CMD_FLAG(%s)' % f
                                      for f in flags) or '0'),
        ('first_key', first), ('last_key', last), ('key_step', step),
        ('group', c['group'].encode()),
        ('summary', c.get('summary', '').encode()),
        ('since', c.get('since', '').encode()),
        ('complexity', c.get('complexity', '').encode()),
        ('acl_categories', cats.encode()),
        ('subcmds', sub_ref or 'NULL'), ('n_subcmds', len(subs)),
        ('info_resp', info), ('info_len', len(info)),
        ('docs_resp', docs), ('docs_len', len(docs)),
    ]
    out = '\t{\n'
    for k, v in fields:
        if not isinstance(v, bytes):
            out += '\t\t.%s = %s,\n' % (k, v)
            continue
        line = '\t\t.%s = %s,' % (k, cstr(v, 2))
        if '\n' in line or len(line) + 14 > 80:
            line = '\t\t.%s =\n\t\t\t%s,' % (k, cstr(v, 3))
        out += line + '\n'
    return out + '\t},\n'


def generate(spec_dir):
    specs, _ = load_specs(spec_dir)
    summaries = read_summaries()
    kv_bits = kv_flags_of_header()
    tops, explicit = {}, set()
    for w in read_list():
        top, _, sub = w.partition('|')
        tops.setdefault(top, [])
        if sub:
            tops[top].append(w)
        else:
            explicit.add(top)
        need(w in specs, 'commands.txt: no specification for %s' % w)
    for top in tops:
        own_prose(top, specs[top], summaries)
        for sub in tops[top]:
            own_prose(sub, specs[sub], summaries)

    protos, subtables, body, ids = [], [], [], []
    for top in sorted(tops):
        c = specs[top]
        subs = [(s, specs[s]) for s in sorted(set(tops[top]))]
        fn = None
        if subs:
            rows = []
            for sname, sc in subs:
                protos.append(handler(sname))
                rows.append(entry(sname, sc, [], handler(sname), None,
                                  kv_bits, ids))
            subtables.append('static const struct kv_cmd %s_subcmds[] = {\n'
                             '%s};\n' % (top, ''.join(rows)))
        if not subs or top in explicit:
            fn = handler(top)
            protos.append(fn)
        body.append(entry(top, c, subs, fn,
                          top + '_subcmds' if subs else None, kv_bits, ids))

    with open(os.path.join(HERE, 'cmd_table.h'), 'w') as f:
        f.write('/*\n * cmd_table.h -- command handlers (generated by '
                'gen_cmd_table.py: do not edit).\n */\n'
                '#ifndef RP_CMD_TABLE_H\n#define RP_CMD_TABLE_H\n\n'
                '#include "cmd.h"\n\n'
                '/* Commands and subcommands in the table (kv_cmd.id < '
                'this). */\n#define KV_CMD_COUNT %d\n\n' % len(ids))
        for p in protos:
            f.write('void %s(struct kv_req *r);\n' % p)
        f.write('\n#endif /* RP_CMD_TABLE_H */\n')
    with open(os.path.join(HERE, 'cmd_table.c'), 'w') as f:
        f.write('/*\n * cmd_table.c -- the command table (generated by '
                'gen_cmd_table.py from\n * Redis 7.0\'s command '
                'specifications and commands.txt: do not edit).\n */\n'
                '#include "cmd_table.h"\n\n')
        f.write('\n'.join(subtables))
        f.write('\nconst struct kv_cmd kv_cmd_table[] = {\n%s};\n\n'
                'const unsigned kv_cmd_table_len = %d;\n' %
                (''.join(body), len(body)))


class Conn:
    """A raw RESP connection to the oracle."""

    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.buf = b''

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(1 << 20)
            need(chunk, 'oracle closed the connection')
            self.buf += chunk

    def _line(self):
        while b'\r\n' not in self.buf:
            self._need(len(self.buf) + 1)
        i = self.buf.index(b'\r\n') + 2
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def _tree(self):
        line = self._line()
        if line[:1] == b'$':
            n = int(line[1:-2])
            if n < 0:
                return None
            self._need(n + 2)
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if line[:1] == b'*':
            return [self._tree() for _ in range(int(line[1:-2]))]
        return line[:-2]

    def call(self, *args):
        out = b'*%d\r\n' % len(args)
        for a in args:
            out += b'$%d\r\n%s\r\n' % (len(a), a.encode())
        self.s.sendall(out)
        return self._tree()


def parse(b):
    """A RESP reply as a tree (the same shape as Conn's)."""
    c = Conn.__new__(Conn)
    c.buf = b
    return c._tree()


def strip_subs(tree, docs):
    """A container's entry without its subcommands: Redis lists them in
    its dict's (random) order and each is checked on its own."""
    if docs:
        m = tree[1]
        tree[1] = [x for i in range(0, len(m), 2)
                   if m[i] != b'subcommands' for x in m[i:i + 2]]
    else:
        tree[9] = []
    return tree


def check(port, spec_dir):
    """Every specification is compared, but only a difference in a
    command of commands.txt fails: elsewhere the published specification
    and Redis's compiled table disagree in places (argument names and
    tokens in another case) that redpoll does not need to fix."""
    specs, subs = load_specs(spec_dir)
    ours = set(read_list()) | {w.partition('|')[0] for w in read_list()}
    conn = Conn(port)
    bad = other = 0
    for name in sorted(specs):
        c = specs[name]
        sl = [(s, specs[s]) for s in sorted(subs.get(name, []))]
        want_i = conn.call('COMMAND', 'INFO', name)[0]
        want_d = conn.call('COMMAND', 'DOCS', name)
        if want_i is None:
            print('%s: unknown to the oracle (skipped)' % name)
            continue
        got_i = parse(info_bytes(name, c, sl))
        got_d = [name.encode(), parse(docs_bytes(c, sl))]
        if sl:
            want_i, got_i = strip_subs(want_i, 0), strip_subs(got_i, 0)
            want_d, got_d = strip_subs(want_d, 1), strip_subs(got_d, 1)
        # COMMAND DOCS carries redpoll's own summaries, not Redis's
        # prose (summaries.txt): only COMMAND INFO must match exactly.
        del want_d, got_d
        for what, want, got in (('INFO', want_i, got_i),):
            if want == got:
                continue
            if name not in ours:
                other += 1
                continue
            bad += 1
            print('%s %s differs:\n  redis:  %r\n  ours:   %r' %
                  (what, name, want, got))
    print('%d specifications checked: %d differences in redpoll\'s '
          'commands, %d in others' % (len(specs), bad, other))
    return 1 if bad else 0


def main(argv):
    try:
        if argv[:1] == ['--check']:
            need(len(argv) in (2, 3), 'usage: --check PORT [SPEC_DIR]')
            return check(int(argv[1]),
                         argv[2] if len(argv) > 2 else DEFAULT_SPECS)
        need(len(argv) <= 1, 'usage: gen_cmd_table.py [SPEC_DIR]')
        generate(argv[0] if argv else DEFAULT_SPECS)
        return 0
    except SpecError as e:
        print('gen_cmd_table.py: %s' % e, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
