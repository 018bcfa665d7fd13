#!/usr/bin/env bash
# nghttpd-netns.sh — nghttpd (nghttp2's HTTP/2 server, one worker) serving h2c on 127.0.0.1 inside a namespace.
#
#   nghttpd-netns.sh up NS DIR [PORT]   use netns NS (created, loopback up, when it does not exist yet), write
#                                       DIR/www/index.html (612 bytes), start
#                                         nghttpd --no-tls -a 127.0.0.1 -d DIR/www PORT      (PORT: 8082)
#                                       in the background (pid in DIR/nghttpd.pid, output in DIR/nghttpd.log)
#                                       and wait until it listens; h2c with prior knowledge, at most 100
#                                       concurrent streams per connection (nghttpd's default)
#   nghttpd-netns.sh down NS DIR        stop nghttpd; delete NS if `up` created it; delete DIR. Safe to call
#                                       twice or after a failed `up`
#
# Needs root, iproute2 and nghttpd (Debian packages iproute2, nghttp2-server).
# Other scripts may also `source` this file and call nghttpd_netns_up / _down directly.

NGHTTPD_NETNS_PORT=8082

nghttpd_netns_exists() { [[ -e "/run/netns/$1" ]]; }

nghttpd_netns_up() {
    local ns=$1 dir=$2 port=${3:-$NGHTTPD_NETNS_PORT} i pid
    command -v nghttpd >/dev/null || { echo "nghttpd-netns: nghttpd not found; install the Debian package nghttp2-server (make setup)" >&2; return 1; }
    if [[ -f "$dir/nghttpd.pid" ]]; then
        echo "nghttpd-netns: $dir already holds a running nghttpd; call down first" >&2
        return 1
    fi
    mkdir -p "$dir/www"
    : >"$dir/owner"   # marks DIR as ours for `down`
    {
        printf '<html><body>'
        printf 'x%.0s' $(seq 1 585)
        printf '</body></html>\n'
    } >"$dir/www/index.html"
    if ! nghttpd_netns_exists "$ns"; then
        ip netns add "$ns"
        echo "$ns" >"$dir/netns"   # `down` deletes only a namespace that `up` created
        ip -n "$ns" link set lo up
    fi
    # `ip netns exec` execs nghttpd in place, so $! is nghttpd's pid. Its own -D would not tell us the pid.
    ip netns exec "$ns" nghttpd --no-tls -a 127.0.0.1 -d "$dir/www" "$port" </dev/null >"$dir/nghttpd.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/nghttpd.pid"
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "nghttpd-netns: nghttpd exited during start-up:" >&2; cat "$dir/nghttpd.log" >&2; return 1
        fi
        if [[ -n "$(ip netns exec "$ns" ss -Hltn "src 127.0.0.1:$port" 2>/dev/null)" ]]; then return 0; fi
        sleep 0.1
    done
    echo "nghttpd-netns: nghttpd did not listen on 127.0.0.1:$port in $ns within 10 s; its output:" >&2
    cat "$dir/nghttpd.log" >&2
    return 1
}

nghttpd_netns_down() {
    local ns=$1 dir=$2 pid="" i
    if [[ -f "$dir/nghttpd.pid" ]]; then pid=$(cat "$dir/nghttpd.pid" 2>/dev/null || true); fi
    if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == nghttpd ]]; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == nghttpd ]]; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    # Reap it when it is our own child (sourced use); harmless otherwise.
    if [[ "$pid" =~ ^[0-9]+$ ]]; then wait "$pid" 2>/dev/null || true; fi
    if [[ -n "$dir" && "$(cat "$dir/netns" 2>/dev/null)" == "$ns" ]] && nghttpd_netns_exists "$ns"; then
        ip netns del "$ns" || true
    fi
    if [[ -n "$dir" && -d "$dir" ]]; then
        if [[ -f "$dir/owner" || -f "$dir/netns" ]]; then rm -rf -- "$dir"; else rmdir -- "$dir" 2>/dev/null || true; fi
    fi
}

# Run as a command unless sourced.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
    [[ $# -ge 3 ]] || usage
    [[ $(id -u) -eq 0 ]] || { echo "nghttpd-netns: needs root (ip netns); run it with sudo" >&2; exit 1; }
    case "$1" in
        up) [[ $# -le 4 ]] || usage; nghttpd_netns_up "$2" "$3" "${4:-$NGHTTPD_NETNS_PORT}" ;;
        down) [[ $# -eq 3 ]] || usage; nghttpd_netns_down "$2" "$3" ;;
        *) usage ;;
    esac
fi
