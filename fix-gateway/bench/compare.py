#!/usr/bin/env python3
"""Runs the same fixload scenarios against the baseline acceptor and, when given, the venue.

For every scenario and target it runs fixload --repeat times and prints the medians of
orders_per_sec, p50/p99/p99.9 latency, fixload's own CPU use and the acceptor's CPU use (when its pid
is known), as a table on stdout; --csv also writes every single run. CPU columns are percent of one
core over the run; other% is what the rest of the machine used meanwhile (noise: other people's
builds), in percent of one core. Runs disturbed by more than --max-other are repeated (column redo).
Runs alternate between the targets (baseline, venue, baseline, ...), so both see the same machine.

The baseline acceptor is started by this script, fresh for every run (empty book, fresh store), pinned
as --placement says. The venue is not started here: run it yourself and pass --venue HOST:PORT (and
--venue-pid to see its CPU use). Its sessions must accept the --venue-sender/--venue-target CompIDs.

Examples (from the repository root, after building fixload and fix-baseline-acceptor):
  fix-gateway/bench/compare.py                                   # the baseline alone, default scenarios
  fix-gateway/bench/compare.py --venue 127.0.0.1:9878 --venue-pid $(pgrep -x venue) \\
        --venue-args '--username load --password ... --account LOAD-1'
  fix-gateway/bench/compare.py --store memory --placement same --scenario cross,1,max rest,100,5000
"""

import argparse
import csv
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time

DEFAULT_SCENARIOS = [
    "cross,1,max", "cross,100,max", "rest,1,max", "rest,100,max",
    "cross,1,5000", "cross,100,5000", "rest,1,5000", "rest,100,5000",
]
RESULT = re.compile(r"orders=(\d+) seconds=([\d.]+) orders_per_sec=(\d+) p50_us=([\d.]+) p99_us=([\d.]+) "
                    r"p999_us=([\d.]+) rejects=(\d+) errors=(\d+)")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid):
    """User + system CPU seconds of a process (all threads), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def machine_busy_s():
    """CPU seconds all CPUs spent busy (not idle, not waiting for I/O) since boot."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / CLK_TCK


