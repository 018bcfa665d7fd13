"""Reads an HdrHistogram interval log with HdrHistogram's Python package (hdrh.log.HistogramLogReader), an
independent reader of what `loadgen --hlog` and `loadgen merge` write.

    hlog_read.py FILE

Prints one JSON object: {"start_time": SECONDS, "intervals": {TAG: [[start_s, length_s, count, p99_ns, max_ns], ...]}},
start_s relative to the log's StartTime; p99 as HdrHistogram's Java and Swift libraries define it (see
hdr_merge_check.py; hdrh's own get_value_at_percentile rounds the rank instead).
"""
import json
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

from hdr_merge_check import value_at_percentile


def main():
    reference = HdrHistogram(1, 3_600_000_000_000, 3)
    reader = HistogramLogReader(sys.argv[1], reference)
    intervals = {}
    start_time = None
    while True:
        h = reader.get_next_interval_histogram()
        if h is None:
            break
        if start_time is None:
            start_time = reader.get_start_time_sec()
        start = h.get_start_time_stamp() / 1000.0 - start_time
        length = (h.get_end_time_stamp() - h.get_start_time_stamp()) / 1000.0
        count = h.get_total_count()
        p99 = value_at_percentile(h, 99.0, h.get_min_value(), h.get_max_value()) if count else 0
        intervals.setdefault(h.get_tag() or "", []).append([round(start, 3), round(length, 3), count, p99, h.get_max_value()])
    print(json.dumps({"start_time": start_time, "intervals": intervals}))


if __name__ == "__main__":
    main()
