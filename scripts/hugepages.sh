#!/bin/bash
# hugepages.sh -- reserve 2 MiB hugepages for DPDK and print the EAL
# memory arguments to use: nothing when hugepages are ready, or
# "--no-huge -m MB" when they cannot be had (the fallback).
#
#   scripts/hugepages.sh [PAGES]     (default 512 = 1 GiB)
set -uo pipefail

pages=${1:-512}
need=${RP_HUGE_MIN:-256}      # pages redpoll needs free to start
fallback="--no-huge -m 1024"

nr=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
if [ "$nr" -lt "$pages" ]; then
	echo "$pages" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
fi
if ! grep -q hugetlbfs /proc/mounts; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
fi
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if grep -q hugetlbfs /proc/mounts && [ "${free:-0}" -ge "$need" ]; then
	echo ""
else
	echo "hugepages.sh: only ${free:-0} free hugepages, using $fallback" >&2
	echo "$fallback"
fi