def wait_until_quiet(max_other_pct, timeout_s=30.0):
    """Waits (up to timeout_s) for half a second in which the machine is no busier than max_other_pct of
    one core: before a run nothing of ours is working, so what it measures is other people's work."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        before = machine_busy_s()
        time.sleep(0.5)
        if 100.0 * (machine_busy_s() - before) / 0.5 <= max_other_pct:
            return True
    return False


def wait_for_port(port, timeout_s=10.0):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def pin(cpus):
    return ["taskset", "-c", cpus] if cpus else []


def run_fixload(args, fixload_cpus, scenario, target, acceptor_pid):
    mix, inflight, rate = scenario.split(",")
    orders = args.orders if rate == "max" else args.paced_orders
    cmd = pin(fixload_cpus) + [args.fixload, "--host", target["host"], "--port", str(target["port"]),
                               "--sender", target["sender"], "--target", target["target"], "--mix", mix,
                               "--inflight", inflight, "--rate", rate, "--orders", str(orders), "--reset",
                               "--progress-seconds", "0"] + args.fixload_args.split() + target["extra"]
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before_acceptor = process_cpu_s(acceptor_pid) if acceptor_pid else None
    before_busy = machine_busy_s()
    started = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.time() - started
    after_busy = machine_busy_s()
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    after_acceptor = process_cpu_s(acceptor_pid) if acceptor_pid else None
    m = RESULT.search(proc.stdout)
    if not m:
        sys.stderr.write(f"fixload failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}\n")
        return None
    seconds = float(m.group(2))
    wall = re.search(r"cpu [\d.]+ s over ([\d.]+) s", proc.stderr)
    wall_s = float(wall.group(1)) if wall else seconds
    fixload_cpu = (after_children.ru_utime - before_children.ru_utime) + (after_children.ru_stime - before_children.ru_stime)
    row = {
        "orders": int(m.group(1)), "seconds": seconds, "orders_per_sec": int(m.group(3)),
        "p50_us": float(m.group(4)), "p99_us": float(m.group(5)), "p999_us": float(m.group(6)),
        "rejects": int(m.group(7)), "errors": int(m.group(8)),
        # fixload's CPU over its whole life (connect and logout included) as a share of the run's wall time
        "fixload_cpu_pct": round(100.0 * fixload_cpu / wall_s, 1) if wall_s > 0 else 0.0,
        "acceptor_cpu_pct": None,
        "other_cpu_pct": None,
    }
    if before_acceptor is not None and after_acceptor is not None and wall_s > 0:
        acceptor_cpu = after_acceptor - before_acceptor
        row["acceptor_cpu_pct"] = round(100.0 * acceptor_cpu / wall_s, 1)
        # Everything else the machine did meanwhile (other users' builds...): noise to report.
        other = (after_busy - before_busy) - fixload_cpu - acceptor_cpu
        row["other_cpu_pct"] = round(max(0.0, 100.0 * other / elapsed), 1)
    return row


def start_baseline(args, port, cpus):
    cmd = pin(cpus) + [args.baseline, "--port", str(port), "--store", args.store, "--targets", args.sender]
    if args.dictionary:
        cmd += ["--dictionary", args.dictionary]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    if not wait_for_port(port):
        proc.kill()
        raise SystemExit("the baseline acceptor did not start listening")
    return proc


def stop_baseline(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def median(rows, key):
    values = [r[key] for r in rows if r[key] is not None]
    return statistics.median(values) if values else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fixload", default="build/bin/fixload")
    p.add_argument("--baseline", default="build/bin/fix-baseline-acceptor")
    p.add_argument("--no-baseline", action="store_true", help="only the venue")
    p.add_argument("--baseline-port", type=int, default=5001)
    p.add_argument("--store", choices=["file", "memory"], default="file", help="the baseline's store")
    p.add_argument("--dictionary", help="the baseline's --dictionary (default: its own choice)")
    p.add_argument("--sender", default="LOAD", help="SenderCompID against the baseline")
    p.add_argument("--venue", help="HOST:PORT of a running venue gateway")
    p.add_argument("--venue-sender", default="LOAD")
    p.add_argument("--venue-target", default="VENUE")
    p.add_argument("--venue-pid", type=int, help="the venue's pid, to report its CPU use")
    p.add_argument("--venue-args", default="", help="more fixload options for the venue (e.g. '--username u')")
    p.add_argument("--fixload-args", default="", help="more fixload options for every target (e.g. '--busy-poll')")
    p.add_argument("--placement", choices=["same", "split", "none"], default="split",
                   help="same: both on CPU 1; split: acceptor on CPU 1, fixload on CPU 0; none: unpinned")
    p.add_argument("--scenario", nargs="+", default=DEFAULT_SCENARIOS, metavar="MIX,INFLIGHT,RATE",
                   help="e.g. cross,1,max rest,100,5000 (default: the 8 combinations of cross|rest, 1|100, max|5000)")
    p.add_argument("--orders", type=int, default=50000, help="orders per --rate max run")
    p.add_argument("--paced-orders", type=int, default=20000, help="orders per paced run")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--csv", help="write every run here")
    p.add_argument("--max-other", type=float, default=25.0,
                   help="a run during which the rest of the machine used more than this percent of one core "
                        "is discarded and repeated (default 25; 0 keeps every run)")
    p.add_argument("--retries", type=int, default=4, help="repeats of a disturbed run before keeping it anyway")
    args = p.parse_args()

    scenarios = args.scenario
    for s in scenarios:
        parts = s.split(",")
        if len(parts) != 3 or parts[0] not in ("cross", "rest") or not parts[1].isdigit() or not (
                parts[2] == "max" or parts[2].isdigit()):
            p.error(f"--scenario {s}: expected MIX,INFLIGHT,RATE like cross,1,max")
    acceptor_cpus, fixload_cpus = {"same": ("1", "1"), "split": ("1", "0"), "none": ("", "")}[args.placement]

    targets = []
    if not args.no_baseline:
        targets.append({"name": f"baseline-{args.store}", "host": "127.0.0.1", "port": args.baseline_port,
                        "sender": args.sender, "target": "VENUE", "extra": [], "baseline": True})
    if args.venue:
        host, port = args.venue.rsplit(":", 1)
        targets.append({"name": "venue", "host": host, "port": int(port), "sender": args.venue_sender,
                        "target": args.venue_target, "extra": args.venue_args.split(), "baseline": False})
    if not targets:
        raise SystemExit("nothing to measure: no --venue and --no-baseline")

    writer = None
    if args.csv:
        csv_file = open(args.csv, "w", newline="")
        writer = csv.writer(csv_file)
        writer.writerow(["target", "placement", "scenario", "run", "orders", "seconds", "orders_per_sec", "p50_us",
                         "p99_us", "p999_us", "rejects", "errors", "fixload_cpu_pct", "acceptor_cpu_pct",
                         "other_cpu_pct"])

    print(f"placement {args.placement} (acceptor CPUs '{acceptor_cpus or 'any'}', fixload CPUs "
          f"'{fixload_cpus or 'any'}'); medians of {args.repeat} runs; load average {os.getloadavg()[0]:.2f}")
    header = f"{'target':16} {'scenario':16} {'orders/s':>9} {'p50 us':>9} {'p99 us':>9} {'p99.9 us':>9} " \
             f"{'fixload%':>8} {'accept%':>8} {'other%':>7} {'redo':>4} {'rej':>5} {'err':>4}"
    print(header)
    print("-" * len(header))
    for scenario in scenarios:
        # Runs are interleaved (baseline, venue, baseline, venue, ...) so that both see the same machine.
        rows = {t["name"]: [] for t in targets}
        discarded = {t["name"]: 0 for t in targets}
        for run in range(args.repeat):
            for target in targets:
                row = None
                for attempt in range(args.retries + 1):
                    if args.max_other > 0:
                        wait_until_quiet(args.max_other)
                    proc = start_baseline(args, target["port"], acceptor_cpus) if target["baseline"] else None
                    pid = proc.pid if proc else args.venue_pid
                    try:
                        row = run_fixload(args, fixload_cpus, scenario, target, pid)
                    finally:
                        if proc:
                            stop_baseline(proc)
                    disturbed = (row is not None and args.max_other > 0 and row["other_cpu_pct"] is not None
                                 and row["other_cpu_pct"] > args.max_other)
                    if not disturbed or attempt == args.retries:
                        break
                    discarded[target["name"]] += 1
                if row is None:
                    continue
                rows[target["name"]].append(row)
                if writer:
                    writer.writerow([target["name"], args.placement, scenario, run] + [row[k] for k in (
                        "orders", "seconds", "orders_per_sec", "p50_us", "p99_us", "p999_us", "rejects", "errors",
                        "fixload_cpu_pct", "acceptor_cpu_pct", "other_cpu_pct")])
                    csv_file.flush()
        for target in targets:
            runs = rows[target["name"]]
            if not runs:
                print(f"{target['name']:16} {scenario:16} (every run failed)")
                continue
            acc = median(runs, "acceptor_cpu_pct")
            other = median(runs, "other_cpu_pct")
            print(f"{target['name']:16} {scenario:16} {median(runs, 'orders_per_sec'):>9.0f} "
                  f"{median(runs, 'p50_us'):>9.1f} {median(runs, 'p99_us'):>9.1f} {median(runs, 'p999_us'):>9.1f} "
                  f"{median(runs, 'fixload_cpu_pct'):>8.0f} {'-' if acc is None else f'{acc:.0f}':>8} "
                  f"{'-' if other is None else f'{other:.0f}':>7} {discarded[target['name']]:>4} "
                  f"{sum(r['rejects'] for r in runs):>5} {sum(r['errors'] for r in runs):>4}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
