#!/usr/bin/env python3
"""The load and the figures of bench/service_load.sh (run that; it starts serve and calls this).

Standard library only. Submits --jobs jobs at once from --threads threads, timing each POST; polls
GET /api/jobs/ID and GET /api/health from another thread while jobs are in flight; samples the
serve process's VmRSS every 0.2 s; then checks and reports (see the shell script's header).

Priority order: the scheduler keeps one queue, highest priority first (oldest first within a
level). A job J counts as a violation when some job K of higher priority was surely waiting in the
queue when J was taken from it, and K was surely taken after J. The records give `created` (set
by the scheduler as it queues the job), `started` (set on the job's own thread just after it was
taken) and `finished`. When J was taken is bounded: no later than J.started, and no earlier than
the finish that freed its slot (the (n - C)-th finish for the n-th job to start, with one rank of
margin because jobs record their starts on their own threads, in an order that may differ
slightly from the order they were taken in). "surely waiting": K.created is before J's earliest;
"surely taken after J": J.started is before K's earliest. Checked on simulated schedules: a FIFO
scheduler gives ~140 violations of 200, a priority scheduler with up to 2 ms of start-record
jitter 0. "loose" counts, as an upper bound, any higher-priority K created before J.started that
started after J. The same test within a level (an older job taken after a newer one) is
reported as out of submission order.
"""
import argparse
import json
import random
import statistics
import sys
import threading
import time
import urllib.request


