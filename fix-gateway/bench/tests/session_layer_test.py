#!/usr/bin/env python3
"""fixload against a scripted FIX 4.4 acceptor: checks the session layer a real acceptor relies on.

The fake acceptor answers the Logon, sends a TestRequest (expects a Heartbeat with 112), a
ResendRequest (expects a SequenceReset-GapFill), then answers the orders with, in turn: a plain ack, an
ack after a sequence gap, an ack with a bad CheckSum followed by a good one, a 150=8 reject, a session
Reject (35=3) pointing at the order's MsgSeqNum, a BusinessMessageReject (35=j) naming the ClOrdID, an
ack delayed past the heartbeat interval (expects fixload's Heartbeat meanwhile), then plain acks. At the
end it expects fixload's Logout and confirms it.

Usage: session_layer_test.py PATH/TO/fixload   (exit 0 when every check passed)
"""

import socket
import subprocess
import sys
import threading
import time

SOH = "\x01"
ORDERS = 10


def encode(fields):
    body = "".join(f"{t}={v}{SOH}" for t, v in fields)
    head = f"8=FIX.4.4{SOH}9={len(body)}{SOH}"
    msg = head + body
    return (msg + f"10={sum(msg.encode()) % 256:03d}{SOH}").encode()


def parse(raw):
    fields = {}
    for part in raw.split(SOH):
        if "=" in part:
            t, v = part.split("=", 1)
            fields.setdefault(int(t), v)
    return fields


class Acceptor:
    def __init__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.seq = 1
        self.buf = ""
        self.stash = []  # messages read while looking for another type
        self.failures = []
        self.log = []

    def check(self, ok, what):
        self.log.append(("ok  " if ok else "FAIL") + " " + what)
        if not ok:
            self.failures.append(what)

    def send(self, msg_type, fields, seq=None, corrupt=False):
        s = self.seq if seq is None else seq
        if seq is None:
            self.seq += 1
        data = encode([(35, msg_type), (34, s), (49, "VENUE"), (52, "20240102-03:04:05.678"), (56, "LOAD")] + fields)
        if corrupt:
            data = data[:-2] + (b"0" if data[-2:-1] != b"0" else b"1") + data[-1:]
        self.conn.sendall(data)

    def recv(self, timeout=5.0):
        self.conn.settimeout(timeout)
        while True:
            end = self.buf.find(SOH + "10=")
            if end >= 0 and len(self.buf) >= end + 8:
                raw, self.buf = self.buf[: end + 8], self.buf[end + 8 :]
                return parse(raw)
            chunk = self.conn.recv(65536)
            if not chunk:
                return None
            self.buf += chunk.decode()

    def expect(self, msg_type):
        """The next message of `msg_type`; orders read on the way are kept for recv_app()."""
        while True:
            m = self.recv()
            if m is None or m[35] == msg_type:
                return m
            self.stash.append(m)

    def recv_app(self, expect_heartbeat=False):
        """Next non-heartbeat message; records whether a heartbeat came first."""
        saw_heartbeat = False
        while True:
            m = self.stash.pop(0) if self.stash else self.recv()
            if m is None or m[35] != "0":
                if expect_heartbeat:
                    self.check(saw_heartbeat, "an idle fixload sends a Heartbeat")
                return m
            saw_heartbeat = True

    def run(self):
        self.conn, _ = self.listener.accept()
        logon = self.recv()
        self.check(logon[35] == "A" and logon[98] == "0" and logon[108] == "1", "Logon has 98=0 and 108")
        self.check(logon.get(141) == "Y", "--reset sends 141=Y")
        self.check(logon.get(553) == "user" and logon.get(554) == "secret", "Logon carries 553/554")
        self.send("A", [(98, 0), (108, 1), (141, "Y")])

        self.send("1", [(112, "PING-1")])
        hb = self.expect("0")
        self.check(hb is not None and hb.get(112) == "PING-1", "TestRequest answered by Heartbeat with 112")

        self.send("2", [(7, 1), (16, 0)])
        gap_fill = self.expect("4")
        self.check(gap_fill is not None and gap_fill.get(123) == "Y" and gap_fill.get(43) == "Y", "GapFill sent")
        highest = max(int(m[34]) for m in [hb] + self.stash)
        self.check(gap_fill[34] == "1" and gap_fill.get(36) == str(highest + 1), "GapFill covers 1..next")

        for n in range(ORDERS):
            order = self.recv_app(expect_heartbeat=(n == 7))
            if order is None:
                self.check(False, f"order {n} arrives")
                return
            if n == 0:
                self.check(
                    order[35] == "D" and order[40] == "2" and order[59] == "0" and order[1] == "LOAD"
                    and order[55] == "ACME" and order[54] == "1" and order[44] == "100.00" and order[38] == "100"
                    and 60 in order,
                    "NewOrderSingle fields",
                )
            er = [(37, f"O{n}"), (17, f"E{n}"), (11, order[11]), (54, order[54]), (151, 0), (14, 0), (6, 0)]
            if n == 1:
                self.seq += 2  # two messages never sent: a gap of 2
            if n == 2:
                self.send("8", er + [(150, "0"), (39, "0")], corrupt=True)
                self.seq -= 1  # the corrupt one is resent with the same number
            if n == 3:
                self.send("8", er + [(150, "8"), (39, "8"), (58, "no")])
            elif n == 4:
                self.send("3", [(45, order[34]), (58, "bad field")])
            elif n == 5:
                self.send("j", [(45, order[34]), (372, "D"), (380, 0), (379, order[11])])
            else:
                if n == 6:
                    time.sleep(1.6)  # past the 1 s heartbeat interval: fixload must heartbeat
                self.send("8", er + [(150, "0"), (39, "0")])
        logout = self.recv_app()
        self.check(logout is not None and logout[35] == "5", "fixload logs out at the end")
        self.send("5", [])
        self.conn.close()


def main():
    fixload = sys.argv[1]
    acceptor = Acceptor()
    thread = threading.Thread(target=acceptor.run, daemon=True)
    thread.start()
    proc = subprocess.run(
        [fixload, "--port", str(acceptor.port), "--orders", str(ORDERS), "--reset", "--username", "user",
         "--password", "secret", "--heartbeat-seconds", "1", "--progress-seconds", "0", "--timeout-seconds", "5"],
        capture_output=True, text=True, timeout=60)
    thread.join(10)
    out = proc.stdout.strip()
    acceptor.check(out.startswith(f"orders={ORDERS} "), "every order answered: " + out)
    acceptor.check(" rejects=3 " in out, "150=8, 35=3 and 35=j count as rejects")
    acceptor.check(out.endswith("errors=1"), "the bad CheckSum counts as an error")
    acceptor.check(proc.returncode == 1, "exit code 1 when errors > 0")
    acceptor.check("seq_gaps=1 (2 messages missing)" in proc.stderr, "the sequence gap is counted")
    acceptor.check("checksum=1" in proc.stderr, "the CheckSum error is reported")
    for line in acceptor.log:
        print(line)
    if acceptor.failures:
        print(proc.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
