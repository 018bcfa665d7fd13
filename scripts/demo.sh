#!/usr/bin/env bash
# demo.sh BIN — loadgen against real DNS and HTTP servers in a network namespace of its own.
#
# Creates a namespace and, inside it,
#   1. starts Knot DNS on 127.0.0.1:53 with the zone example.test and runs
#        BIN dns --netns NS --server 127.0.0.1 --name a.example.test --rate 5000 --duration 3s
#      then prints the number of queries knot counted next to loadgen's `completed`;
#   2. starts nginx (one worker) with HTTP/1.1 on 127.0.0.1:8080 and h2c on 127.0.0.1:8081, both serving a
#      612-byte index.html and logging every request, and runs
#        BIN http http://127.0.0.1:8080/ --netns NS -c 50 --rate 5000 --duration 3s
#        BIN http --http2 http://127.0.0.1:8081/ --netns NS -c 4 --streams 50 --rate 5000 --duration 3s
#        BIN http https://127.0.0.1:8443/ --netns NS --cacert CA --sni loadgen.test --no-keepalive ...
#      each followed by the number of requests nginx logged (and the connections they came on) next to
#      loadgen's `completed`, for HTTP/2 whether every logged request was HTTP/2.0, and for HTTPS the TLS
#      version and how many handshakes nginx saw resumed ($ssl_session_reused) next to loadgen's count.
# The namespace and the servers are removed again on success, failure and Ctrl-C alike. About 15 s.
# Needs root and the packages of `make setup` (iproute2, knot, nginx-light).
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
# shellcheck source=nginx-netns.sh
source "$here/nginx-netns.sh"

ns="loadgen-demo-$$-$RANDOM"
dir=$(mktemp -d /tmp/loadgen-demo.XXXXXX)
report="$dir/loadgen-report.txt"
# nginx gets a directory of its own, inside ours; it shares the namespace that knot_netns_up created.
nginx_dir="$dir/nginx"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    nginx_netns_down "$ns" "$nginx_dir" || true
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
echo "== DNS: ${cmd[*]}"
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

# -- HTTP/1.1 and HTTP/2 against nginx in the same namespace ------------------------------------------------

# The number of lines in nginx's access log for PORT once it stops growing (nginx writes a request's line just
# after sending its response, so the last few can land a moment after loadgen has exited).
settled_count() {
    local port=$1 prev=-1 n i
    for ((i = 0; i < 20; i++)); do
        n=$(nginx_netns_count "$nginx_dir" "$port")
        [[ "$n" == "$prev" ]] && break
        prev=$n
        sleep 0.1
    done
    echo "$n"
}

