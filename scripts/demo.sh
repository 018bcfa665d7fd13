#!/usr/bin/env bash
# demo.sh BIN — loadgen against a real DNS server in a network namespace of its own.
#
# Creates a namespace, starts Knot DNS in it on 127.0.0.1:53 with the zone example.test, runs
#   BIN dns --netns NS --server 127.0.0.1 --name a.example.test --rate 5000 --duration 3s
# prints loadgen's report and then the number of queries knot counted next to loadgen's `completed`,
# and removes the namespace and the server again (on success, failure and Ctrl-C alike).
# Needs root and the packages of `make setup` (iproute2, knot).
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 PATH-TO-LOADGEN   (e.g. $0 .build/release/loadgen; make demo does this)" >&2
    exit 2
fi
bin=$1
if [[ ! -x "$bin" ]]; then
    echo "demo: '$bin' is not an executable; build it first with: make build" >&2
    exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "demo: needs root to create a network namespace and enter it; run it with sudo" >&2
    exit 1
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=knot-netns.sh
source "$here/knot-netns.sh"

ns="loadgen-demo-$$-$RANDOM"
dir=$(mktemp -d /tmp/loadgen-demo.XXXXXX)
report="$dir/loadgen-report.txt"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    knot_netns_down "$ns" "$dir" || true
    exit "$rc"
}
trap cleanup EXIT
# Ctrl-C reaches loadgen too, which stops and still prints its report: show it, then exit 130.
interrupted=0
trap 'interrupted=1' INT
trap 'exit 143' TERM

echo "== network namespace $ns, Knot DNS on 127.0.0.1:53 inside it (zone example.test, 1 UDP worker)"
knot_netns_up "$ns" "$dir"
before=$(knot_netns_count "$ns" "$dir")
if [[ $interrupted -eq 1 ]]; then echo "demo: interrupted" >&2; exit 130; fi

cmd=("$bin" dns --netns "$ns" --server 127.0.0.1 --name a.example.test --rate 5000 --duration 3s)
echo "== ${cmd[*]}"
echo
rc=0
"${cmd[@]}" >"$report" || rc=$?
cat "$report"
echo
if [[ $rc -ne 0 ]]; then
    echo "demo: loadgen exited with status $rc" >&2
    exit "$rc"
fi

after=$(knot_netns_count "$ns" "$dir")
counted=$((after - before))
# The text report's line "events    sent N  completed N  timeouts N ...".
completed=$(sed -n 's/.*[[:space:]]completed[[:space:]]\+\([0-9]\+\).*/\1/p' "$report" | head -n 1)
sent=$(sed -n 's/.*events[[:space:]]\+sent[[:space:]]\+\([0-9]\+\).*/\1/p' "$report" | head -n 1)

echo "== what the server saw (knotc stats, UDP/IPv4 queries received)"
knot_netns_stats "$ns" "$dir" | grep '^mod-stats\.' | sed 's/^/  /'
echo
printf '  %-26s %s\n' "loadgen sent" "${sent:-?}" "loadgen completed" "${completed:-?}" "knot received (udp4)" "$counted"
if [[ -n "$completed" && "$completed" == "$counted" ]]; then
    echo "  => every query knot received was answered and counted by loadgen as completed"
else
    echo "  => the counts differ (queries or answers lost, or the report could not be read)"
fi
if [[ $interrupted -eq 1 ]]; then echo "demo: interrupted" >&2; exit 130; fi
