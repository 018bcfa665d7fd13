#!/usr/bin/env bash
# build-deb.sh BIN OUTDIR — a Debian package of loadgen, built with dpkg-deb from BIN and what BIN says about itself.
#
# The package installs
#     /usr/bin/loadgen                                    BIN, stripped
#     /usr/share/man/man1/loadgen.1.gz, loadgen-SUB.1.gz  from `BIN --experimental-dump-help` (scripts/manpage.py)
#     /usr/share/bash-completion/completions/loadgen      \
#     /usr/share/zsh/vendor-completions/_loadgen           } `BIN --generate-completion-script bash|zsh|fish`
#     /usr/share/fish/vendor_completions.d/loadgen.fish   /
#     /usr/share/doc/loadgen/copyright, changelog.gz
# Version is `BIN --version`, Architecture `dpkg --print-architecture`, Depends what dpkg-shlibdeps finds for BIN's
# libraries. Every library `ldd BIN` loads must belong to a Debian package: BIN built without
# --static-swift-stdlib (Swift's runtime from /opt/swift) is refused, as is one whose libraries are missing.
# Files are owned by root and dated SOURCE_DATE_EPOCH (default: the last commit's time), so the same BIN gives
# the same package. Writes OUTDIR/loadgen_VERSION_ARCH.deb and prints its path on the last line. Needs dpkg-dev
# (dpkg-shlibdeps), binutils (strip) and python3; make deb runs it after make dist.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 PATH-TO-LOADGEN OUTDIR   (make deb does this)" >&2
    exit 2
fi
bin=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "build-deb: $*" >&2; exit 1; }
[[ -x "$bin" ]] || fail "'$bin' is not an executable; build it first (make dist)"
for tool in dpkg-deb dpkg-shlibdeps strip python3 gzip ldd; do
    command -v "$tool" >/dev/null || fail "$tool is not installed; make setup installs it (dpkg-dev, binutils, python3)"
done

# A native package's version: digits first, no hyphen (that would split off a Debian revision).
version=$("$bin" --version)
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] \
    || fail "'$bin --version' printed '$version', not a Debian version (use ~ rather than - for pre-releases)"
arch=$(dpkg --print-architecture)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || stat -c %Y "$bin")}
maintainer=$(git -C "$here" log -1 --format='%an <%ae>' 2>/dev/null || echo 'loadgen maintainers <root@localhost>')