# run_http TITLE PORT LOADGEN-ARGS... — runs loadgen, shows its report, then what nginx logged for PORT.
run_http() {
    local title=$1 port=$2 rc=0 logged conns protocols completed sent opened goaways log most=0
    shift 2
    log="$nginx_dir/access-$port.log"
    local cmd=("$bin" "$@")
    echo
    echo "== $title: ${cmd[*]}"
    echo
    "${cmd[@]}" >"$report" || rc=$?
    cat "$report"
    echo
    if [[ $rc -ne 0 ]]; then
        echo "demo: loadgen exited with status $rc" >&2
        exit "$rc"
    fi
    logged=$(settled_count "$port")
    completed=$(sed -n 's/.*[[:space:]]completed[[:space:]]\+\([0-9]\+\).*/\1/p' "$report" | head -n 1)
    sent=$(sed -n 's/.*events[[:space:]]\+sent[[:space:]]\+\([0-9]\+\).*/\1/p' "$report" | head -n 1)
    opened=$(sed -n 's/.*[[:space:]]\([0-9]\+\) connections opened.*/\1/p' "$report" | head -n 1)
    # Access-log fields: $connection $connection_requests $status $server_protocol "$request".
    conns=0 protocols="none"
    if [[ -s "$log" ]]; then
        conns=$(awk '{print $1}' "$log" | sort -u | wc -l)
        protocols=$(awk '{n[$4]++} END {for (p in n) printf "%s %d  ", p, n[p]}' "$log")
        most=$(awk '$2 > m {m = $2} END {print m + 0}' "$log")
    fi
    echo "== what nginx logged for 127.0.0.1:$port (access log, one line per request)"
    printf '  %-32s %s\n' "loadgen sent" "${sent:-?}" "loadgen completed" "${completed:-?}" \
        "nginx logged" "$logged" \
        "  with status" "$(awk '{n[$3]++} END {for (s in n) printf "%s %d  ", s, n[s]}' "$log" 2>/dev/null)" \
        "  by protocol" "$protocols" \
        "loadgen connections opened" "${opened:-?}" "nginx connections with requests" "$conns" \
        "  most requests on one" "$most"
    if ((most >= 1000)); then
        printf '  %-32s %s\n' "" "(nginx closes a connection after 1000 requests, keepalive_requests; loadgen opens a new one)"
    fi
    if [[ "$title" == HTTP/2* ]]; then
        goaways=$(sed -n 's/.*[[:space:]]\([0-9]\+\) GOAWAYs.*/\1/p' "$report" | head -n 1)
        printf '  %-32s %s\n' "GOAWAYs loadgen received" "${goaways:-?} (HTTP/2: the close comes as a GOAWAY)"
    fi
    if [[ -n "$completed" && "$completed" == "$logged" ]]; then
        echo "  => every request nginx logged was answered and counted by loadgen as completed"
    else
        echo "  => the counts differ (requests or responses lost, or the report could not be read)"
    fi
    if [[ "$title" == HTTP/2* ]]; then
        if [[ -s "$log" ]] && ! awk '$4 != "HTTP/2.0" {bad = 1} END {exit bad}' "$log"; then
            echo "  => NOT every logged request was HTTP/2.0 (see 'by protocol')"
        elif [[ -s "$log" ]]; then
            echo "  => every logged request was HTTP/2.0"
        fi
    fi
}

echo
echo "== nginx in $ns: HTTP/1.1 on 127.0.0.1:$NGINX_NETNS_PORT_H1, h2c on 127.0.0.1:$NGINX_NETNS_PORT_H2 (1 worker, 612-byte index.html)"
nginx_netns_up "$ns" "$nginx_dir" demo
if [[ $interrupted -eq 1 ]]; then echo "demo: interrupted" >&2; exit 130; fi

run_http "HTTP/1.1" "$NGINX_NETNS_PORT_H1" \
    http "http://127.0.0.1:$NGINX_NETNS_PORT_H1/" --netns "$ns" -c 50 --rate 5000 --duration 3s
if [[ $interrupted -eq 1 ]]; then echo "demo: interrupted" >&2; exit 130; fi

run_http "HTTP/2" "$NGINX_NETNS_PORT_H2" \
    http --http2 "http://127.0.0.1:$NGINX_NETNS_PORT_H2/" --netns "$ns" -c 4 --streams 50 --rate 5000 --duration 3s
if [[ $interrupted -eq 1 ]]; then echo "demo: interrupted" >&2; exit 130; fi

# HTTPS: the certificate (for loadgen.test and 127.0.0.1, by the CA nginx-netns.sh made) verified as curl would,
# against the name sent as SNI; a TLS connection per request, sessions resumed.
run_http "HTTPS" "$NGINX_NETNS_PORT_TLS" \
    http "https://127.0.0.1:$NGINX_NETNS_PORT_TLS/" --netns "$ns" --cacert "$nginx_dir/tls/ca.pem" \
    --sni loadgen.test --no-keepalive -c 4 --rate 500 --duration 3s
tls_resumed=$(sed -n 's/.*full, \([0-9,]\+\) resumed.*/\1/p' "$report" | head -n 1)
printf '  %-32s %s\n' "TLS as nginx logged it" \
    "$(awk '{n[$(NF-1) " " ($NF == "r" ? "resumed" : "full")]++} END {for (k in n) printf "%s %d  ", k, n[k]}' \
        "$nginx_dir/access-$NGINX_NETNS_PORT_TLS.log")" \
    "loadgen handshakes resumed" "${tls_resumed:-?}"
if [[ $interrupted -eq 1 ]]; then echo "demo: interrupted" >&2; exit 130; fi
