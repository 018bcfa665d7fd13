# test-certs.sh — sourced by the *-netns.sh scripts: a throwaway CA and a server certificate for the TLS
# servers they start (never trusted anywhere else).
#
#   test_certs_write DIR   write DIR/tls/{ca.pem,ca.key,server.pem,server.key}: an ECDSA P-256 CA and a server
#                          certificate it signed for 127.0.0.1 and loadgen.test, valid 30 days
test_certs_write() {
    local tls=$1/tls
    mkdir -p "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=loadgen test CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.pem" -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=loadgen.test" \
        -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null || return 1
    printf 'subjectAltName=IP:127.0.0.1,DNS:loadgen.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tls/ext.cnf"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 30 \
        -extfile "$tls/ext.cnf" -out "$tls/server.pem" 2>/dev/null
}
