#!/bin/bash
# workers.sh -- a request for a key of the connection's own worker versus
# one of another worker (cycles and ns per request), and redis-benchmark
# throughput with 1 and 2 workers, in a private namespace (bench/workers.py
# does the runs; docs/benchmarks.md, "Workers", has the method).
#
#   bench/workers.sh [ROUNDS] [REQUESTS]     (default 3, 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
requests=${2:-100000}
ns=rpwk$$

scripts/build.sh release >/dev/null
scripts/netns.sh create "$ns" >/dev/null
trap 'scripts/netns.sh destroy "$ns"' EXIT
RP_BUILD=$PWD/build PMEM_IS_PMEM_FORCE=1 ip netns exec "$ns" \
	/usr/bin/python3 bench/workers.py "$rounds" "$requests"
