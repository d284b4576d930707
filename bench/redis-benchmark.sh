#!/bin/bash
# redis-benchmark.sh -- redis-benchmark against Debian's redis-server on
# loopback and against redpoll through net_tap, side by side in one run,
# alternating, several rounds; prints the median requests/s of each
# (command, pipeline) and the ratio as a markdown table.
#
#   bench/redis-benchmark.sh [ROUNDS] [REQUESTS]     (default 5, 200000)
#
# Both servers run in the same private namespace; redis-benchmark runs
# there too with 50 clients. redpoll's worker busy-polls lcore 1, so the
# machine's second core is shared by redis-benchmark and redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${1:-5}
requests=${2:-200000}
ns=rpbench$$
work=$(mktemp -d /dev/shm/rpbench.XXXXXX)

scripts/build.sh release
scripts/netns.sh create "$ns" >/dev/null
rp_pid= rs_pid=
cleanup() {
	[ -n "$rp_pid" ] && kill "$rp_pid" 2>/dev/null && wait "$rp_pid" || true
	[ -n "$rs_pid" ] && kill "$rs_pid" 2>/dev/null && wait "$rs_pid" || true
	scripts/netns.sh destroy "$ns"
	rm -rf "$work"
}
trap cleanup EXIT

mem=$(scripts/hugepages.sh 2>/dev/null)
# shellcheck disable=SC2086
PMEM_IS_PMEM_FORCE=1 ip netns exec "$ns" build/app/redpoll -l 0-1 $mem \
	--file-prefix=$ns --vdev=net_tap0,iface=rp0 \
	--log-level=pmd.net.tap:error -- --bind-ip 198.18.0.1/24 \
	--pmem-path "$work/pmem" --pmem-size 4gb \
	--worker-idle-sleep-us 0 ${RP_ARGS:-} > "$work/redpoll.log" 2>&1 &
rp_pid=$!
ip netns exec "$ns" taskset -c 0 redis-server --port 6390 --bind 127.0.0.1 \
	--save '' --appendonly no --dir "$work" > /dev/null 2>&1 &
rs_pid=$!
for _ in $(seq 100); do
	ip netns exec "$ns" redis-cli -h 198.18.0.1 ping 2>/dev/null |
		grep -q PONG && break
	sleep 0.2
done

bench() { # host port pipeline -> "SET rps\nGET rps"
	ip netns exec "$ns" redis-benchmark -h "$1" -p "$2" -t set,get \
		-n "$requests" -c 50 -P "$3" -q 2>/dev/null |
		tr '\r' '\n' | awk -F'[: ]+' '/requests per second/ {print $1, $2}'
}

declare -A runs
for r in $(seq "$rounds"); do
	for p in 1 16; do
		while read -r cmd rps; do
			runs["redis $cmd $p"]+="$rps "
		done < <(bench 127.0.0.1 6390 "$p")
		while read -r cmd rps; do
			runs["redpoll $cmd $p"]+="$rps "
		done < <(bench 198.18.0.1 6379 "$p")
	done
	echo "round $r done" >&2
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g |
	awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "| command | pipeline | redis-server (loopback) req/s | redpoll (net_tap) req/s | ratio |"
echo "|---|---|---|---|---|"
for p in 1 16; do
	for cmd in SET GET; do
		a=$(echo "${runs["redis $cmd $p"]}" | median)
		b=$(echo "${runs["redpoll $cmd $p"]}" | median)
		ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}')
		echo "| $cmd | $p | $a | $b | $ratio |"
	done
done
echo
echo "medians of $rounds rounds, $requests requests each, 50 clients;"\
     "runs: ${runs[*]}" >&2
