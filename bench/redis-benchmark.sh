#!/bin/bash
# redis-benchmark.sh -- redis-benchmark against Debian's redis-server on
# loopback and against redpoll through net_tap, side by side in one run,
# alternating, several rounds. For each run it also measures the
# server's CPU time per request: redis-server's utime + stime from
# /proc, redpoll's worker busy cycles (INFO workers) over its TSC rate.
# Writes the runs (docs/benchmarks/redis-benchmark.tsv), then
# bench/sidebyside.py prints and writes the medians and the ratios
# (redis-benchmark.md, .png).
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

# cpu_redis -- redis-server's CPU time so far, in ns (utime + stime).
cpu_redis() {
	awk -v hz="$(getconf CLK_TCK)" '{printf "%.0f\n", ($14 + $15) * 1e9 / hz}' \
		"/proc/$rs_pid/stat"
}

# cpu_redpoll -- worker 0's busy time so far, in ns (busy cycles / TSC).
cpu_redpoll() {
	ip netns exec "$ns" redis-cli -h 198.18.0.1 info workers | tr -d '\r' |
		awk -F: '/^worker0_busy_cycles:/ {b = $2}
			 /^worker0_tsc_hz:/ {h = $2}
			 END {printf "%.0f\n", b * 1e9 / h}'
}

# bench -- one redis-benchmark run: "rps ns_per_request" (server CPU).
bench() { # server host port command pipeline
	local c0 c1 rps
	c0=$(cpu_"$1")
	rps=$(ip netns exec "$ns" redis-benchmark -h "$2" -p "$3" -t "$4" \
		-n "$requests" -c 50 -P "$5" -q 2>/dev/null | tr '\r' '\n' |
		awk -F'[: ]+' '/requests per second/ {print $2}' | tail -1)
	c1=$(cpu_"$1")
	echo "$rps $(( (c1 - c0) / requests ))"
}

out=docs/benchmarks/redis-benchmark.tsv
printf 'server\tcommand\tpipeline\trequests_per_second\tserver_ns_per_request\n' \
	> "$out"
for r in $(seq "$rounds"); do
	for p in 1 16; do
		for cmd in set get; do
			read -r rps cpu < <(bench redis 127.0.0.1 6390 "$cmd" "$p")
			printf 'redis-server\t%s\t%s\t%s\t%s\n' "$cmd" "$p" \
				"$rps" "$cpu" >> "$out"
			read -r rps cpu < <(bench redpoll 198.18.0.1 6379 "$cmd" "$p")
			printf 'redpoll\t%s\t%s\t%s\t%s\n' "$cmd" "$p" \
				"$rps" "$cpu" >> "$out"
		done
	done
	echo "round $r done" >&2
done
/usr/bin/python3 bench/sidebyside.py "$out"
