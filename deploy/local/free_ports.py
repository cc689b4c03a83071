#!/usr/bin/env python3
"""Free TCP ports on 127.0.0.1 for local services and test processes.

Chosen below the kernel's ephemeral range: any outgoing connection on the machine (a Kafka client,
a build tool running beside the tests) can take an ephemeral port between a probe and the server's
bind, which made servers fail their start with "Address already in use". Below that range only an
explicit bind takes a port. The start is drawn at random, so callers running side by side rarely
meet; another process can still bind a port first, so callers retry a start that fails on its port.

Usage: free_ports.py [N]   prints N distinct ports on one line (default 1).
"""
import random
import socket
import sys

FIRST = 10000


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports(n=1):
    """N distinct ports nobody has bound on 127.0.0.1 right now."""
    socks = []
    low = _ephemeral_low()
    try:
        if low > FIRST + 1000:
            span = low - FIRST
            start = random.randrange(span)
            for i in range(span):
                if len(socks) == n:
                    break
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    s.bind(("127.0.0.1", FIRST + (start + i) % span))
                    socks.append(s)
                except OSError:
                    s.close()
        while len(socks) < n:  # no room below the ephemeral range: let the kernel choose
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port():
    return free_ports(1)[0]


if __name__ == "__main__":
    try:
        count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    except ValueError:
        sys.exit("free_ports.py: N must be a whole number")
    print(" ".join(str(p) for p in free_ports(count)))
