#!/bin/bash
# deps.sh -- install the Debian 12 packages redpoll builds and tests with,
# only those that are missing (run as root).
set -euo pipefail

packages=(
	# build
	build-essential pkg-config meson ninja-build
	# coverage-guided fuzzing: libFuzzer comes with clang
	clang
	libdpdk-dev dpdk libpmem-dev libcmocka-dev libnuma-dev
	# run: namespaces, tap devices, ping
	iproute2 iputils-ping procps
	# tests under loss: the kernel side drops packets (statistic match)
	iptables
	# tests: real clients and the oracle
	redis-server redis-tools python3 python3-redis python3-pytest
	libhiredis-dev
	# tests of the operator's tools: redpollctl top under a terminal,
	# DPDK's dpdk-telemetry.py, systemd-analyze for the unit; hping3 for
	# the SYN flood test
	tmux dpdk-dev systemd hping3
	# bench/: the plots
	python3-matplotlib
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	     grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts redis-server as a service on install; the tests run their
# own instances and do not need it.
