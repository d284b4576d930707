#!/bin/bash
# durable.sh -- durable writes side by side in one run: redis-benchmark SET
# against redpoll with persistence sync, async and off (net_tap), and
# against Debian's redis-server with appendfsync always and everysec
# (loopback, AOF on the same /dev/shm); several rounds, medians of
# requests/s and of p50/p99 latency. Then the recovery time of one
# million keys: from the log alone, and from a snapshot.
#
#   bench/durable.sh [ROUNDS] [REQUESTS]     (default 3, 100000)
#
# Prints markdown tables and writes them, with a plot of the SET rates,
# to docs/benchmarks/durable.md and durable.png (docs/benchmarks.md
# quotes them).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
requests=${2:-100000}
ns=rpdur$$
work=$(mktemp -d /dev/shm/rpdur.XXXXXX)

scripts/build.sh release
scripts/netns.sh create "$ns" >/dev/null
rp_pid= rs_pid=
stop_rp() {
	if [ -n "$rp_pid" ]; then
		kill "${1:--TERM}" "$rp_pid" 2>/dev/null || true
		wait "$rp_pid" 2>/dev/null || true
		rp_pid=
	fi
}
cleanup() {
	stop_rp
	if [ -n "$rs_pid" ]; then
		kill "$rs_pid" 2>/dev/null || true
		wait "$rs_pid" 2>/dev/null || true
	fi
	scripts/netns.sh destroy "$ns"
	rm -rf "$work"
}
trap cleanup EXIT
mem=$(scripts/hugepages.sh 2>/dev/null)

start_rp() { # persistence mode
	# shellcheck disable=SC2086
	PMEM_IS_PMEM_FORCE=1 ip netns exec "$ns" build/app/redpoll -l 0-1 \
		$mem --file-prefix="$ns" --vdev=net_tap0,iface=rp0 \
		--log-level=pmd.net.tap:error -- --bind-ip 198.18.0.1/24 \
		--pmem-path "$work/pmem" --pmem-size 2gb \
		--persistence "$1" --worker-idle-sleep-us 0 \
		--admin-socket "$work/admin.sock" >> "$work/redpoll.log" 2>&1 &
	rp_pid=$!
	for _ in $(seq 150); do
		ip netns exec "$ns" redis-cli -h 198.18.0.1 ping 2>/dev/null |
			grep -q PONG && return 0
		sleep 0.2
	done
	echo "redpoll did not start" >&2
	tail -20 "$work/redpoll.log" >&2
	exit 1
}

bench() { # host port pipeline -> "rps p50 p99"
	ip netns exec "$ns" redis-benchmark -h "$1" -p "$2" -t set \
		-n "$requests" -c 50 -P "$3" -r 100000 --csv 2>/dev/null |
		awk -F'"' 'NR == 2 {print $4, $10, $14}'
}

ip netns exec "$ns" taskset -c 0 redis-server --port 6390 --bind 127.0.0.1 \
	--save '' --appendonly yes --appendfsync always --dir "$work" \
	> /dev/null 2>&1 &
rs_pid=$!
sleep 1

declare -A runs
for r in $(seq "$rounds"); do
	for mode in sync async off; do
		rm -rf "$work/pmem"
		start_rp "$mode"
		for p in 1 16; do
			runs["redpoll-$mode $p"]+="$(bench 198.18.0.1 6379 "$p");"
		done
		stop_rp
	done
	for fs in always everysec; do
		ip netns exec "$ns" redis-cli -p 6390 config set appendfsync \
			"$fs" > /dev/null
		for p in 1 16; do
			runs["redis-$fs $p"]+="$(bench 127.0.0.1 6390 "$p");"
		done
	done
	echo "round $r done" >&2
done
for k in "${!runs[@]}"; do            # the raw runs, for the record
	echo "$k: ${runs[$k]}" >&2
done

median() { # field index; reads "a b c;a b c;..."
	tr ';' '\n' | grep -v '^$' | awk -v f="$1" '{print $f}' | sort -g |
		awk '{ a[NR] = $1 }
		     END { m = int((NR + 1) / 2)
			   if (NR % 2) print a[m]
			   else print (a[m] + a[m + 1]) / 2 }'
}

out=docs/benchmarks/durable.md
exec > >(tee "$out")
echo "| server | durability | pipeline | SET req/s | p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|"
for p in 1 16; do
	for who in redpoll-sync redpoll-async redpoll-off redis-always \
		   redis-everysec; do
		v=${runs["$who $p"]}
		case $who in
		redpoll-sync) d="pmem log, reply after drain" ;;
		redpoll-async) d="pmem log, durable within 1 ms" ;;
		redpoll-off) d="none" ;;
		redis-always) d="AOF, appendfsync always" ;;
		redis-everysec) d="AOF, appendfsync everysec" ;;
		esac
		echo "| ${who%%-*} | $d | $p | $(echo "$v" | median 1) |" \
		     "$(echo "$v" | median 2) | $(echo "$v" | median 3) |"
	done
done
echo

# Recovery of one million keys: written through redis-cli --pipe, then a
# crash; the start log gives the time. Once from the log, once from a
# snapshot (BGSAVE first).
rm -rf "$work/pmem"
: > "$work/redpoll.log"
start_rp sync
awk 'BEGIN { for (i = 0; i < 1000000; i++)
	printf "*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$8\r\nv%07d\r\n",
	       length("key:" i), i, i % 10000000 }' > "$work/load.resp"
ip netns exec "$ns" redis-cli -h 198.18.0.1 --pipe < "$work/load.resp" \
	> /dev/null
stop_rp -KILL
start_rp sync
from_log=$(grep -o 'recovered [0-9]* keys in [0-9.]* s' "$work/redpoll.log" |
	tail -1)
ip netns exec "$ns" redis-cli -s "$work/admin.sock" bgsave > /dev/null
build/app/redpollctl -s "$work/admin.sock" snapshot wait > /dev/null
stop_rp -KILL
start_rp sync
from_snap=$(grep -o 'recovered [0-9]* keys in [0-9.]* s' "$work/redpoll.log" |
	tail -1)
stop_rp
echo "| recovery of 1,000,000 keys | result |"
echo "|---|---|"
echo "| log replay only | $from_log |"
echo "| snapshot load (+ empty log) | $from_snap |"

# The plot: SET req/s of each server and durability, by pipeline depth.
/usr/bin/python3 - "$out" <<'PY'
import sys
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
rows = [l.strip().strip('|').split('|') for l in open(sys.argv[1])
        if l.startswith('| redpoll') or l.startswith('| redis')]
rows = [[c.strip() for c in r] for r in rows if len(r) == 6]
fig, ax = plt.subplots(figsize=(9, 4.5))
for k, p in enumerate(('1', '16')):
    sel = [r for r in rows if r[2] == p]
    x = [i + 0.4 * k for i in range(len(sel))]
    ax.bar(x, [float(r[3]) / 1e3 for r in sel], 0.4, label='pipeline ' + p)
ax.set_xticks([i + 0.2 for i in range(len(sel))])
ax.set_xticklabels(['%s\n%s' % (r[0], r[1]) for r in sel], fontsize=7)
ax.set_ylabel('k SET/s')
ax.set_title('Durable SET: redpoll (pmem log) and redis-server (AOF)')
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[1][:-3] + '.png', dpi=80)
PY
