"""Checks `loadgen merge` against an independent reader: HdrHistogram's Python package (hdrh).

    hdr_merge_check.py MERGED.json INPUT.json...

For the response-time and service-time histograms, decodes every input's `hdr` with hdrh, adds them, and checks
that the merged report's count, min, max and percentiles (p50 p90 p99 p99.9 p99.99, in µs) are those of the summed
histogram, computed the way HdrHistogram's Java and Swift libraries define a percentile (the smallest bucket whose
cumulative count reaches ceil(p/100 × total), reported as the bucket's highest equivalent value, clamped to the
exact min and max the inputs state). Also checks the merged `hdr` holds exactly the summed counts. Prints one JSON
object; exit status 0 when everything matches, 1 otherwise.
"""
import json
import math
import sys

from hdrh.histogram import HdrHistogram

PERCENTILES = [50.0, 90.0, 99.0, 99.9, 99.99]


def value_at_percentile(h, percentile, exact_min, exact_max):
    total = h.get_total_count()
    requested = min(max(math.nextafter(percentile, -math.inf), 0.0), 100.0)
    target = max(1, math.ceil((requested * total) / 100.0))
    running = 0
    for index in range(h.counts_len):
        running += h.get_count_at_index(index)
        if running >= target:
            value = h.get_highest_equivalent_value(h.get_value_from_index(index))
            return max(min(value, exact_max), exact_min)
    return 0


def counts(h):
    return {i: h.get_count_at_index(i) for i in range(h.counts_len) if h.get_count_at_index(i)}


def check(key, merged, inputs, problems):
    summed = None
    for doc in inputs:
        h = HdrHistogram.decode(doc[key]["hdr"])
        if summed is None:
            summed = h
        else:
            summed.add(h)
    got = merged[key]
    nonempty = [doc[key] for doc in inputs if doc[key]["count"] > 0]
    exact_min = round(min(o["min"] for o in nonempty) * 1000) if nonempty else 0
    exact_max = round(max(o["max"] for o in nonempty) * 1000) if nonempty else 0
    if got["count"] != summed.get_total_count():
        problems.append(f"{key}: count {got['count']}, summed {summed.get_total_count()}")
    if round(got["min"] * 1000) != exact_min or round(got["max"] * 1000) != exact_max:
        problems.append(f"{key}: min/max {got['min']}/{got['max']}, inputs say {exact_min / 1000}/{exact_max / 1000}")
    if counts(HdrHistogram.decode(got["hdr"])) != counts(summed):
        problems.append(f"{key}: the merged hdr does not hold the summed counts")
    checked = {}
    for p in PERCENTILES:
        want = value_at_percentile(summed, p, exact_min, exact_max) if nonempty else 0
        name = "p" + (str(int(p)) if p == int(p) else str(p))
        checked[name] = [got[name], want / 1000]
        if round(got[name] * 1000) != want:
            problems.append(f"{key}.{name}: merged {got[name]} µs, summed histogram {want / 1000} µs")
    return {"count": got["count"], "percentiles": checked}


def main():
    merged = json.load(open(sys.argv[1]))
    inputs = [json.load(open(path)) for path in sys.argv[2:]]
    problems = []
    result = {key: check(key, merged, inputs, problems) for key in ("latency_us", "service_time_us")}
    result["problems"] = problems
    print(json.dumps(result))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
