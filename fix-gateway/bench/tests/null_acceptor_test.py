#!/usr/bin/env python3
"""fix-null-acceptor's --work-us, as fixload sees it: the option a round-trip floor is measured with.

Checks: a bad --work-us is refused with exit 2 and a message naming the option; with --work-us 20000
every order's first report takes at least 20 ms (the acceptor spins that long before answering); with
the default of 0 the median is far below that.

Usage: null_acceptor_test.py PATH/TO/fix-null-acceptor PATH/TO/fixload
"""

import re
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_with(acceptor, fixload, work_us):
    port = free_port()
    proc = subprocess.Popen([acceptor, "--port", str(port), "--work-us", str(work_us)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        out = subprocess.run([fixload, "--port", str(port), "--reset", "--orders", "10", "--inflight", "1",
                              "--progress-seconds", "0"], capture_output=True, text=True, timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    m = re.search(r"orders=(\d+) .*p50_us=([0-9.]+) p99_us=([0-9.]+)", out.stdout)
    if out.returncode != 0 or not m:
        raise SystemExit(f"fixload against --work-us {work_us} failed: rc={out.returncode}\n{out.stdout}{out.stderr}")
    return int(m.group(1)), float(m.group(2))


def main():
    acceptor, fixload = sys.argv[1], sys.argv[2]
    failures = []
    for bad in ("-1", "abc", "1000001"):
        r = subprocess.run([acceptor, "--work-us", bad], capture_output=True, text=True, timeout=10)
        if r.returncode != 2 or "--work-us" not in r.stderr:
            failures.append(f"--work-us {bad}: exit {r.returncode}, stderr {r.stderr!r}")
    orders, slow_p50 = run_with(acceptor, fixload, 20000)
    if orders != 10 or slow_p50 < 20000:
        failures.append(f"--work-us 20000: {orders} orders answered, p50 {slow_p50} µs (expected 10, >= 20000)")
    orders, fast_p50 = run_with(acceptor, fixload, 0)
    if orders != 10 or fast_p50 >= 20000:
        failures.append(f"--work-us 0: {orders} orders answered, p50 {fast_p50} µs (expected 10, < 20000)")
    for f in failures:
        print("FAIL", f)
    print(f"p50 with --work-us 20000: {slow_p50} µs; with 0: {fast_p50} µs")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
