"""What the test servers (fakeproxy.py, target.py) share: options, a loopback
listener that reports its port through a file, a log, and a bounded life."""

import os
import socket
import threading
import time

LOG_LOCK = threading.Lock()


def unescape(text):
    """Command-line text with \\r, \\n, \\xNN escapes as bytes."""
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1")


def log(path, lines):
    """Append a line, or a list of lines, to the log at path (none: no log)."""
    if not path:
        return
    if isinstance(lines, str):
        lines = [lines]
    with LOG_LOCK:
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as f:
            for line in lines:
                f.write(line + "\n")


def write_port_file(path, port):
    """Atomically, so that a reader never sees a half-written port."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def drain(conn, timeout):
    """Read and drop until the peer goes away or timeout passes, then close."""
    conn.settimeout(timeout)
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass
    conn.close()


def finish(conn, timeout=10.0):
    """Half-close our side, then drain (bounded)."""
    try:
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    drain(conn, timeout)


def add_common_args(parser):
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--lifetime", type=float, default=900.0)


def _watchdog(deadline, ppid):
    while True:
        if time.monotonic() > deadline or os.getppid() != ppid:
            os._exit(0)
        time.sleep(0.2)


def start(opts):
    """Exits the process after --lifetime or when its parent dies (a killed test
    run leaves nothing behind); returns the bound, not yet listening, socket."""
    threading.Thread(target=_watchdog, args=(time.monotonic() + opts.lifetime, os.getppid()),
                     daemon=True).start()
    family = socket.AF_INET6 if ":" in opts.bind else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((opts.bind, opts.port))
    return srv


def serve(srv, handle, opts):
    """Listens, reports the port, and runs handle(conn, peer, opts) per connection."""
    srv.listen(128)
    write_port_file(opts.port_file, srv.getsockname()[1])
    while True:
        conn, peer = srv.accept()
        threading.Thread(target=handle, args=(conn, peer[:2], opts), daemon=True).start()
