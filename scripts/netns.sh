#!/bin/bash
# netns.sh -- the network namespace and net_tap device redpoll serves in.
#
#   scripts/netns.sh create  [NS]   create namespace NS (default: redpoll)
#                                   with a persistent multi-queue tap
#                                   device that redpoll's net_tap attaches to
#   scripts/netns.sh destroy [NS]   remove the namespace and its tap
#   scripts/netns.sh status  [NS]   show it
#
# Idempotent: create and destroy may be rerun at will. Addresses come from
# the RFC 2544 benchmarking range and exist only inside the namespace:
# the kernel side of the tap is RP_HOST_IP (198.18.0.2/24), redpoll itself
# answers on 198.18.0.1 (its bind-ip directive).
#
# Environment: RP_NETNS, RP_TAP (rp0), RP_HOST_IP (198.18.0.2/24).
set -euo pipefail

cmd=${1:-}
ns=${2:-${RP_NETNS:-redpoll}}
tap=${RP_TAP:-rp0}
host_ip=${RP_HOST_IP:-198.18.0.2/24}

case "$host_ip" in
198.18.*|198.19.*) ;;
*) echo "netns.sh: RP_HOST_IP must be in 198.18.0.0/15" >&2; exit 2 ;;
esac

in_ns() { ip netns exec "$ns" "$@"; }

create() {
	if ! ip netns list | grep -qw "^$ns"; then
		ip netns add "$ns"
	fi
	in_ns ip link set lo up
	if ! in_ns ip link show "$tap" >/dev/null 2>&1; then
		# multi_queue: DPDK's net_tap opens the device that way.
		in_ns ip tuntap add mode tap multi_queue name "$tap"
	fi
	# No IPv6 chatter on the tap: redpoll speaks IPv4 only (for now).
	in_ns sysctl -qw "net.ipv6.conf.$tap.disable_ipv6=1" || true
	if ! in_ns ip -4 addr show dev "$tap" | grep -q "inet ${host_ip%/*}/"; then
		in_ns ip addr flush dev "$tap"
		in_ns ip addr add "$host_ip" dev "$tap"
	fi
	in_ns ip link set "$tap" up
}

destroy() {
	if ip netns list | grep -qw "^$ns"; then
		in_ns ip link del "$tap" 2>/dev/null || true
		ip netns del "$ns"
	fi
}

case "$cmd" in
create) create ;;
destroy) destroy ;;
status)
	if ip netns list | grep -qw "^$ns"; then
		in_ns ip -br addr
	else
		echo "namespace $ns does not exist"
		exit 1
	fi
	;;
*)
	echo "usage: $0 create|destroy|status [NS]" >&2
	exit 2
	;;
esac
