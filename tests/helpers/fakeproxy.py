#!/usr/bin/env python3
"""A scriptable fake HTTP CONNECT proxy for egress's tests (Python 3 stdlib only).

usage: fakeproxy.py --port-file F --log F [options] MODE [ARGS...]

Listens on 127.0.0.1 (or --bind ADDR), port --port (0 = any free port), writes the
port to the port file once the socket listens, and serves every connection in its
own thread.  For each accepted connection the log gets a line "accept HOST:PORT",
then, once the request head is read, one "> LINE" per request line and header.

Modes:
  relay              a correct CONNECT proxy: "200 Connection established", then a
                     tunnel to the requested host:port (502 if that fails).  A client
                     EOF tears the whole tunnel down, as squid and tinyproxy do, unless
                     --half-close is given: then it becomes shutdown(SHUT_WR) on the
                     target and the other direction keeps flowing.  A reset from the
                     target is passed on to the client as a reset.
  http10             like relay, but the reply is "HTTP/1.0 200 OK".
  split              like relay, but the reply head comes in small writes with delays.
  coalesce           the 200 reply and the banner (--banner / --banner-file) in ONE
                     send(); then a tunnel to the target if it can be reached, else
                     the proxy half-closes and waits for the client to go away.
  status CODE REASON reply CODE REASON (407 adds Proxy-Authenticate), then close; the
                     body is --banner / --banner-file if given (an HTTP server of one
                     file, with --header lines: a PAC server with caching headers).
  garbage [TEXT]     reply with non-HTTP bytes, then close.
  close              read the request, close without a reply.
  silent             read the request, never answer, keep the connection open.
  flood [BYTES [LEN]] "HTTP/1.1 200 OK" then BYTES (default 1 MiB) of header lines of
                     about LEN bytes (default 100), never ending the head; stays open.
  noaccept           listen, never accept; the accept queue is filled first so
                     further connection attempts hang (SYN dropped).
  raw TEXT           reply with exactly TEXT, the whole head and whatever follows it
                     (a 1xx before the 200, a NUL in a header, a 407 claiming a huge
                     body: "HTTP/1.1 100 Continue\\r\\n\\r\\nHTTP/1.1 200 OK\\r\\n\\r\\n"),
                     then what --then says.
  trickle MS [TEXT [FILL]]
                     send TEXT (default "HTTP/1.1 200 ") and then FILL (default "x")
                     over and over, one byte every MS milliseconds, until the client
                     goes away; the log gets "trickle-stopped BYTES" then.

--then WHAT (raw only): after the reply, "close" (the default: half-close, then
wait for the client to go), "relay" (a tunnel to the requested host:port, as
relay's; a close if it cannot be reached), "rst" (a TCP reset, SO_LINGER 0, 50 ms
after the last byte) or "stall" (keep the connection open, reading and dropping
what comes).

--bytewise MS: the reply of relay, http10, coalesce, status, garbage and raw goes
out one byte per send(), MS milliseconds apart, TCP_NODELAY on: each byte its own
segment.
--filler-headers N: N short header lines ("X-Filler-00001: f", 19 bytes each) right
after the status line of the relay, http10, coalesce and status replies.

--auth USER:PASS: before any mode, a request without "Proxy-Authorization: Basic"
for USER:PASS gets a 407 offering Basic, and the next request on the same
connection is read (as squid does); the log gets "auth-required" per 407.

TEXT arguments understand backslash escapes (\\r, \\n, \\x00...).
The process exits on its own after --lifetime seconds or when its parent dies.
"""

import argparse
import base64
import itertools
import select
import socket
import sys
import threading
import time

from loopserve import add_common_args, drain, finish, log, serve, start, unescape, write_port_file

MAX_HEAD = 64 * 1024


