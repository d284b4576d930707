"""redpoll-bench.py -- medians of bench/redpoll-bench.sh's runs: a CSV,
a markdown table and a plot (python3-matplotlib) in docs/benchmarks/.

    redpoll-bench.py RUNS_DIR OUT_DIR ROUNDS SECONDS
"""
import glob
import json
import os
import statistics
import sys

runs_dir, out_dir, rounds, secs = sys.argv[1:5]
configs = {}
for path in sorted(glob.glob(os.path.join(runs_dir, '*-r*.json'))):
    if path.endswith('.server.json'):
        continue
    name = os.path.basename(path)[:-len('.json')]
    key = name.rsplit('-r', 1)[0]
    with open(path) as f:
        r = json.load(f)
    with open(path[:-len('.json')] + '.server.json') as f:
        s = json.load(f)
    r['cycles_per_request'] = (s['busy_cycles'] / s['commands']
                               if s['commands'] else 0.0)
    configs.setdefault(key, []).append(r)

rows = []
for key, rs in configs.items():
    tp, cmd, p, d, dist = key.split('-')
    med = lambda f: statistics.median(f(r) for r in rs)
    rows.append({
        'transport': tp.upper(), 'command': cmd.upper(), 'pipeline': int(p[1:]),
        'value_bytes': int(d[1:]), 'keys': dist,
        'runs': len(rs),
        'requests_per_second': med(lambda r: r['requests_per_second']),
        'p50_us': med(lambda r: r['latency_us']['p50']),
        'p99_us': med(lambda r: r['latency_us']['p99']),
        'p99.9_us': med(lambda r: r['latency_us']['p99.9']),
        'server_cycles_per_request': med(lambda r: r['cycles_per_request']),
        'errors': sum(r['errors'] for r in rs),
        'rps_min': min(r['requests_per_second'] for r in rs),
        'rps_max': max(r['requests_per_second'] for r in rs),
    })
rows.sort(key=lambda r: (r['transport'] == 'TCP', r['command'], r['pipeline'], r['value_bytes'],
                         r['keys']))

cols = list(rows[0].keys())
with open(os.path.join(out_dir, 'redpoll-bench.csv'), 'w') as f:
    f.write(','.join(cols) + '\n')
    for r in rows:
        f.write(','.join(str(round(r[c], 1)) if isinstance(r[c], float)
                         else str(r[c]) for c in cols) + '\n')

md = ['| transport | command | pipeline | value | keys | req/s (median) '
      '| min-max | p50 us | p99 us | p99.9 us | server cycles/req | errors |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|']
for r in rows:
    md.append('| %s | %s | %d | %d B | %s | %.0f | %.0f-%.0f | %.1f | %.1f | '
              '%.1f | %.0f | %d |' % (
                  r['transport'], r['command'], r['pipeline'], r['value_bytes'], r['keys'],
                  r['requests_per_second'], r['rps_min'], r['rps_max'],
                  r['p50_us'], r['p99_us'], r['p99.9_us'],
                  r['server_cycles_per_request'], r['errors']))
md.append('')
md.append('Medians of %s runs of %s s each (redpoll-bench over net_memif, '
          'RESP/UDP and RESP/TCP, 16 clients or connections).'
          % (rounds, secs))
with open(os.path.join(out_dir, 'redpoll-bench.md'), 'w') as f:
    f.write('\n'.join(md) + '\n')
print('\n'.join(md))

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt

labels = ['%s %s P%d %s %s' % (r['transport'], r['command'], r['pipeline'],
                            '1K' if r['value_bytes'] == 1024 else '32B',
                            'zipf' if r['keys'] == 'zipf' else 'unif')
          for r in rows]
fig, (a1, a2, a3) = plt.subplots(3, 1, figsize=(11, 10), sharex=True)
x = range(len(rows))
a1.bar(x, [r['requests_per_second'] / 1e3 for r in rows],
       yerr=[[(r['requests_per_second'] - r['rps_min']) / 1e3 for r in rows],
             [(r['rps_max'] - r['requests_per_second']) / 1e3 for r in rows]],
       color='tab:blue')
a1.set_ylabel('k requests/s')
a1.set_title('redpoll-bench -> redpoll over net_memif (RESP/UDP and '
             'RESP/TCP), medians of %s x %s s' % (rounds, secs))
a2.bar([i - 0.2 for i in x], [r['p50_us'] for r in rows], 0.4, label='p50')
a2.bar([i + 0.2 for i in x], [r['p99_us'] for r in rows], 0.4, label='p99')
a2.set_ylabel('latency us')
a2.set_yscale('log')
a2.legend()
a3.bar(x, [r['server_cycles_per_request'] for r in rows], color='tab:green')
a3.set_ylabel('server cycles/request')
a3.set_xticks(list(x))
a3.set_xticklabels(labels, rotation=60, ha='right')
fig.tight_layout()
fig.savefig(os.path.join(out_dir, 'redpoll-bench.png'), dpi=80)
