#!/usr/bin/env bash
# Builds loadgen and the test bundle with a sanitizer into their own scratch path and runs the unit and integration
# suites against that loadgen; any sanitizer report fails the run (and is printed).
#
#   Fuzz/sanitize.sh address    AddressSanitizer (and LeakSanitizer), scratch path .build-asan
#   Fuzz/sanitize.sh thread     ThreadSanitizer, scratch path .build-tsan
#
# Extra arguments go to `swift test` (e.g. --filter HTTP1 for a part of the suite).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: sanitize.sh address|thread [swift test arguments]}
shift
case $mode in
address) scratch=.build-asan; var=ASAN_OPTIONS; options="detect_leaks=1:abort_on_error=0" ;;
thread) scratch=.build-tsan; var=TSAN_OPTIONS; options="halt_on_error=0:second_deadlock_stack=1" ;;
*) echo "sanitize.sh: '$mode': use address or thread" >&2; exit 2 ;;
esac
SWIFT=${SWIFT:-swift}
flags=(--sanitize="$mode" --scratch-path "$scratch")
started=$(date +%s)
# The release binary is the one users run (checked -O); the test bundle is built as `swift test` builds it.
$SWIFT build -c release --product loadgen "${flags[@]}"
$SWIFT build --build-tests "${flags[@]}"
built=$(date +%s)
logs="$scratch/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
# The Swift runtime's backtracer reads memory the sanitizer has poisoned: leave crash traces to the sanitizer.
export SWIFT_BACKTRACE=enable=no
# The tests give a sanitizer build of loadgen more wall time to start and stop (IntegrationEnvironment).
export LOADGEN_SANITIZER=$mode
export "$var=log_path=$PWD/$logs/report:$options"
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0"
status=0
LOADGEN_BIN="$PWD/$scratch/release/loadgen" $SWIFT test --skip-build "${flags[@]}" "$@" || status=$?
finished=$(date +%s)
reports=$(find "$logs" -type f | sort)
echo "sanitize-$mode: build $((built - started)) s, tests $((finished - built)) s, swift test exit $status," \
    "$(echo -n "$reports" | grep -c . || true) sanitizer report(s)"
if [[ -n $reports ]]; then
    for f in $reports; do echo "=== $f"; cat "$f"; done
    exit 1
fi
exit "$status"
