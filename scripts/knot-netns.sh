#!/usr/bin/env bash
# knot-netns.sh — a network namespace with Knot DNS answering on 127.0.0.1:53 inside it.
#
#   knot-netns.sh up NS DIR       create netns NS (loopback up), write a config and the zone example.test
#                                 into DIR, start knotd (1 UDP worker, mod-stats on) and wait until the zone
#                                 is loaded; no DNS query is sent, so the server's counters start at zero
#   knot-netns.sh count NS DIR    print how many UDP/IPv4 queries knot has received (a number)
#   knot-netns.sh stats NS DIR    print knot's counters (knotc stats)
#   knot-netns.sh down NS DIR     stop knotd, delete NS and DIR; safe to call twice or after a failed `up`
#
# Needs root, iproute2 and knot (Debian packages iproute2, knot). The zone answers
#   a.example.test A 192.0.2.1, b.example.test A 192.0.2.2, c.example.test A 192.0.2.3,
#   a.example.test AAAA 2001:db8::1, www.example.test CNAME a.example.test, example.test MX/TXT/NS/SOA;
# any other name under example.test is NXDOMAIN.
# Other scripts may also `source` this file and call knot_netns_up / _count / _stats / _down directly.

knot_netns_write_files() {
    local dir=$1
    cat >"$dir/knot.conf" <<EOF
server:
    rundir: "$dir"
    listen: 127.0.0.1@53
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$dir/knot.sock"
log:
  - target: stderr
    any: warning
database:
    storage: "$dir"
mod-stats:
  - id: stats
    request-protocol: on
    response-code: on
template:
  - id: default
    storage: "$dir"
    global-module: mod-stats/stats
zone:
  - domain: example.test
    file: "$dir/example.test.zone"
EOF
    cat >"$dir/example.test.zone" <<'EOF'
$ORIGIN example.test.
$TTL 300
@    SOA  ns.example.test. hostmaster.example.test. 1 3600 900 604800 300
@    NS   ns
@    MX   10 mail
@    TXT  "loadgen test zone"
ns   A    192.0.2.53
mail A    192.0.2.25
a    A    192.0.2.1
a    AAAA 2001:db8::1
b    A    192.0.2.2
c    A    192.0.2.3
www  CNAME a
EOF
}

# `ip netns add NS` creates /run/netns/NS; testing the file avoids a pipe into `grep -q` (SIGPIPE + pipefail).
knot_netns_exists() { [[ -e "/run/netns/$1" ]]; }

knot_netns_up() {
    local ns=$1 dir=$2 i status
    command -v knotd >/dev/null || { echo "knot-netns: knotd not found; install the Debian package knot (make setup)" >&2; return 1; }
    if knot_netns_exists "$ns"; then
        echo "knot-netns: network namespace '$ns' already exists; pick another name" >&2
        return 1
    fi
    mkdir -p "$dir"
    knot_netns_write_files "$dir"
    ip netns add "$ns"
    echo "$ns" >"$dir/netns"   # `down` deletes only a namespace that `up` created
    ip -n "$ns" link set lo up
    ip netns exec "$ns" knotd -c "$dir/knot.conf" -d 2>"$dir/knotd.log" || {
        echo "knot-netns: knotd failed to start:" >&2; cat "$dir/knotd.log" >&2; return 1; }
    # Ready when the control socket answers and the zone has a serial (loaded); at most 10 s.
    for ((i = 0; i < 100; i++)); do
        status=$(ip netns exec "$ns" knotc -c "$dir/knot.conf" zone-status example.test 2>/dev/null || true)
        if [[ "$status" =~ serial:\ [0-9] ]]; then return 0; fi
        sleep 0.1
    done
    echo "knot-netns: knotd did not load example.test within 10 s; its log:" >&2
    cat "$dir/knotd.log" >&2
    return 1
}

knot_netns_stats() {
    local ns=$1 dir=$2
    ip netns exec "$ns" knotc -c "$dir/knot.conf" stats
}

knot_netns_count() {
    # mod-stats prints only counters that are non-zero: no line means 0.
    knot_netns_stats "$1" "$2" | awk -F' = ' '/^mod-stats\.request-protocol\[udp4\]/ {n = $2} END {print n + 0}'
}

knot_netns_down() {
    local ns=$1 dir=$2 pid="" i
    if [[ -f "$dir/knot.pid" ]]; then pid=$(cat "$dir/knot.pid" 2>/dev/null || true); fi
    if [[ -S "$dir/knot.sock" ]] && knot_netns_exists "$ns"; then
        timeout 5 ip netns exec "$ns" knotc -c "$dir/knot.conf" stop >/dev/null 2>&1 || true
    fi
    if [[ "$pid" =~ ^[0-9]+$ ]]; then
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        # Only signal the pid if it is still knotd (the pid file could be stale).
        if kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == knotd ]]; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    if [[ "$(cat "$dir/netns" 2>/dev/null)" == "$ns" ]] && knot_netns_exists "$ns"; then
        ip netns del "$ns" || true
    fi
    # Remove DIR only if it is ours: it holds our config, or it is empty.
    if [[ -n "$dir" && -d "$dir" ]]; then
        if [[ -f "$dir/knot.conf" || -f "$dir/netns" ]]; then rm -rf -- "$dir"; else rmdir -- "$dir" 2>/dev/null || true; fi
    fi
}

# Run as a command unless sourced.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
    [[ $# -eq 3 ]] || usage
    [[ $(id -u) -eq 0 ]] || { echo "knot-netns: needs root (ip netns, knotd on port 53); run it with sudo" >&2; exit 1; }
    case "$1" in
        up) knot_netns_up "$2" "$3" ;;
        down) knot_netns_down "$2" "$3" ;;
        count) knot_netns_count "$2" "$3" ;;
        stats) knot_netns_stats "$2" "$3" ;;
        *) usage ;;
    esac
fi
