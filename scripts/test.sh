#!/bin/bash
# test.sh -- run every test, as root, on a fresh Debian 12 machine:
# installs what is missing, builds the release and the ASan+UBSan builds,
# runs the cmocka unit tests and the fuzz targets (replaying their corpus
# and seeded mutations) under both, then the end-to-end tests (real
# clients through net_tap in a namespace, differential against Debian's
# redis-server) against both builds, then every fuzz target under
# libFuzzer (clang) for a bounded time. Ends with "N passed, N failed".
#
#   scripts/test.sh            everything
#   RP_TEST_QUICK=1 ...        release build only
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "$(id -u)" != 0 ]; then
	echo "test.sh: run as root (DPDK, namespaces)" >&2
	exit 1
fi

scripts/deps.sh || exit 1
builds=(release)
[ -n "${RP_TEST_QUICK:-}" ] || builds+=(asan)

results=$root/.run/test-results
rm -rf "$results"
mkdir -p "$results"
fail=0

for b in "${builds[@]}"; do
	dir=build
	[ "$b" = asan ] && dir=build-asan
	echo "=== build ($b)"
	scripts/build.sh "$b" || { echo "build $b failed"; exit 1; }

	echo "=== unit and fuzz tests ($b)"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	# Sanitizers slow the fuzz drivers down: fewer mutations there.
	[ "$b" = asan ] && export RP_FUZZ_ITERS=5000 || export RP_FUZZ_ITERS=20000
	meson test -C "$dir" --no-rebuild --print-errorlogs || fail=1
	cp "$dir/meson-logs/testlog.json" "$results/meson-$b.json"

	echo "=== end-to-end tests ($b)"
	ns=rptest$$
	scripts/netns.sh create "$ns" >/dev/null
	RP_BUILD=$root/$dir RP_NETNS=$ns PMEM_IS_PMEM_FORCE=1 \
		ip netns exec "$ns" /usr/bin/python3 -m pytest -q \
		-p no:cacheprovider --junitxml="$results/e2e-$b.xml" \
		tests/e2e || fail=1
	scripts/netns.sh destroy "$ns"
done

# Coverage-guided fuzzing with libFuzzer (clang, ASan+UBSan) for a
# bounded time per target, on top of the deterministic replays above.
if [ -z "${RP_TEST_QUICK:-}" ]; then
	echo "=== libFuzzer targets"
	if [ ! -f build-fuzz/build.ninja ]; then
		CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=disabled \
			-Dwerror=false --buildtype=debug -Doptimization=1 \
			-Db_sanitize=address,undefined -Db_lundef=false \
			>/dev/null || fail=1
	fi
	if ninja -C build-fuzz >/dev/null; then
		ASAN_OPTIONS=detect_leaks=1 meson test -C build-fuzz \
			--no-rebuild --suite libfuzzer --print-errorlogs ||
			fail=1
		cp build-fuzz/meson-logs/testlog.json \
			"$results/meson-libfuzzer.json"
	else
		echo "libFuzzer build failed"
		fail=1
	fi
fi

/usr/bin/python3 tests/summary.py "$results" || fail=1
exit $fail