def request(url, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json"} if body is not None else {})
    start = time.time()
    with urllib.request.urlopen(req, timeout=timeout) as response:
        payload = response.read()
        status = response.status
    end = time.time()
    return status, payload, start, end


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[index]


def latency_summary(values):
    ms = [v * 1000 for v in values]
    return {"count": len(ms), "median_ms": statistics.median(ms) if ms else float("nan"),
            "p95_ms": percentile(ms, 0.95), "max_ms": max(ms) if ms else float("nan")}


def read_status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        return None
    return None


def order_check(jobs, C, origin, slack=1):
    """Priority-order violations (see the module's docstring). `jobs`: the records sorted by start."""
    finishes = sorted(r["finished"] for r in jobs)
    definite = possible = fifo = 0
    examples = []

    def example(kind, J, K):
        if sum(1 for e in examples if e.startswith(kind)) < 3:
            examples.append(f"{kind}: job {J['id']} (priority {J['priority']}, queued +{J['created'] - origin:.4f} s) "
                            f"started +{J['started'] - origin:.4f} s; job {K['id']} (priority {K['priority']}, queued "
                            f"+{K['created'] - origin:.4f} s) started +{K['started'] - origin:.4f} s")

    # The earliest J can have been taken from the queue: when the (n - C)-th job finished, for the
    # n-th to be taken (a slot frees only when a job ends). n is J's rank by its start record, which
    # may differ from the order jobs were taken in by a job or so (each records its start on its own
    # thread): `slack` ranks of margin keep such near-ties from counting.
    low = {J["id"]: (finishes[n - C - 1 - slack] if n > C + slack else float("-inf")) for n, J in enumerate(jobs, start=1)}
    for J in jobs:
        later = [K for K in jobs if K["started"] > J["started"]]
        # K surely waiting when J was taken, and K surely taken after J had started.
        surely = [K for K in later if K["created"] < low[J["id"]] and J["started"] < low[K["id"]]]
        higher = [K for K in surely if K["priority"] > J["priority"]]
        loose = [K for K in later if K["priority"] > J["priority"] and K["created"] < J["started"]]
        older_same = [K for K in surely if K["priority"] == J["priority"] and int(K["id"]) < int(J["id"])]
        if higher:
            definite += 1
            example("definite", J, higher[0])
        if loose:
            possible += 1
            if not higher:
                example("loose", J, loose[0])
        if older_same:
            fifo += 1
            example("fifo", J, older_same[0])

    return definite, possible, fifo, examples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--out-root", required=True)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--priorities", default="0,1,2,3")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--method", default="fbp")
    parser.add_argument("--concurrent", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--summary")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    levels = [int(p) for p in args.priorities.split(",")]
    rng = random.Random(args.seed)
    plan = [(i, rng.choice(levels)) for i in range(args.jobs)]

    # --- memory sampler ------------------------------------------------------------------------
    stop_sampling = threading.Event()
    rss_samples = []  # (time, bytes)

    def sample_rss():
        while not stop_sampling.is_set():
            rss = read_status(args.pid, "VmRSS")
            if rss is not None:
                rss_samples.append((time.time(), rss))
            stop_sampling.wait(0.2)

    idle_rss = read_status(args.pid, "VmRSS")
    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()

    # --- submitters ----------------------------------------------------------------------------
    lock = threading.Lock()
    next_job = [0]
    submitted = {}  # id -> {"priority", "post_start", "post_end", "index"}
    post_latency = []
    errors = []
    ids_known = []  # for the poller, in submission order
    start_gate = threading.Barrier(args.threads + 1)

    def submitter():
        start_gate.wait()
        while True:
            with lock:
                if next_job[0] >= len(plan):
                    return
                index, priority = plan[next_job[0]]
                next_job[0] += 1
            body = {"input": args.input, "output": f"{args.out_root}/job{index:04d}",
                    "params": {"method": args.method}, "priority": priority}
            try:
                status, payload, t0, t1 = request(base + "/api/jobs", body)
                record = json.loads(payload)
                if status != 201:
                    raise RuntimeError(f"status {status}: {payload[:200]!r}")
            except Exception as e:  # noqa: BLE001 - reported and fatal
                with lock:
                    errors.append(f"POST job {index}: {e}")
                continue
            with lock:
                post_latency.append(t1 - t0)
                submitted[record["id"]] = {"priority": priority, "post_start": t0, "post_end": t1, "index": index}
                ids_known.append(record["id"])

    # --- poller --------------------------------------------------------------------------------
    all_submitted = threading.Event()
    get_job_latency, get_health_latency = [], []
    terminal = {}  # id -> state, as last seen by the poller
    poll_errors = []

    def poller():
        cursor = 0
        while True:
            with lock:
                known = list(ids_known)
            pending = [i for i in known if i not in terminal]
            if all_submitted.is_set() and len(known) == len(submitted) and not pending:
                return
            if time.time() > deadline:
                return
            if pending:
                job_id = pending[cursor % len(pending)]
                cursor += 1
                try:
                    _, payload, t0, t1 = request(f"{base}/api/jobs/{job_id}")
                    get_job_latency.append(t1 - t0)
                    state = json.loads(payload)["state"]
                    if state in ("done", "failed", "cancelled"):
                        terminal[job_id] = state
                except Exception as e:  # noqa: BLE001
                    poll_errors.append(f"GET job {job_id}: {e}")
            try:
                _, _, t0, t1 = request(f"{base}/api/health")
                get_health_latency.append(t1 - t0)
            except Exception as e:  # noqa: BLE001
                poll_errors.append(f"GET health: {e}")
            if len(poll_errors) > 20:
                return

    threads = [threading.Thread(target=submitter) for _ in range(args.threads)]
    for t in threads:
        t.start()
    deadline = time.time() + args.timeout
    poll_thread = threading.Thread(target=poller)
    poll_thread.start()
    first_submit = time.time()
    start_gate.wait()
    for t in threads:
        t.join()
    submit_end = time.time()
    all_submitted.set()
    poll_thread.join()
    load_end = time.time()
    stop_sampling.set()
    sampler.join()
    hwm = read_status(args.pid, "VmHWM")
    end_rss = read_status(args.pid, "VmRSS")

    if errors:
        sys.exit("service_load: submissions failed:\n  " + "\n  ".join(errors[:20]))
    if poll_errors:
        sys.exit("service_load: polling failed:\n  " + "\n  ".join(poll_errors[:20]))
    if time.time() > deadline and len(terminal) < len(submitted):
        sys.exit(f"service_load: only {len(terminal)} of {len(submitted)} jobs ended within {args.timeout:.0f} s")

    # --- the records, after the load -----------------------------------------------------------
    records = {}
    for job_id in submitted:
        _, payload, _, _ = request(f"{base}/api/jobs/{job_id}")
        records[job_id] = json.loads(payload)
    failed = {i: r for i, r in records.items() if r["state"] != "done"}
    if failed:
        lines = [f"job {i} (priority {r['priority']}): {r['state']}: {r.get('error', '')}" for i, r in list(failed.items())[:20]]
        sys.exit(f"service_load: {len(failed)} of {len(records)} jobs did not finish 'done':\n  " + "\n  ".join(lines))
    metrics_text = ""
    try:
        _, payload, _, _ = request(f"{base}/metrics")
        metrics_text = payload.decode(errors="replace")
    except Exception:  # noqa: BLE001 - informative only
        pass

    jobs = sorted(records.values(), key=lambda r: (r["started"], int(r["id"])))
    C = args.concurrent
    first_submit = min(s["post_start"] for s in submitted.values())
    last_finished = max(r["finished"] for r in jobs)
    wall = last_finished - first_submit
    run_seconds = [r["finished"] - r["started"] for r in jobs]
    slab_seconds = [sum(s.get("seconds", 0) for s in r.get("slabs", [])) for r in jobs]  # the slabs' own time

    # Most jobs running at once, from the [started, finished) intervals (a finish before a start at
    # the same instant).
    events = sorted([(r["started"], 1) for r in jobs] + [(r["finished"], -1) for r in jobs], key=lambda e: (e[0], e[1]))
    running = peak_running = 0
    for _, delta in events:
        running += delta
        peak_running = max(peak_running, running)

    # Deepest queue: jobs created but not yet started.
    qevents = sorted([(r["created"], 1) for r in jobs] + [(r["started"], -1) for r in jobs], key=lambda e: (e[0], -e[1]))
    depth = peak_queue = 0
    for _, delta in qevents:
        depth += delta
        peak_queue = max(peak_queue, depth)

    definite, possible, fifo, examples = order_check(jobs, C, first_submit)

    rss_peak_sampled = max((b for _, b in rss_samples), default=0)
    mib = 1 / (1024 * 1024)
    summary = {
        "jobs": len(jobs), "concurrent_jobs": C, "submit_threads": args.threads, "priorities": levels,
        "wall_s": wall, "jobs_per_s": len(jobs) / wall,
        "submit_s": submit_end - first_submit, "submits_per_s": len(jobs) / (submit_end - first_submit),
        "job_run_s_median": statistics.median(run_seconds), "job_run_s_max": max(run_seconds),
        "slab_s_median": statistics.median(slab_seconds),
        "post": latency_summary(post_latency), "get_job": latency_summary(get_job_latency),
        "get_health": latency_summary(get_health_latency),
        "get_all": latency_summary(get_job_latency + get_health_latency),
        "rss_idle_mib": (idle_rss or 0) * mib, "rss_peak_sampled_mib": rss_peak_sampled * mib,
        "rss_samples": len(rss_samples), "vmhwm_mib": (hwm or 0) * mib, "rss_end_mib": (end_rss or 0) * mib,
        "peak_running": peak_running, "peak_queue": peak_queue,
        "priority_violations_definite": definite, "priority_violations_possible": possible,
        "fifo_violations_within_level": fifo,
        "per_level": {str(p): sum(1 for r in jobs if r["priority"] == p) for p in levels},
    }

    def lat(name, s):
        return f"{name:<22} n={s['count']:<5} median {s['median_ms']:7.2f} ms   p95 {s['p95_ms']:7.2f} ms   max {s['max_ms']:7.2f} ms"

    print(f"jobs: {len(jobs)} done, 0 failed; per priority level: {summary['per_level']}")
    print(f"wall, first submit to last finished: {wall:.2f} s  ->  {summary['jobs_per_s']:.1f} jobs/s")
    print(f"submission: {summary['submit_s']:.2f} s for {len(jobs)} POSTs ({summary['submits_per_s']:.0f}/s) from {args.threads} threads")
    print(f"one job, started to finished: median {summary['job_run_s_median'] * 1000:.1f} ms, max {summary['job_run_s_max'] * 1000:.1f} ms; "
          f"of which from its first chunk read to its slab written: median {summary['slab_s_median'] * 1000:.1f} ms")
    print(lat("POST /api/jobs", summary["post"]))
    print(lat("GET /api/jobs/ID", summary["get_job"]))
    print(lat("GET /api/health", summary["get_health"]))
    print(lat("GETs together", summary["get_all"]))
    print(f"serve RSS: idle {summary['rss_idle_mib']:.1f} MiB; peak of {len(rss_samples)} samples (every 0.2 s) "
          f"{summary['rss_peak_sampled_mib']:.1f} MiB; VmHWM at the end {summary['vmhwm_mib']:.1f} MiB; at the end {summary['rss_end_mib']:.1f} MiB")
    print(f"most jobs running at once: {peak_running} (limit {C}) -> {'OK' if peak_running <= C else 'OVER THE LIMIT'}")
    print(f"deepest queue (created, not yet started): {peak_queue}")
    print(f"priority-order violations: {definite} definite, {possible} loose upper bound (any higher-priority job queued before the start record, started after); "
          f"out of submission order within a level: {fifo}")
    for e in examples:
        print("  " + e)
    for line in metrics_text.splitlines():
        if line.startswith(("tomoedge_jobs", "tomoedge_api_errors")):
            print("metrics: " + line)
    if args.summary:
        with open(args.summary, "w") as out:
            json.dump(summary, out, indent=1)
    if peak_running > C:
        sys.exit("service_load: more jobs ran at once than --concurrent-jobs")


if __name__ == "__main__":
    main()
