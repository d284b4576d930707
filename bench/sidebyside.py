#!/usr/bin/python3
"""sidebyside.py -- medians of bench/redis-benchmark.sh's runs, redis-server
and redpoll side by side: a markdown table (printed and written next to
the runs as .md) and a plot (.png, python3-matplotlib).

    sidebyside.py RUNS.tsv

RUNS.tsv: server, command, pipeline, requests_per_second,
server_ns_per_request, one line per run."""
import collections
import csv
import os
import statistics
import sys

runs = sys.argv[1]
base = os.path.splitext(runs)[0]
by = collections.defaultdict(list)
with open(runs) as f:
    for r in csv.DictReader(f, delimiter='\t'):
        by[(r['command'].upper(), int(r['pipeline']), r['server'])].append(
            (float(r['requests_per_second']),
             float(r['server_ns_per_request'])))

keys = sorted({(c, p) for c, p, _ in by})
rows = []
for c, p in keys:
    red = by[(c, p, 'redis-server')]
    rp = by[(c, p, 'redpoll')]
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    rows.append((c, p, len(rp), med(red, 0), med(rp, 0), med(red, 1),
                 med(rp, 1)))

md = ['| command | pipeline | runs | redis-server req/s | redpoll req/s '
      '| ratio | redis-server CPU ns/req | redpoll CPU ns/req | ratio |',
      '|---|---|---|---|---|---|---|---|---|']
for c, p, n, r0, r1, n0, n1 in rows:
    md.append('| %s | %d | %d | %.0f | %.0f | %.2f | %.0f | %.0f | %.1f |' %
              (c, p, n, r0, r1, r1 / r0 if r0 else 0, n0, n1,
               n0 / n1 if n1 else 0))
md.append('')
md.append('Medians; CPU per request: redis-server utime + stime, redpoll '
          "worker 0's busy cycles over its TSC rate; the last ratio is "
          "redis-server's over redpoll's.")
with open(base + '.md', 'w') as f:
    f.write('\n'.join(md) + '\n')
print('\n'.join(md))

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt

labels = ['%s P%d' % (c, p) for c, p, *_ in rows]
x = range(len(rows))
fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
a1.bar([i - 0.2 for i in x], [r[3] / 1e3 for r in rows], 0.4,
       label='redis-server (loopback)')
a1.bar([i + 0.2 for i in x], [r[4] / 1e3 for r in rows], 0.4,
       label='redpoll (net_tap)')
a1.set_ylabel('k requests/s')
a1.set_title('redis-benchmark, 50 clients: medians of %d runs' % rows[0][2])
a1.legend()
a2.bar([i - 0.2 for i in x], [r[5] for r in rows], 0.4,
       label='redis-server')
a2.bar([i + 0.2 for i in x], [r[6] for r in rows], 0.4, label='redpoll')
a2.set_ylabel('server CPU ns/request')
a2.set_yscale('log')
a2.set_xticks(list(x))
a2.set_xticklabels(labels)
a2.legend()
fig.tight_layout()
fig.savefig(base + '.png', dpi=80)