def read_head(conn):
    """Read the request head; return (head_lines, bytes_after_head) or None on EOF."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HEAD:
            return None
        try:
            chunk = conn.recv(4096)
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    return lines, rest


def parse_target(request_line):
    """'CONNECT host:port HTTP/1.1' -> (host, port) or None."""
    parts = request_line.split(" ")
    if len(parts) != 3 or parts[0] != "CONNECT":
        return None
    authority = parts[1]
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0 or authority[end + 1:end + 2] != ":":
            return None
        host, port = authority[1:end], authority[end + 2:]
    else:
        host, _, port = authority.rpartition(":")
    try:
        return host, int(port)
    except ValueError:
        return None


def reset(conn):
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    conn.close()


def tunnel(client, target, half_close):
    """Relay both ways until done; close both sockets.

    Each direction has its own thread, polling with a short timeout so that a
    teardown never waits on a thread blocked in recv() (a socket that another
    thread is reading cannot really be closed, so no RST could be sent)."""
    stop = threading.Event()
    state = {"reset": False}

    def pump(src, dst, from_target):
        try:
            while not stop.is_set():
                ready, _, _ = select.select([src], [], [], 0.1)
                if not ready:
                    continue
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except ConnectionResetError:
            if from_target:
                state["reset"] = True
        except OSError:
            pass
        if half_close and not state["reset"]:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        else:
            stop.set()

    a = threading.Thread(target=pump, args=(client, target, False), daemon=True)
    b = threading.Thread(target=pump, args=(target, client, True), daemon=True)
    a.start()
    b.start()
    if half_close:
        while a.is_alive() or b.is_alive():
            if stop.wait(0.1):
                break
    else:
        stop.wait()
    stop.set()
    a.join(5)
    b.join(5)
    if state["reset"]:
        reset(client)
        target.close()
        return
    for s in (client, target):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def filler_headers(opts):
    return b"".join(b"X-Filler-%05d: f\r\n" % i for i in range(1, opts.filler_headers + 1))


def extra_headers(opts):
    return filler_headers(opts) + "".join(h + "\r\n" for h in opts.header).encode("latin-1")


def send_reply(conn, data, opts):
    """sendall(data), or with --bytewise one byte per send() with a pause after each."""
    if not opts.bytewise:
        conn.sendall(data)
        return
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(len(data)):
        conn.sendall(data[i:i + 1])
        time.sleep(opts.bytewise / 1000.0)


def trickle(conn, args, opts):
    """One byte every MS ms: TEXT, then FILL forever (until the client leaves)."""
    ms = float(args[0]) if args else 100.0
    text = unescape(args[1]) if len(args) > 1 else b"HTTP/1.1 200 "
    fill = unescape(args[2]) if len(args) > 2 else b"x"
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sent = 0
    try:
        # Ends when a send fails: the client has gone (or --lifetime ends the process).
        for byte in itertools.chain(text, itertools.cycle(fill)):
            conn.sendall(bytes([byte]))
            sent += 1
            time.sleep(ms / 1000.0)
    except OSError:
        pass
    log(opts.log, "trickle-stopped %d" % sent)
    conn.close()


def raw(conn, lines, rest, args, opts):
    """Reply with exactly args[0], then close, relay, reset or stall (--then)."""
    target = connect_target(lines) if opts.then == "relay" else None
    try:
        send_reply(conn, unescape(args[0]) if args else b"", opts)
    except OSError:
        conn.close()
        if target is not None:
            target.close()
        return
    if opts.then == "relay" and target is not None:
        if rest:
            target.sendall(rest)
        tunnel(conn, target, opts.half_close)
    elif opts.then == "rst":
        time.sleep(0.05)
        reset(conn)
    elif opts.then == "stall":
        drain(conn, opts.lifetime)
    else:
        finish(conn)


def banner_bytes(opts):
    if opts.banner_file:
        with open(opts.banner_file, "rb") as f:
            return f.read()
    if opts.banner is not None:
        return unescape(opts.banner)
    return b""


def authorized(lines, userpass):
    """Whether the request head carries Basic credentials for USER:PASS."""
    want = "basic " + base64.b64encode(userpass.encode("latin-1")).decode("ascii")
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "proxy-authorization":
            v = value.strip()
            return v[:6].lower() + v[6:] == want
    return False


def connect_target(lines):
    addr = parse_target(lines[0]) if lines else None
    if addr is None:
        return None
    try:
        s = socket.create_connection(addr, timeout=5)
    except OSError:
        return None
    s.settimeout(None)
    return s


def handle(conn, peer, opts):
    log(opts.log, ["accept %s:%d" % (peer[0], peer[1])])
    while True:  # with --auth, a 407 for every request until one carries it
        got = read_head(conn)
        if got is None:
            log(opts.log, ["eof-before-head"])
            conn.close()
            return
        lines, rest = got
        log(opts.log, ["> " + line for line in lines])
        if not opts.auth or authorized(lines, opts.auth):
            break
        log(opts.log, ["auth-required"])
        try:
            conn.sendall(b'HTTP/1.1 407 Proxy Authentication Required\r\n'
                         b'Proxy-Authenticate: Basic realm="fakeproxy"\r\n'
                         b'Content-Length: 0\r\n\r\n')
        except OSError:
            conn.close()
            return
    mode, args = opts.mode, opts.args

    if mode == "close":
        conn.close()
        return
    if mode == "silent":
        drain(conn, opts.lifetime)
        return
    if mode == "status":
        code = args[0] if args else "403"
        reason = " ".join(args[1:]) if len(args) > 1 else "Forbidden"
        body = banner_bytes(opts) or b"fakeproxy says no\n"
        head = ("HTTP/1.1 %s %s\r\n" % (code, reason)).encode("latin-1")
        # The filler first: what matters to egress comes after it.
        head += filler_headers(opts)
        if code == "407":
            head += b'Proxy-Authenticate: Basic realm="fakeproxy"\r\n'
        head += "".join(h + "\r\n" for h in opts.header).encode("latin-1")
        head += b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
        try:
            send_reply(conn, head + body, opts)
        except OSError:
            pass
        finish(conn)
        return
    if mode == "garbage":
        data = unescape(args[0]) if args else b"\x00\x01\x02 this is not HTTP \xff\xfe\r\n\r\n"
        try:
            send_reply(conn, data, opts)
        except OSError:
            pass
        finish(conn)
        return
    if mode == "trickle":
        trickle(conn, args, opts)
        return
    if mode == "raw":
        raw(conn, lines, rest, args, opts)
        return
    if mode == "flood":
        total = int(args[0]) if args else 1024 * 1024
        linelen = int(args[1]) if len(args) > 1 else 100
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            sent, i = 0, 0
            while sent < total:
                line = b"X-Flood-%07d: " % i
                line += b"a" * max(1, linelen - len(line) - 2) + b"\r\n"
                conn.sendall(line)
                sent += len(line)
                i += 1
        except OSError:
            conn.close()
            return
        drain(conn, opts.lifetime)
        return

    # The modes below open a tunnel.
    target = connect_target(lines)
    if mode == "coalesce":
        reply = b"HTTP/1.1 200 Connection established\r\n" + extra_headers(opts) + b"\r\n"
        try:
            send_reply(conn, reply + banner_bytes(opts), opts)
        except OSError:
            conn.close()
            return
        if target is None:
            finish(conn)
            return
    elif target is None:
        try:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass
        finish(conn)
        return
    elif mode == "relay":
        send_reply(conn, b"HTTP/1.1 200 Connection established\r\n" + extra_headers(opts)
                   + b"\r\n" + banner_bytes(opts), opts)
    elif mode == "http10":
        send_reply(conn, b"HTTP/1.0 200 OK\r\n" + extra_headers(opts) + b"\r\n"
                   + banner_bytes(opts), opts)
    elif mode == "split":
        pieces = [b"HTTP/1.1 2", b"00 Connection est", b"ablished\r", b"\nX-Split: 1\r\n",
                  b"Proxy-agent: fake", b"proxy\r\n", b"\r", b"\n"]
        for piece in pieces:
            conn.sendall(piece)
            time.sleep(0.05)
        if banner_bytes(opts):
            conn.sendall(banner_bytes(opts))
    if rest:
        target.sendall(rest)
    tunnel(conn, target, opts.half_close)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(p)
    p.add_argument("--log", required=True)
    p.add_argument("--banner")
    p.add_argument("--banner-file")
    p.add_argument("--header", action="append", default=[],
                   help="extra reply header line (repeatable)")
    p.add_argument("--half-close", action="store_true")
    p.add_argument("--auth", help="USER:PASS that Basic must carry (else 407)")
    p.add_argument("--then", choices=["close", "relay", "rst", "stall"], default="close",
                   help="raw: what follows the reply")
    p.add_argument("--bytewise", type=float, default=0, metavar="MS",
                   help="send replies one byte at a time, MS ms apart")
    p.add_argument("--filler-headers", type=int, default=0, metavar="N",
                   help="N short header lines after the status line")
    p.add_argument("mode", choices=["relay", "http10", "split", "coalesce", "status",
                                    "garbage", "close", "silent", "flood", "noaccept",
                                    "raw", "trickle"])
    p.add_argument("args", nargs="*")
    opts = p.parse_args()

    srv = start(opts)
    family = srv.family
    port = srv.getsockname()[1]
    open(opts.log, "a").close()

    if opts.mode == "noaccept":
        srv.listen(0)
        fillers = []
        for _ in range(3):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect((opts.bind, port))
            except BlockingIOError:
                pass
            fillers.append(s)
        time.sleep(0.2)
        write_port_file(opts.port_file, port)
        while True:
            time.sleep(3600)

    serve(srv, handle, opts)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
