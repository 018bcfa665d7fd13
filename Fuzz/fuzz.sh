#!/usr/bin/env bash
# libFuzzer harnesses for loadgen's parsers: each is one file of Fuzz/Harnesses compiled with the pure Swift sources
# of Sources/LoadGen it needs (none imports CUV, CAres or CNghttp2; zlib's module map is on the path), with
# -sanitize=fuzzer,address.
#
#   Fuzz/fuzz.sh build [HARNESS...]   build into $FUZZ_OUT/bin (default .build-fuzz), FUZZ_JOBS at a time (the CPUs)
#   Fuzz/fuzz.sh run [HARNESS...]     build, then run each for $FUZZ_SECONDS (default 60) from a copy of its seed
#                                     corpus Fuzz/corpus/HARNESS; print the executions per harness; exit 1 if any
#                                     crashed (the crashing input is kept under $FUZZ_OUT/crashes/HARNESS)
#   Fuzz/fuzz.sh list                 the harness names
#
# FUZZ_OPT=-Onone builds without optimisation (default -O); FUZZ_RUNS=N runs N inputs instead of a time; FUZZ_CORPUS=DIR keeps the grown corpora in DIR/HARNESS across runs
# (the seed corpus in the repository is only read).
set -euo pipefail
# The Swift runtime's backtracer reads memory ASan has poisoned: let libFuzzer print the trace instead.
export SWIFT_BACKTRACE=enable=no
cd "$(dirname "$0")/.."
OUT=${FUZZ_OUT:-.build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
# -O to fuzz; make test's seed run builds with -Onone into its own FUZZ_OUT (a quarter of the time).
OPT=${FUZZ_OPT:--O}
S=Sources/LoadGen
P=$S/Protocols

HTTP1_PARSER="$P/HTTP1/HTTP1ResponseParser.swift $P/HTTP1/HTTP1ResponseParser+Head.swift $P/HTTP1/HTTP1ResponseParser+StatusLine.swift $P/HTTP1/HTTP1ResponseParser+Bytes.swift $P/HTTP1/HTTP1ResponseParser+Chunked.swift"
URL="$P/HTTP/HTTPURL.swift $P/Endpoint.swift"
DNS="$P/DNS/DNSMessage.swift $P/DNS/DNSName.swift $P/DNS/DNSType.swift $P/DNS/NamesFile.swift $P/NameTemplate.swift Fuzz/Support/DNSQueryCheck.swift"
HEADER="$S/Report/ReportHeader.swift $S/CLI/Shard.swift $S/Report/Wording.swift $S/Stats/Threshold.swift $S/Scheduling/StepPlan.swift $S/Scheduling/RateShape.swift $S/Scheduling/Pacer.swift $S/Scheduling/LoadPlan.swift $S/Report/FindMaxSummary.swift $S/Stats/LatencyHistogram.swift $S/Stats/HdrEncoding.swift $S/Stats/HdrLayout.swift $S/Interop/Deflate.swift @Fuzz/Support/Packages.rsp"
VERIFY="$(ls $S/Verify/*.swift | tr '\n' ' ') $S/Report/JSON.swift $HEADER Fuzz/Support/VerifyFuzz.swift"

# harness name, harness file (Fuzz/Harnesses/NAMEFuzz.swift), the sources it compiles with.
HARNESSES=(
    "http1-response|HTTP1Response|$HTTP1_PARSER"
    "http1-request|HTTP1RequestTemplates|$P/HTTP1/HTTP1Request.swift $P/HTTP/HTTPTarget.swift $P/NameTemplate.swift $URL $HEADER $S/Report/JSON.swift"
    "http-url|HTTPURL|$URL"
    "name-template|NameTemplate|$P/NameTemplate.swift"
    "names-file|NamesFile|$DNS"
    "dns-answer|DNSAnswer|$DNS $P/DNS/DNSRcode.swift $P/DNS/AnswerLedger.swift $S/Stats/DNSCounters.swift"
    "verify-ig-trace-dns|VerifyIGTraceDNS|$VERIFY"
    "verify-ig-trace-tcp|VerifyIGTraceTCP|$VERIFY"
    "verify-ig-trace-ssl|VerifyIGTraceSSL|$VERIFY"
    "verify-tshark-fields|VerifyTsharkFields|$VERIFY"
    "verify-jsonl|VerifyJSONLines|$VERIFY"
    "verify-events-log|VerifyEventLog|$VERIFY"
    "dot-stream|DoTStream|$DNS $P/DNS/DNSRcode.swift $P/DNS/AnswerLedger.swift $S/Stats/DNSCounters.swift $P/DNS/DNSStreamFramer.swift $P/DNS/DNSQueryTable.swift $S/Scheduling/IDAllocator.swift"
    "echo-matcher|EchoMatcher|$P/Kinds/EchoMatcher.swift $P/NameTemplate.swift $S/Scheduling/UnsafeMutablePointer+Filled.swift"
    "cli-arguments|CLIArguments|$S/CLI/Quantity.swift $S/Stats/Threshold.swift $S/Scheduling/Pacer.swift $S/Scheduling/RateShape.swift"
    "hdr-decode|HdrDecode|$S/Stats/HdrEncoding.swift $S/Stats/HdrLayout.swift $S/Interop/Deflate.swift"
    "report-merge|ReportMerge|$S/Report/JSONInput.swift $S/Report/ReportInput.swift $S/Report/ReportInput+Kinds.swift $S/Report/ReportMerge.swift $S/Report/JSONReport.swift $S/Report/TargetReport.swift $S/Report/JSON.swift $S/Report/ReportHeader.swift $S/Report/RunWarnings.swift $S/Report/Wording.swift $S/Report/TLSReport.swift $S/Report/TextReport.swift $S/Report/TextReport+Thresholds.swift $S/Report/SpectrumReport.swift $S/Report/Reports.swift $S/Report/Plots.swift $S/Report/SVGChart.swift $S/Report/HlogFile.swift $S/Stats/Counters.swift $S/Stats/DNSCounters.swift $S/Stats/ErrorKind.swift $S/Stats/H2Counters.swift $S/Stats/HdrEncoding.swift $S/Stats/HdrLayout.swift $S/Stats/LatencyHistogram.swift $S/Stats/NotSentReason.swift $S/Stats/RunResult.swift $S/Stats/TLSCounters.swift $S/Stats/ThreadResult.swift $S/Stats/Threshold.swift $S/Stats/EventPart.swift $S/Stats/AddressPart.swift $S/Stats/StepPart.swift $S/Report/FindMaxReport.swift $S/Report/FindMaxSummary.swift $S/Scheduling/StepPlan.swift $S/Scheduling/RateShape.swift $S/Scheduling/Pacer.swift $S/Scheduling/LoadPlan.swift $S/Report/StepReport.swift $S/Report/ReportInput+Steps.swift $S/Report/ReportMerge+Steps.swift $S/Report/FindMaxSummary+Merge.swift $S/Report/Plots+Steps.swift $P/DNS/DNSRcode.swift $P/TLS/TLSFailure.swift $S/Interop/Deflate.swift $S/CLI/Shard.swift $S/CLI/TimeSpan.swift $S/CLI/Quantity.swift @Fuzz/Support/Packages.rsp $S/Stats/TLSHandshakeSummary.swift Fuzz/Support/HdrPlaceholders.swift Fuzz/Support/ReportRoundTrip.swift"
    "hlog-parse|HlogParse|$S/Report/HlogFile.swift $S/Report/JSONInput.swift $S/Report/Plots.swift $S/Report/SVGChart.swift $S/Report/ReportHeader.swift $S/Report/Wording.swift $S/Stats/Counters.swift $S/Stats/DNSCounters.swift $S/Stats/ErrorKind.swift $S/Stats/H2Counters.swift $S/Stats/HdrEncoding.swift $S/Stats/HdrLayout.swift $S/Stats/LatencyHistogram.swift $S/Stats/NotSentReason.swift $S/Stats/RunResult.swift $S/Stats/TLSCounters.swift $S/Stats/ThreadResult.swift $S/Stats/Threshold.swift $S/Stats/EventPart.swift $S/Stats/AddressPart.swift $S/Stats/StepPart.swift $S/Report/FindMaxSummary.swift $S/Scheduling/StepPlan.swift $S/Scheduling/RateShape.swift $S/Scheduling/Pacer.swift $S/Scheduling/LoadPlan.swift $P/TLS/TLSFailure.swift $S/Interop/Deflate.swift $S/CLI/Shard.swift @Fuzz/Support/Packages.rsp $S/Stats/TLSHandshakeSummary.swift Fuzz/Support/HdrPlaceholders.swift Fuzz/Support/HlogRoundTrip.swift"
)

names() { for h in "${HARNESSES[@]}"; do echo "${h%%|*}"; done; }

entry() {
    for h in "${HARNESSES[@]}"; do [[ ${h%%|*} == "$1" ]] && { echo "$h"; return; }; done
    echo "fuzz.sh: no harness '$1'; harnesses: $(names | tr '\n' ' ')" >&2
    exit 2
}

build() {
    local name=$1 file sources
    IFS='|' read -r name file sources <<<"$(entry "$name")"
    mkdir -p "$OUT/bin" "$OUT/obj/$name"
    # shellcheck disable=SC2086
    if [[ -x $OUT/bin/$name ]] && [[ -z $(find Fuzz/Support "Fuzz/Harnesses/${file}Fuzz.swift" $sources \
            -newer "$OUT/bin/$name" 2>/dev/null) ]]; then
        return 0
    fi
    echo "building $name"
    # ld.gold warns about ASan symbols; the warnings are harmless (DESIGN.md §6).
    # shellcheck disable=SC2086
    swiftc "$OPT" -gline-tables-only -sanitize=fuzzer,address -parse-as-library -module-name LoadGenFuzz \
        -module-cache-path "$OUT/module-cache" -I Sources/CZlib -lz -o "$OUT/bin/$name" \
        Fuzz/Support/FuzzInput.swift "Fuzz/Harnesses/${file}Fuzz.swift" $sources 2>"$OUT/obj/$name/build.log" || {
        grep -v 'warning' "$OUT/obj/$name/build.log" >&2
        echo "fuzz.sh: building $name failed" >&2
        return 1
    }
}

# Runs one harness; prints "name executions exec/s corpus result".
run_one() {
    local name=$1 work="$OUT/work/$name" crashes="$OUT/crashes/$name" corpus limit rc=0
    rm -rf "$work"
    mkdir -p "$work" "$crashes"
    if [[ -n ${FUZZ_CORPUS:-} ]]; then
        corpus="$FUZZ_CORPUS/$name"
        mkdir -p "$corpus"
    else
        corpus="$work/corpus"
        mkdir -p "$corpus"
    fi
    cp -n Fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
    if [[ -n ${FUZZ_RUNS:-} ]]; then limit="-runs=$FUZZ_RUNS"; else limit="-max_total_time=$SECONDS_EACH"; fi
    "$OUT/bin/$name" "$limit" -print_final_stats=1 -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$crashes/" "$corpus" >"$work/log" 2>&1 || rc=$?
    local execs speed files result=ok
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
    files=$(find "$corpus" -type f | wc -l)
    if [[ $rc -ne 0 ]] || grep -qE '^==[0-9]+==ERROR|deadly signal|fuzz invariant' "$work/log"; then
        result="CRASH (rc $rc, log $work/log, inputs in $crashes)"
    fi
    printf '%-22s %12s %10s %8s  %s\n' "$name" "${execs:-?}" "${speed:-?}" "$files" "$result"
    [[ $result == ok ]]
}

# Builds the harnesses FUZZ_JOBS (default: the CPUs) at a time; fails if any failed.
build_all() {
    local jobs=${FUZZ_JOBS:-$(nproc)} failed=0 pids=()
    for name in "$@"; do
        build "$name" &
        pids+=($!)
        if ((${#pids[@]} >= jobs)); then
            wait "${pids[0]}" || failed=1
            pids=("${pids[@]:1}")
        fi
    done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    return $failed
}

main() {
    local command=${1:-run}
    shift || true
    local list=("$@")
    [[ ${#list[@]} -gt 0 ]] || mapfile -t list < <(names)
    case $command in
    list) names ;;
    build)
        build_all "${list[@]}" ;;
    run)
        build_all "${list[@]}"
        local failed=0
        printf '%-22s %12s %10s %8s  %s\n' harness executions exec/s corpus result
        for name in "${list[@]}"; do run_one "$name" || failed=1; done
        [[ $failed -eq 0 ]] || { echo "fuzz.sh: a harness crashed; make the input a regression test and fix it" >&2; exit 1; }
        ;;
    *) echo "usage: fuzz.sh build|run|list [HARNESS...]" >&2; exit 2 ;;
    esac
}

main "$@"
