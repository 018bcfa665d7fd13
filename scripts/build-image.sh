#!/usr/bin/env bash
# build-image.sh BIN OUTDIR — an OCI image of loadgen, built offline from BIN and exactly the files it needs.
#
# No base image and no network: the root filesystem is BIN as /usr/bin/loadgen, every shared library `ldd BIN`
# names (at the path the loader finds it, with its soname), the system CA store and OpenSSL's configuration
# (TLS verification as on the host), /etc/passwd and /etc/group with root and nobody (for --user), /etc/hosts
# with localhost, and an empty /tmp. That tree, as a reproducible tarball (sorted, mtime 0, owner 0), is imported
# with `podman import` and tagged
#     localhost/loadgen:VERSION   and   localhost/loadgen:latest      (VERSION from `BIN --version`)
# then saved as an OCI archive OUTDIR/loadgen-VERSION.oci.tar. The image's entrypoint is /usr/bin/loadgen, so
#     podman --runtime runc run --rm --network ns:/run/netns/NS localhost/loadgen dns --server 127.0.0.1 ...
# runs a load. Prints the archive's path on the last line. Needs root, podman and ldd.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 PATH-TO-LOADGEN OUTDIR   (make image does this)" >&2
    exit 2
fi
bin=$1 out=$2
[[ -x "$bin" ]] || { echo "build-image: '$bin' is not an executable; build it first" >&2; exit 1; }
command -v podman >/dev/null || { echo "build-image: podman is not installed; make setup installs it" >&2; exit 1; }

version=$("$bin" --version)
[[ "$version" =~ ^[0-9A-Za-z.+-]+$ ]] || { echo "build-image: '$bin --version' printed '$version', not a version" >&2; exit 1; }
root=$(mktemp -d /tmp/loadgen-image.XXXXXX)
trap 'rm -rf "$root"' EXIT

# The binary and its libraries, each under the path ldd resolved it to (symlinks followed: one regular file per
# soname), plus the dynamic loader at the path the binary asks for.
install -D -m 0755 "$bin" "$root/usr/bin/loadgen"
ldd "$bin" | while read -r first second third _; do
    if [[ "$second" == "=>" && "$third" == /* ]]; then
        install -D -m 0755 "$(readlink -f "$third")" "$root$third"
    elif [[ "$first" == /* ]]; then
        install -D -m 0755 "$(readlink -f "$first")" "$root$first"
    elif [[ "$second" == "=>" && "$third" == "not" ]]; then
        echo "build-image: $bin needs $first, which is not installed" >&2
        exit 1
    fi
done

# TLS: the CA bundle where Debian's OpenSSL looks (/usr/lib/ssl/cert.pem and certs/ point to /etc/ssl).
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
install -D -m 0644 /usr/lib/ssl/openssl.cnf "$root/etc/ssl/openssl.cnf"
mkdir -p "$root/usr/lib/ssl"
ln -s /etc/ssl/certs/ca-certificates.crt "$root/usr/lib/ssl/cert.pem"
ln -s /etc/ssl/certs "$root/usr/lib/ssl/certs"
ln -s /etc/ssl/openssl.cnf "$root/usr/lib/ssl/openssl.cnf"

# Users for --user (glibc reads these files itself), name lookups of localhost, and a scratch directory.
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$root/etc/hosts"
mkdir -p -m 1777 "$root/tmp"
mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/run/netns" "$root/root"

tarball="$root.tar"
trap 'rm -rf "$root" "$tarball"' EXIT
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$tarball" .

podman import --quiet \
    --change 'ENTRYPOINT ["/usr/bin/loadgen"]' \
    --change 'CMD ["--help"]' \
    --change 'WORKDIR /tmp' \
    --change "LABEL org.opencontainers.image.title=loadgen org.opencontainers.image.version=$version" \
    "$tarball" "localhost/loadgen:$version" >/dev/null
podman tag "localhost/loadgen:$version" localhost/loadgen:latest

mkdir -p "$out"
archive="$out/loadgen-$version.oci.tar"
rm -f "$archive"
podman save --quiet --format oci-archive -o "$archive" "localhost/loadgen:$version"
echo "localhost/loadgen:$version ($(du -h "$archive" | cut -f1)): $(find "$root" -type f | wc -l) files"
echo "$archive"
