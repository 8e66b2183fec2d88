#!/usr/bin/env python3
"""Target servers for egress's tests (Python 3 stdlib only).

usage: target.py --port-file F [--log F] [--bind ADDR | --bind-name NAME] [--port N]
                 MODE [ARGS...]

Listens on 127.0.0.1 (or --bind, e.g. ::1, or on every address of --bind-name, e.g.
localhost, for a name some other program resolves), writes the port to the port file once
listening, serves each connection in its own thread.  The log (if given) gets
"accept HOST:PORT" per connection and "client-eof BYTES" when a client's EOF
(close or half-close) is seen, where the mode reads until EOF.

Modes:
  source FILE      send FILE, then close (half-close, wait for the client, close)
  sink N           read exactly N bytes, reply with their sha256 hex and "\\n", close
  echo             echo until the client's EOF, then close (needs a half-close)
  echo-n N         echo exactly N bytes back, then close
  banner TEXT      send TEXT, then echo until EOF
  hold             accept, send nothing, read and discard until EOF
  reset [N]        read at least N bytes (default 1), then close with a RST
  late TEXT [SECS] read a line, wait SECS (default 0.5), send TEXT, close

TEXT arguments understand backslash escapes (\\r, \\n, \\x00...).
The process exits on its own after --lifetime seconds or when its parent dies.
"""

import argparse
import hashlib
import socket
import sys
import time

from loopserve import add_common_args, finish, log, serve, start, unescape

def read_until_eof(conn, opts, echo=False):
    total = 0
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            total += len(data)
            if echo:
                conn.sendall(data)
    except OSError as e:
        log(opts.log, "client-error %s" % e.__class__.__name__)
        return total
    log(opts.log, "client-eof %d" % total)
    return total


def handle(conn, peer, opts):
    log(opts.log, "accept %s:%d" % (peer[0], peer[1]))
    mode, args = opts.mode, opts.args
    try:
        if mode == "source":
            with open(args[0], "rb") as f:
                conn.sendfile(f)
            finish(conn)
        elif mode == "sink":
            want = int(args[0])
            digest = hashlib.sha256()
            got = 0
            while got < want:
                data = conn.recv(min(65536, want - got))
                if not data:
                    break
                digest.update(data)
                got += len(data)
            if got == want:
                conn.sendall(digest.hexdigest().encode() + b"\n")
            else:
                conn.sendall(b"short %d\n" % got)
            finish(conn)
        elif mode == "echo":
            read_until_eof(conn, opts, echo=True)
            conn.close()
        elif mode == "echo-n":
            want = int(args[0])
            got = 0
            while got < want:
                data = conn.recv(min(65536, want - got))
                if not data:
                    break
                conn.sendall(data)
                got += len(data)
            finish(conn)
        elif mode == "banner":
            conn.sendall(unescape(args[0]))
            read_until_eof(conn, opts, echo=True)
            conn.close()
        elif mode == "hold":
            read_until_eof(conn, opts)
            conn.close()
        elif mode == "reset":
            want = int(args[0]) if args else 1
            got = 0
            while got < want:
                data = conn.recv(65536)
                if not data:
                    break
                got += len(data)
            time.sleep(0.1)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()
            log(opts.log, "reset-sent %d" % got)
        elif mode == "late":
            delay = float(args[1]) if len(args) > 1 else 0.5
            buf = b""
            while b"\n" not in buf:
                data = conn.recv(4096)
                if not data:
                    log(opts.log, "client-eof %d" % len(buf))
                    break
                buf += data
            time.sleep(delay)
            conn.sendall(unescape(args[0]))
            log(opts.log, "late-reply-sent")
            finish(conn)
    except OSError as e:
        log(opts.log, "error %s" % e)
        try:
            conn.close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(p)
    p.add_argument("--log")
    p.add_argument("mode", choices=["source", "sink", "echo", "echo-n", "banner", "hold",
                                    "reset", "late"])
    p.add_argument("args", nargs="*")
    opts = p.parse_args()

    srv = start(opts)
    if opts.log:
        open(opts.log, "a").close()
    serve(srv, handle, opts)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
