#!/bin/bash
# build.sh -- configure (once) and build redpoll.
#
#   scripts/build.sh           release build in build/ (-O3 -march=native)
#   scripts/build.sh asan      ASan+UBSan debug build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-release}
case "$kind" in
release)
	dir=build
	opts=(--buildtype=release -Doptimization=3)
	;;
asan)
	dir=build-asan
	opts=(--buildtype=debug -Doptimization=1 -Db_sanitize=address,undefined
	      -Db_lundef=false)
	;;
*)
	echo "usage: $0 [release|asan]" >&2
	exit 2
	;;
esac

if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "${opts[@]}" >/dev/null
fi
ninja -C "$dir" >/dev/null || ninja -C "$dir"
