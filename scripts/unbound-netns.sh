#!/usr/bin/env bash
# unbound-netns.sh — Unbound answering DNS over TLS and DNS over HTTPS from local data inside a network namespace.
#
#   unbound-netns.sh up NS DIR      use netns NS (created, loopback up, when it does not exist yet), write a config,
#                                   the zone's local-data and a test CA into DIR, start unbound as a daemon (pid file
#                                   DIR/unbound.pid, log DIR/unbound.log) and wait until it listens on
#                                     127.0.0.1:853  DNS over TLS (RFC 7858)
#                                     127.0.0.1:443  DNS over HTTPS (RFC 8484, HTTP/2, path /dns-query)
#                                   TLS: an ECDSA P-256 CA (DIR/tls/ca.pem, for loadgen --cacert) and a server
#                                     certificate for 127.0.0.1 and loadgen.test, made with openssl
#                                   one thread, room for 4,000 TCP/TLS clients; no recursion and no network: what
#                                   the zone does not hold is NXDOMAIN (in example.test) or REFUSED (elsewhere);
#                                   no query is sent, so the counters start at zero
#   unbound-netns.sh count NS DIR   print how many queries unbound has received (total.num.queries; a number)
#   unbound-netns.sh stats NS DIR   print unbound's counters (unbound-control stats_noreset)
#   unbound-netns.sh down NS DIR    stop the unbound `up` started; delete NS if `up` created it; delete DIR. Safe to
#                                   call twice or after a failed `up`
#
# Needs root, iproute2, unbound (1.17 with libnghttp2, as Debian 12's) and openssl. The zone answers
#   a.example.test A 192.0.2.1, b.example.test A 192.0.2.2, c.example.test A 192.0.2.3,
#   a.example.test AAAA 2001:db8::1, www.example.test CNAME a.example.test, example.test MX/TXT/NS/SOA.
# Other scripts may also `source` this file and call unbound_netns_up / _count / _stats / _down directly.

UNBOUND_NETNS_PORT_TLS=853
UNBOUND_NETNS_PORT_HTTPS=443

# shellcheck source=test-certs.sh
source "$(dirname "${BASH_SOURCE[0]}")/test-certs.sh"

unbound_netns_write_config() {
    local dir=$1
    cat >"$dir/unbound.conf" <<EOF
# written by unbound-netns.sh
server:
    username: ""
    chroot: ""
    directory: "$dir"
    pidfile: "$dir/unbound.pid"
    do-daemonize: yes
    use-syslog: no
    logfile: "$dir/unbound.log"
    verbosity: 0
    num-threads: 1
    interface: 127.0.0.1@$UNBOUND_NETNS_PORT_TLS
    interface: 127.0.0.1@$UNBOUND_NETNS_PORT_HTTPS
    tls-port: $UNBOUND_NETNS_PORT_TLS
    https-port: $UNBOUND_NETNS_PORT_HTTPS
    http-endpoint: "/dns-query"
    http-notls-downstream: no
    tls-service-key: "$dir/tls/server.key"
    tls-service-pem: "$dir/tls/server.pem"
    # Clients: thousands of kept-open TLS connections, each with many queries (HTTP/2 streams) at once.
    incoming-num-tcp: 4000
    http-max-streams: 1000
    stream-wait-size: 64m
    tcp-idle-timeout: 120000
    edns-tcp-keepalive: yes
    # Upstream: none (no recursion), so little room for it.
    outgoing-range: 64
    outgoing-num-tcp: 1
    num-queries-per-thread: 4096
    so-reuseport: no
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: yes
    module-config: "iterator"
    extended-statistics: yes
    statistics-cumulative: no
    # The zone, answered from local data; everything else refused, never looked up.
    local-zone: "." refuse
    local-zone: "example.test." static
    local-data: "example.test. 300 IN SOA ns.example.test. hostmaster.example.test. 1 3600 900 604800 300"
    local-data: "example.test. 300 IN NS ns.example.test."
    local-data: "example.test. 300 IN MX 10 mail.example.test."
    local-data: 'example.test. 300 IN TXT "loadgen test zone"'
    local-data: "ns.example.test. 300 IN A 192.0.2.53"
    local-data: "mail.example.test. 300 IN A 192.0.2.25"
    local-data: "a.example.test. 300 IN A 192.0.2.1"
    local-data: "a.example.test. 300 IN AAAA 2001:db8::1"
    local-data: "b.example.test. 300 IN A 192.0.2.2"
    local-data: "c.example.test. 300 IN A 192.0.2.3"
    local-data: "www.example.test. 300 IN CNAME a.example.test."
remote-control:
    control-enable: yes
    control-interface: "$dir/control.sock"
    control-use-cert: no
EOF
}

