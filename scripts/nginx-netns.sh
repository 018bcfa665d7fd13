#!/usr/bin/env bash
# nginx-netns.sh — nginx (one worker) serving a static page on 127.0.0.1 inside a network namespace.
#
#   nginx-netns.sh up NS DIR [demo|bench]
#                                 use netns NS (created, loopback up, when it does not exist yet), write a
#                                 config and www/index.html (612 bytes) into DIR, start nginx as a daemon
#                                 (pid file DIR/nginx.pid) and wait until it listens on
#                                   127.0.0.1:8080  HTTP/1.1
#                                   127.0.0.1:8081  HTTP/2 over cleartext with prior knowledge (h2c)
#                                   127.0.0.1:8443  HTTPS (HTTP/1.1 over TLS 1.2/1.3)
#                                   127.0.0.1:8444  HTTP/2 over TLS (ALPN h2)
#                                   127.0.0.1:8079  stub_status at /status (not logged)
#                                 TLS: an ECDSA P-256 CA (DIR/tls/ca.pem, for --cacert) and a server certificate
#                                   for 127.0.0.1 and loadgen.test, made with openssl
#                                 demo (default): every request of 8080, 8081, 8443 and 8444 goes to
#                                   DIR/access-PORT.log as '$connection $connection_requests $status
#                                   $server_protocol "$request" $ssl_protocol $ssl_session_reused';
#                                   nginx's default keepalive_requests (1000)
#                                 bench: no access log, keepalive_requests 1000000
#                                 both: worker_connections 20000, worker_rlimit_nofile 30000 (or the hard
#                                   limit, when lower), so 10,000 client connections fit
#   nginx-netns.sh count DIR PORT print how many requests nginx logged for PORT (demo mode; a number)
#   nginx-netns.sh status NS      print nginx's cumulative "requests accepts" from stub_status (the query
#                                 itself counts as one request and one accept)
#   nginx-netns.sh down NS DIR    stop nginx; delete NS if `up` created it; delete DIR. Safe to call twice or
#                                 after a failed `up`
#
# Needs root, iproute2 and nginx (Debian packages iproute2, nginx-light).
# Other scripts may also `source` this file and call nginx_netns_up / _count / _status / _down directly.

NGINX_NETNS_PORT_H1=8080
NGINX_NETNS_PORT_H2=8081
NGINX_NETNS_PORT_STATUS=8079
NGINX_NETNS_PORT_TLS=8443
NGINX_NETNS_PORT_H2_TLS=8444

# shellcheck source=test-certs.sh
source "$(dirname "${BASH_SOURCE[0]}")/test-certs.sh"

nginx_netns_write_files() {
    local dir=$1 mode=$2 log_h1 log_h2 log_tls log_h2_tls tuning nofile=30000 hard
    # worker_rlimit_nofile above the hard limit fails (with an alert in the error log) where root may not raise
    # it, e.g. in a container: ask for no more than the hard limit then.
    hard=$(ulimit -Hn)
    if [[ "$hard" =~ ^[0-9]+$ ]] && ((hard < nofile)); then nofile=$hard; fi
    mkdir -p "$dir/www"
    chmod 755 "$dir" "$dir/www"
    # 612 bytes, the size of nginx's own welcome page.
    {
        printf '<html><body>'
        printf 'x%.0s' $(seq 1 585)
        printf '</body></html>\n'
    } >"$dir/www/index.html"
    if [[ "$mode" == bench ]]; then
        log_h1="access_log off;"
        log_h2="access_log off;"
        log_tls="access_log off;"
        log_h2_tls="access_log off;"
        tuning="keepalive_requests 1000000;"
    else
        # Unbuffered: a line per request is in the file as soon as the request is done.
        log_h1="access_log $dir/access-$NGINX_NETNS_PORT_H1.log lg;"
        log_h2="access_log $dir/access-$NGINX_NETNS_PORT_H2.log lg;"
        log_tls="access_log $dir/access-$NGINX_NETNS_PORT_TLS.log lg;"
        log_h2_tls="access_log $dir/access-$NGINX_NETNS_PORT_H2_TLS.log lg;"
        tuning=""
    fi
    cat >"$dir/nginx.conf" <<EOF
# written by nginx-netns.sh ($mode)
user root;
worker_processes 1;
worker_rlimit_nofile $nofile;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 20000; }
http {
    log_format lg '\$connection \$connection_requests \$status \$server_protocol "\$request" \$ssl_protocol \$ssl_session_reused';
    ssl_certificate $dir/tls/server.pem;
    ssl_certificate_key $dir/tls/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:loadgen:10m;
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    default_type text/html;
    $tuning
    server {
        listen 127.0.0.1:$NGINX_NETNS_PORT_H1 backlog=4096;
        root $dir/www;
        $log_h1
    }
    server {
        listen 127.0.0.1:$NGINX_NETNS_PORT_H2 http2 backlog=4096;
        root $dir/www;
        $log_h2
    }
    server {
        listen 127.0.0.1:$NGINX_NETNS_PORT_TLS ssl backlog=4096;
        root $dir/www;
        $log_tls
    }
    server {
        listen 127.0.0.1:$NGINX_NETNS_PORT_H2_TLS ssl http2 backlog=4096;
        root $dir/www;
        $log_h2_tls
    }
    server {
        listen 127.0.0.1:$NGINX_NETNS_PORT_STATUS;
        location = /status { stub_status; }
    }
}
EOF
}

nginx_netns_exists() { [[ -e "/run/netns/$1" ]]; }

