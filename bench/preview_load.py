#!/usr/bin/env python3
"""50 browser-like clients tuning slices at once against a running `tomoedge serve` (run
bench/preview_latency.sh, which starts serve and calls this). Standard library only.

Each client thread sends --requests POST /api/preview requests, one after the other, each with a
new random cor_offset, for one of the given scans (clients spread over them round-robin), and
times each answer. Reports the latency distribution over all requests (p50/p90/p99/max), the
error count and what the answers say was reused; and, to show that the previews do not hold up
everyone else, the latency of a bystander reading the job table (GET /api/jobs?view=summary) every
100 ms meanwhile.
"""
import argparse
import json
import random
import statistics
import threading
import time
import urllib.error
import urllib.request


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=6)
    parser.add_argument("--params", default="{}", help="ReconParams JSON under each request's cor_offset")
    parser.add_argument("scans", nargs="+")
    args = parser.parse_args()
    base = json.loads(args.params)
    latencies, errors, reused = [], [], {}
    lock = threading.Lock()

    def client(index):
        scan = args.scans[index % len(args.scans)]
        rng = random.Random(index)
        for _ in range(args.requests):
            params = dict(base, cor_offset=round(rng.uniform(-5, 5), 2))
            body = json.dumps({"input": scan, "params": params}).encode()
            request = urllib.request.Request(args.url + "/api/preview", data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=300) as response:
                    answer = json.loads(response.read())
                seconds = time.perf_counter() - started
                with lock:
                    latencies.append(seconds)
                    reused[answer["reused"]] = reused.get(answer["reused"], 0) + 1
            except (urllib.error.URLError, OSError, ValueError) as e:
                with lock:
                    errors.append(str(e))

    bystander_latencies, bystander_errors, loaded = [], [], threading.Event()

    def bystander():
        while not loaded.is_set():
            started_at = time.perf_counter()
            try:
                with urllib.request.urlopen(args.url + "/api/jobs?view=summary", timeout=60) as response:
                    response.read()
                bystander_latencies.append(time.perf_counter() - started_at)
            except (urllib.error.URLError, OSError) as e:
                bystander_errors.append(str(e))
            loaded.wait(0.1)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    watcher = threading.Thread(target=bystander)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    loaded.set()
    watcher.join()
    values = sorted(latencies)
    print(f"{args.clients} clients x {args.requests} requests over {len(args.scans)} scan(s): {len(values)} answered, "
          f"{len(errors)} errors, {wall:.1f} s ({len(values) / wall:.1f} previews/s)")
    if values:
        print(f"latency p50 {percentile(values, 0.5):.3f} s, p90 {percentile(values, 0.9):.3f} s, "
              f"p99 {percentile(values, 0.99):.3f} s, max {values[-1]:.3f} s, mean {statistics.mean(values):.3f} s")
    print(f"reused: {reused}")
    side = sorted(bystander_latencies)
    if side:
        print(f"meanwhile GET /api/jobs: {len(side)} answered, {len(bystander_errors)} errors, "
              f"p50 {percentile(side, 0.5) * 1000:.1f} ms, p90 {percentile(side, 0.9) * 1000:.1f} ms, "
              f"max {side[-1] * 1000:.1f} ms")
    for e in errors[:5]:
        print("error:", e)


if __name__ == "__main__":
    main()
