#!/bin/bash
# run.sh -- from a fresh Debian 12 machine to a running redpoll, as root:
# installs what is missing, builds, reserves hugepages (or falls back to
# --no-huge), creates the network namespace with its tap device, starts
# redpoll there on the embedded default configuration (one worker, pmem
# emulated by a file in /dev/shm) and says how to connect.
#
#   scripts/run.sh          start (stops a previous instance first)
#   scripts/run.sh stop     stop it and remove the namespace
#
# Environment: RP_NETNS (redpoll), RP_LCORES (0-1; a map with "@",
# e.g. 0@0,1@1,2@0 for two workers on two CPUs, goes to --lcores),
# RP_ARGS (extra redpoll arguments after "--", e.g. "--persistence off"
# or "--workers 2").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

ns=${RP_NETNS:-redpoll}
rundir=$root/.run
pidfile=$rundir/redpoll.pid
logfile=$rundir/redpoll.log
ip=198.18.0.1

stop() {
	if [ -f "$pidfile" ]; then
		pid=$(cat "$pidfile")
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid"
			for _ in $(seq 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
		fi
		rm -f "$pidfile"
	fi
}

if [ "${1:-start}" = stop ]; then
	stop
	scripts/netns.sh destroy "$ns"
	echo "redpoll stopped"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: run as root (DPDK, hugepages and namespaces need it)" >&2
	exit 1
fi

scripts/deps.sh
echo "building..."
scripts/build.sh release
mem_args=$(scripts/hugepages.sh)
stop
scripts/netns.sh create "$ns"
mkdir -p "$rundir"
: > "$logfile"

# PMEM_IS_PMEM_FORCE: /dev/shm stands in for persistent memory; it
# survives a process crash, not a power cut (docs/operations.md).
# shellcheck disable=SC2086
lcores=${RP_LCORES:-0-1}
lcore_opt=-l
[[ $lcores == *@* ]] && lcore_opt=--lcores
PMEM_IS_PMEM_FORCE=1 ip netns exec "$ns" build/app/redpoll \
	"$lcore_opt" "$lcores" $mem_args ${RP_EAL_ARGS:---no-pci} --file-prefix="rp-$ns" \
	--vdev=net_tap0,iface=rp0 --log-level=pmd.net.tap:error -- \
	--bind-ip "$ip/24" --daemonize yes \
	--pidfile "$pidfile" --logfile "$logfile" ${RP_ARGS:-}

for _ in $(seq 100); do
	if timeout 2 ip netns exec "$ns" redis-cli -h "$ip" ping 2>/dev/null |
	   grep -q PONG; then
		echo
		grep ready "$logfile" || true
		cat <<MSG

redpoll is serving in network namespace '$ns' at $ip:6379.
Connect with:
    ip netns exec $ns redis-cli -h $ip
    ip netns exec $ns redis-benchmark -h $ip -t set,get -n 100000 -P 16 -q
Operate it (admin socket /run/redpoll.sock, no network needed):
    build/app/redpollctl status      (cores, ports, conns, config, top, ...)
    redis-cli -s /run/redpoll.sock
Log: $logfile    Stop: scripts/run.sh stop
MSG
		exit 0
	fi
	sleep 0.2
done
echo "run.sh: redpoll did not answer within 20 s; its log:" >&2
cat "$logfile" >&2
exit 1