work=$(mktemp -d /tmp/loadgen-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/loadgen
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin"
strip --strip-unneeded -o "$root/usr/bin/loadgen" "$bin"
chmod 0755 "$root/usr/bin/loadgen"
staged=$root/usr/bin/loadgen
[[ "$("$staged" --version)" == "$version" ]] || fail "the stripped copy of '$bin' does not run"

# The package owning PATH, trying the path, where it resolves to, and its other name under merged /usr (Debian
# lists libc6's files under /lib, libuv1's under /usr/lib; both are reached through either).
owner() {
    local path alias candidate found
    for path in "$1" "$(readlink -f "$1")"; do
        if [[ "$path" == /usr/* ]]; then alias=${path#/usr}; else alias=/usr$path; fi
        for candidate in "$path" "$alias"; do
            found=$(dpkg-query -S "$candidate" 2>/dev/null) || continue
            echo "${found%%:*}"
            return 0
        done
    done
    return 1
}

# Every library the loader maps must come from a Debian package; dpkg-shlibdeps alone only warns about the rest.
check_libraries() {
    local name arrow path rest foreign=()
    while read -r name arrow path rest; do
        if [[ "$arrow" == "=>" && "$path" == "not" ]]; then
            foreign+=("$name (not found)")
        elif [[ "$arrow" == "=>" && "$path" == /* ]]; then
            owner "$path" >/dev/null || foreign+=("$path")
        elif [[ "$name" == /* ]]; then
            owner "$name" >/dev/null || foreign+=("$name")
        fi
    done < <(ldd "$staged")
    if (( ${#foreign[@]} )); then
        printf 'build-deb: %s needs libraries no Debian package provides:\n' "$bin" >&2
        printf '    %s\n' "${foreign[@]}" >&2
        fail "build it with --static-swift-stdlib (make dist) and install the -dev packages' runtime libraries"
    fi
}

# Depends: dpkg-shlibdeps reads the symbols files of the packages owning BIN's NEEDED libraries.
shlib_depends() {
    local log=$work/shlibdeps.log deps
    mkdir -p "$work/debian"
    printf 'Source: loadgen\n\nPackage: loadgen\nArchitecture: any\n' >"$work/debian/control"
    if ! deps=$(cd "$work" && dpkg-shlibdeps -O -e"$staged" 2>"$log"); then
        cat "$log" >&2
        fail "dpkg-shlibdeps could not work out the dependencies of '$bin'"
    fi
    deps=${deps#shlibs:Depends=}
    [[ -n "$deps" && "$deps" != *swift* ]] || { cat "$log" >&2; fail "unexpected dependencies: '$deps'"; }
    echo "$deps"
}

# Man pages and completions, from the staged binary's own help.
generate_docs() {
    local man=$root/usr/share/man/man1 date
    date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
    "$staged" --experimental-dump-help >"$work/help.json"
    python3 "$here/manpage.py" --version "$version" --date "$date" "$man" <"$work/help.json" >/dev/null
    [[ -f "$man/loadgen.1" ]] || fail "manpage.py wrote no loadgen.1"
    gzip -9n "$man"/*.1
    install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
        "$root/usr/share/fish/vendor_completions.d"
    "$staged" --generate-completion-script bash >"$root/usr/share/bash-completion/completions/loadgen"
    "$staged" --generate-completion-script zsh >"$root/usr/share/zsh/vendor-completions/_loadgen"
    "$staged" --generate-completion-script fish >"$root/usr/share/fish/vendor_completions.d/loadgen.fish"
}

# copyright in the machine-readable format: loadgen itself and what the static build links in.
write_copyright() {
    cat <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: loadgen
Comment: The loadgen source tree carries no license file; no license is granted for loadgen's own code.
 The binary has Swift's runtime (standard library, Foundation with ICU, Dispatch) and the Swift
 packages below linked in; the C libraries it uses come from the Debian packages it depends on.

Files: *
Copyright: the loadgen authors
License: none
 No license has been stated for loadgen.

Files: /opt/swift/usr/lib/swift_static/* .build/checkouts/swift-argument-parser/*
 .build/checkouts/swift-numerics/*
Copyright: Apple Inc. and the Swift project authors
License: Apache-2.0 with Runtime Library Exception

Files: .build/checkouts/hdrhistogram-swift/*
Copyright: the HdrHistogram authors
License: Apache-2.0

Files: /opt/swift/usr/lib/swift_static/linux/lib_FoundationICU.a
Copyright: 2016 and later: Unicode, Inc. and others
License: Unicode-3.0
 ICU, in Foundation's copy: https://www.unicode.org/copyright.html

License: Apache-2.0
 On Debian systems, the full text of the Apache License, Version 2.0 is in
 /usr/share/common-licenses/Apache-2.0.

License: Apache-2.0 with Runtime Library Exception
 Apache License, Version 2.0 (/usr/share/common-licenses/Apache-2.0 on Debian systems), with this exception:
 .
 As an exception, if you use this Software to compile your source code and portions of this Software are
 embedded into the binary product as a result, you may redistribute such product without providing
 attribution as would otherwise be required by Sections 4(a), 4(b) and 4(d) of the License.
EOF
}

write_doc() {
    local doc=$root/usr/share/doc/loadgen
    install -d "$doc"
    write_copyright >"$doc/copyright"
    {
        printf 'loadgen (%s) unstable; urgency=medium\n\n' "$version"
        printf '  * Built by make deb from the loadgen source tree.\n\n'
        printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
    } | gzip -9n >"$doc/changelog.gz"
}

# DEBIAN/control. The long description is the root command's abstract and its subcommands, from the help.
write_control() {
    local depends=$1 size description
    size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    description=$(python3 -c '
import json, sys, textwrap
command = json.load(sys.stdin)["command"]
subs = [s["commandName"] for s in command.get("subcommands", []) if s["commandName"] != "help"]
text = command["abstract"] + " Subcommands: " + ", ".join(subs) + "."
print("\n".join(" " + l for l in textwrap.wrap(text, 72)))' <"$work/help.json")
    cat >"$root/DEBIAN/control" <<EOF
Package: loadgen
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Section: net
Priority: optional
Description: DNS and HTTP load generator for network namespaces
$description
EOF
}

check_libraries
depends=$(shlib_depends)
generate_docs
write_doc
write_control "$depends"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f ! -path "$root/usr/bin/*" -exec chmod 0644 {} +
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
deb=$out/loadgen_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "loadgen $version ($arch, $(du -h "$deb" | cut -f1)): Depends: $depends"
echo "$deb"
