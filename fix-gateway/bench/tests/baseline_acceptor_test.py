#!/usr/bin/env python3
"""fix-baseline-acceptor seen from a FIX client: what a broker would notice.

Starts the acceptor (FileStore in a fresh directory, its default dictionary choice), logs on with
Username/Password (ignored), and checks: a resting order is acknowledged; a crossing order gets an ack
and both sides a fill at the resting price with exact decimal prices; a cancel gets 150=4 with the
cancel's ClOrdID and the order's as OrigClOrdID; an unknown cancel gets an OrderCancelReject; bad Side,
OrdType, TimeInForce and a ClOrdID of a live order are rejected with 150=8; SIGTERM stops it within a
second after logging the client out.

Usage: baseline_acceptor_test.py PATH/TO/fix-baseline-acceptor
"""

import socket
import subprocess
import sys
import time

SOH = "\x01"


def encode(fields):
    body = "".join(f"{t}={v}{SOH}" for t, v in fields)
    msg = f"8=FIX.4.4{SOH}9={len(body)}{SOH}" + body
    return (msg + f"10={sum(msg.encode()) % 256:03d}{SOH}").encode()


def parse(raw):
    fields = {}
    for part in raw.split(SOH):
        if "=" in part:
            t, v = part.split("=", 1)
            fields.setdefault(int(t), v)
    return fields


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port):
        deadline = time.time() + 10
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        self.seq = 1
        self.buf = ""

    def send(self, msg_type, fields):
        header = [(35, msg_type), (34, self.seq), (49, "LOAD"), (52, time.strftime("%Y%m%d-%H:%M:%S.000", time.gmtime())),
                  (56, "VENUE")]
        self.seq += 1
        self.sock.sendall(encode(header + fields))

    def recv(self):
        while True:
            end = self.buf.find(SOH + "10=")
            if end >= 0 and len(self.buf) >= end + 8:
                raw, self.buf = self.buf[: end + 8], self.buf[end + 8:]
                m = parse(raw)
                if m[35] in ("0",):
                    continue
                if m[35] == "1":
                    self.send("0", [(112, m[112])])
                    continue
                return m
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk.decode()

    def order(self, cl_ord_id, side, price, qty=100, ord_type="2", tif="0"):
        self.send("D", [(11, cl_ord_id), (1, "ACC"), (55, "ACME"), (54, side),
                        (60, time.strftime("%Y%m%d-%H:%M:%S.000", time.gmtime())), (38, qty), (40, ord_type),
                        (44, price), (59, tif)])


def main():
    binary = sys.argv[1]
    port = free_port()
    acceptor = subprocess.Popen([binary, "--port", str(port), "--store", "file"], stderr=subprocess.PIPE, text=True)
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    try:
        c = Client(port)
        c.send("A", [(98, 0), (108, 30), (141, "Y"), (553, "user"), (554, "secret")])
        logon = c.recv()
        check(logon is not None and logon[35] == "A", "Logon with 553/554 is accepted")

        c.order("S1", "2", "100.25")
        ack = c.recv()
        check(ack[35] == "8" and ack[150] == "0" and ack[39] == "0" and ack[11] == "S1", "resting sell acknowledged")
        check(ack[37] != "S1", "OrderID is the acceptor's, not the ClOrdID")

        c.order("B1", "1", "100.50", qty=40)
        reports = [c.recv() for _ in range(3)]
        kinds = [(r[11], r[150], r[39]) for r in reports]
        check(kinds == [("B1", "0", "0"), ("S1", "F", "1"), ("B1", "F", "2")], f"crossing buy: ack, fills {kinds}")
        check(all(r.get(31) == "100.25" for r in reports[1:]), "fills at the resting price, exact decimals")
        check(reports[1].get(151) == "60" and reports[1].get(14) == "40", "passive leaves 60, cum 40")
        check(reports[2].get(6) == "100.25", "AvgPx exact")

        c.send("F", [(41, "S1"), (11, "C1"), (55, "ACME"), (54, "2"), (60, time.strftime("%Y%m%d-%H:%M:%S", time.gmtime()))])
        cancel = c.recv()
        check(cancel[35] == "8" and cancel[150] == "4" and cancel[11] == "C1" and cancel.get(41) == "S1",
              "cancel: 150=4, ClOrdID of the cancel, OrigClOrdID of the order")

        c.send("F", [(41, "S1"), (11, "C2"), (55, "ACME"), (54, "2"), (60, time.strftime("%Y%m%d-%H:%M:%S", time.gmtime()))])
        reject = c.recv()
        check(reject[35] == "9" and reject.get(41) == "S1" and reject.get(434) == "1", "unknown order: OrderCancelReject")

        c.order("X1", "1", "99.00", ord_type="1")
        r = c.recv()
        check(r[150] == "8" or r[35] in ("3", "j"), "market order rejected")
        c.order("X2", "1", "99.00", tif="3")
        r = c.recv()
        check(r[150] == "8" or r[35] in ("3", "j"), "IOC rejected")
        c.order("R1", "1", "99.00")
        c.recv()
        c.order("R1", "1", "99.00")
        r = c.recv()
        check(r[35] == "8" and r[150] == "8" and r.get(103) == "6", "ClOrdID of a live order rejected")

        started = time.time()
        acceptor.terminate()
        logout = c.recv()
        check(logout is not None and logout[35] == "5", "SIGTERM logs the client out")
        c.send("5", [])
        acceptor.wait(timeout=5)
        check(time.time() - started < 1.0, f"stopped within a second ({time.time() - started:.3f} s)")
        check(acceptor.returncode == 0, "exit code 0")
    finally:
        if acceptor.poll() is None:
            acceptor.kill()
            acceptor.wait()
    if failures:
        print(acceptor.stderr.read())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
