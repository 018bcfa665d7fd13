#!/bin/sh
# Measures reading 1 M Inspektor Gadget `ig run trace_dns -o json` lines with Foundation (JSONSerialization and
# JSONDecoder, per line and as one array) and, when a loadgen binary is given,
# `loadgen verify --format ig-trace-dns` end to end on the same
# file. Not part of CI. Usage: Benchmarks/verify_decoder.sh [LINES] [LOADGEN]
#   LINES    default 1000000
#   LOADGEN  default .build/release/loadgen (skipped when it does not exist)
set -eu
lines=${1:-1000000}
loadgen=${2:-.build/release/loadgen}
dir=$(mktemp -d /tmp/verify-decoder.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM

swiftc -O "$(dirname "$0")/VerifyDecoderBench.swift" -o "$dir/bench"
"$dir/bench" gen "$lines" "$dir/observed.json" "$dir/events.jsonl"
"$dir/bench" serialization "$dir/observed.json"
"$dir/bench" decoder "$dir/observed.json"
"$dir/bench" decoder-array "$dir/observed.json"
if [ -x "$loadgen" ]; then
    # Exit 0 (nothing missed) is expected; anything else is shown.
    /usr/bin/time -f "loadgen verify (events log + observed file, join, report): %e s wall, %U+%S s CPU, %M KB max RSS" \
        "$loadgen" verify --events "$dir/events.jsonl" --observed "$dir/observed.json" --format ig-trace-dns \
        > "$dir/report.txt" || { echo "loadgen verify exited $?"; cat "$dir/report.txt"; }
    head -5 "$dir/report.txt"
fi
