#!/usr/bin/python3
"""gen_cmd_table.py -- generate store/cmd_table.c and store/cmd_table.h
from Redis 7.0's command specifications (JSON) for the commands listed in
store/commands.txt, so that arity, flags, key positions, ACL categories and
the COMMAND INFO / COMMAND DOCS replies match Redis's facts.

    store/gen_cmd_table.py [SPEC_DIR]     (default ../shared/redis-7.0-commands)

The output is committed; rerun after editing commands.txt.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Redis's command flags, in the order COMMAND INFO lists them.
FLAGS = ['WRITE', 'READONLY', 'DENYOOM', 'MODULE', 'ADMIN', 'PUBSUB',
         'NOSCRIPT', 'BLOCKING', 'LOADING', 'STALE', 'SKIP_MONITOR',
         'SKIP_SLOWLOG', 'ASKING', 'FAST', 'NO_AUTH', 'MAY_REPLICATE',
         'SENTINEL', 'ONLY_SENTINEL', 'NO_MANDATORY_KEYS', 'PROTECTED',
         'MODULE_GETKEYS', 'MODULE_NO_CLUSTER', 'NO_ASYNC_LOADING',
         'NO_MULTI', 'MOVABLE_KEYS', 'ALLOW_BUSY', 'MODULE_GETCHANNELS']
# Flags that COMMAND INFO does not show.
HIDDEN = {'SENTINEL', 'ONLY_SENTINEL'}
# The KV_CMD_* bits redpoll keeps (cmd.h).
KV_FLAGS = {'WRITE', 'READONLY', 'DENYOOM', 'ADMIN', 'PUBSUB', 'NOSCRIPT',
            'LOADING', 'STALE', 'SKIP_MONITOR', 'SKIP_SLOWLOG', 'FAST',
            'NO_AUTH', 'ALLOW_BUSY', 'NO_MULTI'}
# ACL categories in Redis's order.
ACL = ['KEYSPACE', 'READ', 'WRITE', 'SET', 'SORTEDSET', 'LIST', 'HASH',
       'STRING', 'BITMAP', 'HYPERLOGLOG', 'GEO', 'STREAM', 'PUBSUB',
       'ADMIN', 'FAST', 'SLOW', 'BLOCKING', 'DANGEROUS', 'CONNECTION',
       'TRANSACTION', 'SCRIPTING']
KEYSPEC_FLAGS = ['RO', 'RW', 'OW', 'RM', 'ACCESS', 'UPDATE', 'INSERT',
                 'DELETE', 'NOT_KEY', 'INCOMPLETE', 'VARIABLE_FLAGS']


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


def acl_categories(c):
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
    if 'FAST' not in flags:
        cats.add('SLOW')
    return [a for a in ACL if a in cats]


def legacy_range(c):
    """first, last, step as Redis 7.0 derives them from key specs."""
    specs = c.get('key_specs', [])
    first = last = step = 0
    prev_last = None
    for ks in specs:
        bs, fk = ks['begin_search'], ks['find_keys']
        if 'index' not in bs or 'range' not in fk:
            continue
        pos = bs['index']['pos']
        r = fk['range']
        if r['lastkey'] >= 0:
            lk = pos + r['lastkey']
        else:
            lk = r['lastkey']
        if first == 0:
            first, last, step = pos, lk, r['step']
        elif prev_last is not None and prev_last >= 0 and pos == prev_last + 1 \
                and r['step'] == step:
            last = lk
        prev_last = lk
    return first, last, step


def encode_keyspec(w, ks):
    n = 6 + (2 if 'notes' in ks else 0)
    w.arr(n)
    if 'notes' in ks:
        w.bulk('notes')
        w.bulk(ks['notes'])
    w.bulk('flags')
    fl = [f for f in KEYSPEC_FLAGS if f in ks.get('flags', [])]
    w.arr(len(fl))
    for f in fl:
        w.status(f if f in ('RO', 'RW', 'OW', 'RM') else f.lower())
    w.bulk('begin_search')
    bs = ks['begin_search']
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
    fk = ks['find_keys']
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
    w.arr(10)
    w.bulk(name)
    w.int(c['arity'])
    fl = [f.lower() for f in FLAGS if f in c.get('command_flags', [])
          and f not in HIDDEN]
    w.arr(len(fl))
    for f in fl:
        w.status(f)
    first, last, step = legacy_range(c)
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


ARG_FLAGS = ['optional', 'multiple', 'multiple_token']


def encode_arg(w, a):
    fields = [('name', a['name']), ('type', a['type'])]
    if a['type'] == 'key':
        fields.append(('key_spec_index', a['key_spec_index']))
    for f in ('token', 'summary', 'since', 'deprecated_since'):
        if f in a:
            fields.append((f, a[f]))
    fl = [f for f in ARG_FLAGS if a.get(f)]
    w.arr(2 * (len(fields) + (1 if fl else 0) +
               (1 if 'arguments' in a else 0)))
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
    if 'arguments' in a:
        w.bulk('arguments')
        w.arr(len(a['arguments']))
        for s in a['arguments']:
            encode_arg(w, s)


def encode_docs(w, c, subs):
    fields = []
    for f in ('summary', 'since', 'group', 'complexity'):
        if f in c:
            fields.append(f)
    n = len(fields)
    if c.get('history'):
        n += 1
    if c.get('arguments'):
        n += 1
    if subs:
        n += 1
    w.arr(2 * n)
    for f in fields:
        w.bulk(f)
        w.bulk(c[f])
    if c.get('history'):
        w.bulk('history')
        w.arr(len(c['history']))
        for ver, desc in c['history']:
            w.arr(2)
            w.bulk(ver)
            w.bulk(desc)
    if c.get('arguments'):
        w.bulk('arguments')
        w.arr(len(c['arguments']))
        for a in c['arguments']:
            encode_arg(w, a)
    if subs:
        w.bulk('subcommands')
        w.arr(2 * len(subs))
        for sname, sc in subs:
            w.bulk(sname)
            encode_docs(w, sc, [])


def cstr(b):
    out = []
    for ch in b:
        if ch == 0x5c:
            out.append('\\\\')
        elif ch == 0x22:
            out.append('\\"')
        elif ch == 13:
            out.append('\\r')
        elif ch == 10:
            out.append('\\n')
        elif 32 <= ch < 127:
            out.append(chr(ch))
        else:
            out.append('\\%03o' % ch)
    return '"' + ''.join(out) + '"'


def load(spec_dir, fname):
    with open(os.path.join(spec_dir, fname)) as f:
        d = json.load(f)
    (name, c), = d.items()
    return name.lower(), c


def main():
    spec_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        HERE, '..', '..', 'shared', 'redis-7.0-commands')
    wanted = []
    with open(os.path.join(HERE, 'commands.txt')) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line:
                wanted.append(line)
    tops = {}
    explicit = set()
    for w in wanted:
        top, _, sub = w.partition('|')
        tops.setdefault(top, [])
        if sub:
            tops[top].append(sub)
        else:
            explicit.add(top)

    rows, protos, subtables = [], [], []
    for top in sorted(tops):
        name, c = load(spec_dir, top + '.json')
        subs = []
        for sub in sorted(tops[top]):
            sname, sc = load(spec_dir, '%s-%s.json' % (top, sub))
            subs.append(('%s|%s' % (top, sname), sc))
        rows.append((name, c, subs))

    def entry(name, c, subs, handler, sub_ref):
        info, docs = Resp(), Resp()
        encode_info(info, name, c, subs)
        encode_docs(docs, c, subs)
        flags = [f for f in c.get('command_flags', []) if f in KV_FLAGS]
        first, last, step = legacy_range(c)
        return ('\t{\n\t\t.name = %s,\n\t\t.fn = %s,\n\t\t.arity = %d,\n'
                '\t\t.flags = %s,\n\t\t.first_key = %d,\n'
                '\t\t.last_key = %d,\n\t\t.key_step = %d,\n'
                '\t\t.group = %s,\n\t\t.summary = %s,\n\t\t.since = %s,\n'
                '\t\t.complexity = %s,\n\t\t.acl_categories = %s,\n'
                '\t\t.subcmds = %s,\n\t\t.n_subcmds = %d,\n'
                '\t\t.info_resp = %s,\n\t\t.info_len = %d,\n'
                '\t\t.docs_resp = %s,\n\t\t.docs_len = %d,\n\t},\n') % (
            cstr(name.encode()), handler or 'NULL', c['arity'],
            ' | '.join('KV_CMD_FLAG(%s)' % f for f in flags) or '0',
            first, last, step, cstr(c.get('group', '').encode()),
            cstr(c.get('summary', '').encode()),
            cstr(c.get('since', '').encode()),
            cstr(c.get('complexity', '').encode()),
            cstr(' '.join('@' + a.lower()
                          for a in acl_categories(c)).encode()),
            sub_ref or 'NULL', len(subs), cstr(bytes(info.out)),
            len(info.out), cstr(bytes(docs.out)), len(docs.out))

    body = []
    for name, c, subs in rows:
        if subs:
            sub_rows = []
            for sname, sc in subs:
                h = 'cmd_' + sname.replace('|', '_').replace('-', '_')
                protos.append(h)
                sub_rows.append(entry(sname, sc, [], h, None))
            subtables.append('static const struct kv_cmd %s_subcmds[] = {\n'
                             '%s};\n' % (name, ''.join(sub_rows)))
            # A container listed on its own line (COMMAND) also runs
            # without a subcommand.
            h = None
            if name in explicit:
                h = 'cmd_' + name.replace('-', '_')
                protos.append(h)
            body.append(entry(name, c, subs, h, name + '_subcmds'))
        else:
            h = 'cmd_' + name.replace('-', '_')
            protos.append(h)
            body.append(entry(name, c, [], h, None))

    with open(os.path.join(HERE, 'cmd_table.h'), 'w') as f:
        f.write('/*\n * cmd_table.h -- command handlers (generated by '
                'gen_cmd_table.py: do not edit).\n */\n'
                '#ifndef RP_CMD_TABLE_H\n#define RP_CMD_TABLE_H\n\n'
                '#include "cmd.h"\n\n')
        for p in protos:
            f.write('void %s(struct kv_req *r);\n' % p)
        f.write('\n#endif /* RP_CMD_TABLE_H */\n')
    with open(os.path.join(HERE, 'cmd_table.c'), 'w') as f:
        f.write('/*\n * cmd_table.c -- the command table (generated by '
                'gen_cmd_table.py from\n * Redis 7.0\'s command '
                'specifications: do not edit).\n */\n'
                '#include "cmd_table.h"\n\n')
        f.write('\n'.join(subtables))
        f.write('\nconst struct kv_cmd kv_cmd_table[] = {\n%s};\n\n'
                'const unsigned kv_cmd_table_len = %d;\n' %
                (''.join(body), len(body)))


if __name__ == '__main__':
    main()