# Whether something listens on 127.0.0.1:PORT (TCP) inside NS.
nginx_netns_listening() {
    local ns=$1 port=$2
    [[ -n "$(ip netns exec "$ns" ss -Hltn "src 127.0.0.1:$port" 2>/dev/null)" ]]
}

nginx_netns_up() {
    local ns=$1 dir=$2 mode=${3:-demo} i port ok
    command -v nginx >/dev/null || { echo "nginx-netns: nginx not found; install the Debian package nginx-light (make setup)" >&2; return 1; }
    [[ "$mode" == demo || "$mode" == bench ]] || { echo "nginx-netns: mode '$mode': use demo or bench" >&2; return 1; }
    if [[ -f "$dir/nginx.pid" ]]; then
        echo "nginx-netns: $dir already holds a running nginx; call down first" >&2
        return 1
    fi
    mkdir -p "$dir"
    nginx_netns_write_files "$dir" "$mode"
    test_certs_write "$dir" || { echo "nginx-netns: openssl could not make the test certificates" >&2; return 1; }
    if ! nginx_netns_exists "$ns"; then
        ip netns add "$ns"
        echo "$ns" >"$dir/netns"   # `down` deletes only a namespace that `up` created
        ip -n "$ns" link set lo up
    fi
    ip netns exec "$ns" nginx -q -t -c "$dir/nginx.conf" 2>"$dir/nginx-start.log" || {
        echo "nginx-netns: the nginx configuration does not load:" >&2; cat "$dir/nginx-start.log" >&2; return 1; }
    # Without `daemon off`, nginx forks, the master writes DIR/nginx.pid and the command returns.
    ip netns exec "$ns" nginx -c "$dir/nginx.conf" 2>"$dir/nginx-start.log" || {
        echo "nginx-netns: nginx failed to start:" >&2; cat "$dir/nginx-start.log" "$dir/error.log" >&2 2>/dev/null; return 1; }
    # Ready when all three ports listen; at most 10 s. No request is made, so the logs start empty.
    for ((i = 0; i < 100; i++)); do
        ok=1
        for port in $NGINX_NETNS_PORT_H1 $NGINX_NETNS_PORT_H2 $NGINX_NETNS_PORT_TLS $NGINX_NETNS_PORT_H2_TLS $NGINX_NETNS_PORT_STATUS; do
            nginx_netns_listening "$ns" "$port" || { ok=0; break; }
        done
        if [[ $ok -eq 1 ]]; then return 0; fi
        sleep 0.1
    done
    echo "nginx-netns: nginx did not listen on 127.0.0.1:$NGINX_NETNS_PORT_H1/$NGINX_NETNS_PORT_H2 in $ns within 10 s; its log:" >&2
    cat "$dir/error.log" >&2 2>/dev/null
    return 1
}

nginx_netns_count() {
    local dir=$1 port=$2 file
    file="$dir/access-$port.log"
    if [[ -f "$file" ]]; then wc -l <"$file"; else echo 0; fi
}

# "REQUESTS ACCEPTS" from stub_status, fetched from inside NS with bash's /dev/tcp (no client tool needed).
nginx_netns_status() {
    local ns=$1
    # shellcheck disable=SC2016
    ip netns exec "$ns" timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET /status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
        cat <&3' _ "$NGINX_NETNS_PORT_STATUS" |
        awk '/^ *[0-9]+ +[0-9]+ +[0-9]+ *\r?$/ {print $3, $1; found = 1} END {exit !found}'
}

nginx_netns_down() {
    local ns=$1 dir=$2 pid="" i child
    if [[ -f "$dir/nginx.pid" ]]; then pid=$(cat "$dir/nginx.pid" 2>/dev/null || true); fi
    if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == nginx ]]; then
        local workers
        workers=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
        kill -TERM "$pid" 2>/dev/null || true   # fast shutdown of master and workers
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        # Whatever is left after 5 s, if it is still nginx: the master, then the workers it had.
        for child in $pid $workers; do
            if kill -0 "$child" 2>/dev/null && [[ "$(cat "/proc/$child/comm" 2>/dev/null)" == nginx ]]; then
                kill -KILL "$child" 2>/dev/null || true
            fi
        done
    fi
    if [[ -n "$dir" && "$(cat "$dir/netns" 2>/dev/null)" == "$ns" ]] && nginx_netns_exists "$ns"; then
        ip netns del "$ns" || true
    fi
    # Remove DIR only if it is ours: it holds our config, or it is empty.
    if [[ -n "$dir" && -d "$dir" ]]; then
        if [[ -f "$dir/nginx.conf" || -f "$dir/netns" ]]; then rm -rf -- "$dir"; else rmdir -- "$dir" 2>/dev/null || true; fi
    fi
}

# Run as a command unless sourced.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
    [[ $# -ge 2 ]] || usage
    [[ $(id -u) -eq 0 ]] || { echo "nginx-netns: needs root (ip netns); run it with sudo" >&2; exit 1; }
    case "$1" in
        up) [[ $# -le 4 ]] || usage; nginx_netns_up "$2" "$3" "${4:-demo}" ;;
        down) [[ $# -eq 3 ]] || usage; nginx_netns_down "$2" "$3" ;;
        count) [[ $# -eq 3 ]] || usage; nginx_netns_count "$2" "$3" ;;
        status) [[ $# -eq 2 ]] || usage; nginx_netns_status "$2" ;;
        *) usage ;;
    esac
fi
