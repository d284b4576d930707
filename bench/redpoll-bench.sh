#!/bin/bash
# redpoll-bench.sh -- redpoll-bench against redpoll, back to back over
# net_memif (no kernel on the path), RESP over UDP: GET and SET, pipeline
# 1 and 16, 32-byte and 1 KiB values, uniform and Zipf (0.99) keys; and
# RESP over TCP (--tcp, redpoll's own stack on both ends, 16 connections):
# GET and SET, pipeline 1 and 16, 32-byte values, uniform keys.
# Every configuration runs ROUNDS times, interleaved; the medians go to
# docs/benchmarks/redpoll-bench.{csv,md,png}, every run's JSON to
# docs/benchmarks/redpoll-bench-runs/ (not kept in git).
#
#   bench/redpoll-bench.sh [ROUNDS] [SECONDS]     (default 3, 1)
#
# About 20 x ROUNDS x (SECONDS + 1.5) seconds. Both processes use
# --no-huge (memif shares the EAL's memfd-backed memory with its peer;
# no hugepages needed). redpoll's worker polls CPU 1 (sleeping only when
# idle between runs: see docs/benchmarks.md on memif disconnects),
# redpoll-bench CPU 0; both main lcores sit on CPU 0. Server cost: redpoll's
# worker0_busy_cycles and worker0_commands (INFO workers) before and
# after each run give its cycles per request.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
secs=${2:-1}
keys=10000
ns=rpbb$$
work=$(mktemp -d /dev/shm/rpbb.XXXXXX)
out=docs/benchmarks
runs=$out/redpoll-bench-runs
sock=$work/memif.sock

scripts/build.sh release
scripts/netns.sh create "$ns" >/dev/null
rp_pid=
cleanup() {
	[ -n "$rp_pid" ] && kill "$rp_pid" 2>/dev/null && wait "$rp_pid" || true
	scripts/netns.sh destroy "$ns"
	rm -rf "$work"
}
trap cleanup EXIT
rm -rf "$runs"
mkdir -p "$runs"

PMEM_IS_PMEM_FORCE=1 ip netns exec "$ns" build/app/redpoll \
	--lcores 0@0,1@1 --no-huge -m 1024 --no-pci --file-prefix=${ns}s \
	--vdev=net_memif0,role=server,socket=$sock -- \
	--bind-ip 198.18.5.1/24 --pmem-path "$work/pmem" --pmem-size 1gb \
	--admin-socket "$work/admin.sock" \
	${RP_ARGS:-} > "$work/redpoll.log" 2>&1 &
rp_pid=$!
for _ in $(seq 150); do
	grep -q ' ready: ' "$work/redpoll.log" && break
	sleep 0.2
done

bench() { # args... -> redpoll-bench's stdout
	ip netns exec "$ns" build/app/redpoll-bench --lcores 0@0 --no-huge \
		-m 256 --no-pci --file-prefix=${ns}c \
		--vdev=net_memif0,role=client,socket=$sock \
		--log-level=pmd.net.memif:error -- --src-ip 198.18.5.2/24 \
		--host 198.18.5.1 -q -c 16 -r $keys "$@" 2>/dev/null
}
counters() { # -> "busy_cycles commands"
	build/app/redpollctl -s "$work/admin.sock" info workers |
		tr -d '\r' | awk -F: '/^worker0_busy_cycles:/ {b=$2}
			/^worker0_commands:/ {c=$2} END {print b, c}'
}

run() { # name bench-args... -> its JSON and the server's counters
	local name=$1 b0 c0 b1 c1
	shift
	read -r b0 c0 < <(counters)
	bench "$@" --duration "$secs" --warmup 0.2 \
		--json "$runs/$name.json" > /dev/null || echo "$name: errors" >&2
	read -r b1 c1 < <(counters)
	echo "{\"busy_cycles\": $((b1 - b0)), \"commands\": $((c1 - c0))}" \
		> "$runs/$name.server.json"
}

for d in 32 1024; do
	# every key holds a value of this size before the GETs
	bench -t set -d $d --distribution seq -n $keys -P 16 > /dev/null
	for r in $(seq "$rounds"); do
		for cmd in get set; do
			for p in 1 16; do
				for dist in uniform zipf; do
					z=(); [ $dist = zipf ] && z=(--zipf 0.99)
					run udp-$cmd-P$p-d$d-$dist-r$r -t $cmd \
						-d $d -P $p "${z[@]}"
				done
				# TCP: 32-byte values, uniform keys
				[ $d = 32 ] || continue
				run tcp-$cmd-P$p-d$d-uniform-r$r --tcp \
					-t $cmd -d $d -P $p
			done
		done
		echo "value size $d: round $r done" >&2
	done
done

/usr/bin/python3 bench/redpoll-bench.py "$runs" "$out" "$rounds" "$secs"
