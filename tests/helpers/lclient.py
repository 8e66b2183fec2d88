#!/usr/bin/env python3
"""Clients of egress's listen mode for its tests (Python 3 stdlib only).

usage: lclient.py COMMAND PORT [ARGS...]     (connects to 127.0.0.1:PORT)

  echo PORT N SIZE [STAGGER]  N clients at once, each sends SIZE random bytes and reads
                    SIZE back (the target echoes exactly SIZE: target.py echo-n);
                    prints "ok N" when every client got its own bytes back, else
                    one line per failure. STAGGER seconds between connects.
  abort PORT SIZE   sends SIZE bytes, reads a little, then closes with a RST
  hold PORT N SECS  opens N connections, holds them SECS, prints how many the server
                    closed early ("closed K")
  socks5 PORT HOST TPORT [READ]  a SOCKS5 CONNECT (no auth, host by name); prints the
                    reply code as "rep 0xNN", then up to READ bytes it then reads
  socks4 PORT HOST TPORT [READ]  SOCKS4a when HOST is a name, SOCKS4 for an IPv4
                    address; prints "cd 0xNN" and what it reads
  raw PORT HEX      sends the bytes HEX, prints what comes back as hex until EOF
  vanish PORT N HEX  N clients, 50 at a time, each connects, sends the bytes HEX
                    (may be empty) and goes: every third closes, every third resets
                    (RST), every third half-closes and then closes; prints "gone N"

Every socket operation has a timeout (--timeout, default 20 s): nothing hangs.
"""

import hashlib
import os
import socket
import struct
import sys
import threading
import time

TIMEOUT = 20.0


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


def read_n(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(min(1 << 20, n - len(buf)))
        if not d:
            break
        buf += d
    return buf


def read_all(s, limit):
    buf = b""
    try:
        while len(buf) < limit:
            d = s.recv(65536)
            if not d:
                break
            buf += d
    except (socket.timeout, ConnectionResetError):
        pass
    return buf


def one_echo(port, size, results, i):
    data = os.urandom(size)
    try:
        s = connect(port)
        t = threading.Thread(target=s.sendall, args=(data,))
        t.start()
        got = read_n(s, size)
        t.join(TIMEOUT)
        s.close()
        if hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
            results[i] = "client %d: got %d of %d bytes, %s" % (
                i, len(got), size, "different" if len(got) == size else "short")
        else:
            results[i] = None
    except OSError as e:
        results[i] = "client %d: %s" % (i, e)


def cmd_echo(port, n, size, stagger="0"):
    n, size, stagger = int(n), int(size), float(stagger)
    results = ["not run"] * n
    threads = []
    for i in range(n):
        t = threading.Thread(target=one_echo, args=(port, size, results, i))
        t.start()
        threads.append(t)
        if stagger:
            time.sleep(stagger)
    for t in threads:
        t.join(TIMEOUT * 3)
    bad = [r for r in results if r]
    for r in bad:
        print(r)
    if not bad:
        print("ok %d" % n)
    return 1 if bad else 0


def cmd_abort(port, size):
    s = connect(port)
    s.sendall(os.urandom(int(size)))
    s.recv(1024)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    print("aborted")
    return 0


def cmd_hold(port, n, secs):
    socks = [connect(port) for _ in range(int(n))]
    time.sleep(float(secs))
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    print("closed %d" % closed)
    return 0


def cmd_socks5(port, host, tport, read="0"):
    s = connect(port)
    s.sendall(b"\x05\x01\x00")
    if read_n(s, 2) != b"\x05\x00":
        print("no method choice")
        return 1
    h = host.encode()
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(h)]) + h + struct.pack(">H", int(tport)))
    rep = read_n(s, 10)
    print("rep 0x%02x" % rep[1] if len(rep) == 10 else "short reply %r" % rep)
    if int(read):
        sys.stdout.write(read_all(s, int(read)).decode("latin-1"))
    return 0


def cmd_socks4(port, host, tport, read="0"):
    s = connect(port)
    try:
        ip = socket.inet_aton(host)
        name = b""
    except OSError:
        ip, name = b"\x00\x00\x00\x01", host.encode() + b"\x00"
    s.sendall(b"\x04\x01" + struct.pack(">H", int(tport)) + ip + b"me\x00" + name)
    rep = read_n(s, 8)
    print("cd 0x%02x" % rep[1] if len(rep) == 8 else "short reply %r" % rep)
    if int(read):
        sys.stdout.write(read_all(s, int(read)).decode("latin-1"))
    return 0


def cmd_raw(port, hexbytes):
    s = connect(port)
    s.sendall(bytes.fromhex(hexbytes))
    print(read_all(s, 65536).hex())
    return 0


def one_vanish(port, data, results, i):
    try:
        s = connect(port)
        if data:
            s.sendall(data)
        if i % 3 == 1:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif i % 3 == 2:
            s.shutdown(socket.SHUT_WR)
        s.close()
        results[i] = None
    except OSError as e:
        results[i] = "client %d: %s" % (i, e)


def cmd_vanish(port, n, hexbytes=""):
    n, data = int(n), bytes.fromhex(hexbytes)
    results = ["not run"] * n
    for start in range(0, n, 50):
        batch = [threading.Thread(target=one_vanish, args=(port, data, results, i))
                 for i in range(start, min(n, start + 50))]
        for t in batch:
            t.start()
        for t in batch:
            t.join(TIMEOUT)
    bad = [r for r in results if r]
    for r in bad[:10]:
        print(r)
    print("gone %d" % (n - len(bad)))
    return 1 if bad else 0


def main(argv):
    cmds = {"echo": cmd_echo, "abort": cmd_abort, "hold": cmd_hold,
            "socks5": cmd_socks5, "socks4": cmd_socks4, "raw": cmd_raw,
            "vanish": cmd_vanish}
    if len(argv) < 3 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]](int(argv[2]), *argv[3:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
