#!/bin/bash
# memory.sh -- memory per key of each type, redpoll beside Debian's
# redis-server (bench/memory.py fills both and prints a markdown table).
#
#   bench/memory.sh            (uses the release build in build/)
#
# redpoll runs in a private network namespace on net_tap, with its own
# --file-prefix and admin socket; redis-server runs on a unix socket in
# a scratch folder. Both are stopped by their PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ns=rpmem$$
work=$(mktemp -d /dev/shm/rpmem.XXXXXX)

scripts/netns.sh create "$ns" >/dev/null
rp_pid= rs_pid=
cleanup() {
	[ -n "$rp_pid" ] && kill "$rp_pid" 2>/dev/null && wait "$rp_pid" || true
	[ -n "$rs_pid" ] && kill "$rs_pid" 2>/dev/null && wait "$rs_pid" || true
	scripts/netns.sh destroy "$ns"
	rm -rf "$work"
}
trap cleanup EXIT

PMEM_IS_PMEM_FORCE=1 ip netns exec "$ns" build/app/redpoll -l 0-1 \
	--no-huge -m 1024 --no-pci --file-prefix="$ns" \
	--vdev=net_tap0,iface=rp0 --log-level=pmd.net.tap:error -- \
	--bind-ip 198.18.0.1/24 --pmem-path "$work/pmem" --pmem-size 512mb \
	--worker-idle-sleep-us 0 --admin-socket "$work/admin.sock" \
	> "$work/redpoll.log" 2>&1 &
rp_pid=$!
redis-server --port 0 --unixsocket "$work/redis.sock" --save '' \
	--appendonly no --dir "$work" > /dev/null 2>&1 &
rs_pid=$!
for _ in $(seq 100); do
	ip netns exec "$ns" redis-cli -h 198.18.0.1 ping >/dev/null 2>&1 &&
		redis-cli -s "$work/redis.sock" ping >/dev/null 2>&1 && break
	sleep 0.2
done
ip netns exec "$ns" /usr/bin/python3 bench/memory.py 198.18.0.1:6379 \
	"$work/redis.sock"