unbound_netns_exists() { [[ -e "/run/netns/$1" ]]; }

# Whether something listens on 127.0.0.1:PORT (TCP) inside NS.
unbound_netns_listening() {
    local ns=$1 port=$2
    [[ -n "$(ip netns exec "$ns" ss -Hltn "src 127.0.0.1:$port" 2>/dev/null)" ]]
}

unbound_netns_control() {
    local ns=$1 dir=$2
    shift 2
    ip netns exec "$ns" timeout 10 unbound-control -c "$dir/unbound.conf" "$@"
}

unbound_netns_up() {
    local ns=$1 dir=$2 i
    command -v unbound >/dev/null || { echo "unbound-netns: unbound not found; install the Debian package unbound (make setup)" >&2; return 1; }
    if [[ -f "$dir/unbound.pid" ]]; then
        echo "unbound-netns: $dir already holds a running unbound; call down first" >&2
        return 1
    fi
    mkdir -p "$dir"
    unbound_netns_write_config "$dir"
    test_certs_write "$dir" || { echo "unbound-netns: openssl could not make the test certificates" >&2; return 1; }
    unbound-checkconf "$dir/unbound.conf" >"$dir/unbound-start.log" 2>&1 || {
        echo "unbound-netns: the unbound configuration does not load:" >&2; cat "$dir/unbound-start.log" >&2; return 1; }
    if ! unbound_netns_exists "$ns"; then
        ip netns add "$ns"
        echo "$ns" >"$dir/netns"   # `down` deletes only a namespace that `up` created
        ip -n "$ns" link set lo up
    fi
    # Daemonizes: the child writes DIR/unbound.pid, the command returns.
    ip netns exec "$ns" unbound -c "$dir/unbound.conf" 2>>"$dir/unbound-start.log" || {
        echo "unbound-netns: unbound failed to start:" >&2; cat "$dir/unbound-start.log" "$dir/unbound.log" >&2 2>/dev/null; return 1; }
    # Ready when the control socket answers and both ports listen; at most 10 s. No query is sent.
    for ((i = 0; i < 100; i++)); do
        if [[ -s "$dir/unbound.pid" ]] && unbound_netns_listening "$ns" "$UNBOUND_NETNS_PORT_TLS" &&
            unbound_netns_listening "$ns" "$UNBOUND_NETNS_PORT_HTTPS" &&
            unbound_netns_control "$ns" "$dir" status >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    echo "unbound-netns: unbound did not listen on 127.0.0.1:$UNBOUND_NETNS_PORT_TLS/$UNBOUND_NETNS_PORT_HTTPS in $ns within 10 s; its log:" >&2
    cat "$dir/unbound-start.log" "$dir/unbound.log" >&2 2>/dev/null
    return 1
}

unbound_netns_stats() {
    unbound_netns_control "$1" "$2" stats_noreset
}

unbound_netns_count() {
    unbound_netns_stats "$1" "$2" | awk -F= '$1 == "total.num.queries" {n = $2} END {print n + 0}'
}

unbound_netns_down() {
    local ns=$1 dir=$2 pid="" i
    if [[ -f "$dir/unbound.pid" ]]; then pid=$(cat "$dir/unbound.pid" 2>/dev/null || true); fi
    # Only signal the pid if it is still unbound (the pid file could be stale).
    if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == unbound ]]; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == unbound ]]; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    if [[ -n "$dir" && "$(cat "$dir/netns" 2>/dev/null)" == "$ns" ]] && unbound_netns_exists "$ns"; then
        ip netns del "$ns" || true
    fi
    # Remove DIR only if it is ours: it holds our config, or it is empty.
    if [[ -n "$dir" && -d "$dir" ]]; then
        if [[ -f "$dir/unbound.conf" || -f "$dir/netns" ]]; then rm -rf -- "$dir"; else rmdir -- "$dir" 2>/dev/null || true; fi
    fi
}

# Run as a command unless sourced.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
    [[ $# -eq 3 ]] || usage
    [[ $(id -u) -eq 0 ]] || { echo "unbound-netns: needs root (ip netns, unbound on ports 443 and 853); run it with sudo" >&2; exit 1; }
    case "$1" in
        up) unbound_netns_up "$2" "$3" ;;
        down) unbound_netns_down "$2" "$3" ;;
        count) unbound_netns_count "$2" "$3" ;;
        stats) unbound_netns_stats "$2" "$3" ;;
        *) usage ;;
    esac
fi
