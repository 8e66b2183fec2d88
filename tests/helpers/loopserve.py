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
    parser.add_argument("--bind-name", metavar="NAME",
                        help="listen on every address NAME resolves to (one port)")
    parser.add_argument("--lifetime", type=float, default=900.0)


def _watchdog(deadline, ppid):
    while True:
        if time.monotonic() > deadline or os.getppid() != ppid:
            os._exit(0)
        time.sleep(0.2)


def _bound(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        s.bind((addr, port))
    except OSError:
        s.close()
        raise
    return s


def _name_addrs(name):
    """Every address NAME has, in the resolver's order, each once."""
    addrs = []
    for *_, sa in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM):
        if sa[0] not in addrs:
            addrs.append(sa[0])
    return addrs


def start(opts):
    """Exits the process after --lifetime or when its parent dies (a killed test
    run leaves nothing behind); returns the bound, not yet listening, socket.
    With --bind-name, the sockets for the name's other addresses, bound to the
    same port, wait in opts.also for serve()."""
    threading.Thread(target=_watchdog, args=(time.monotonic() + opts.lifetime, os.getppid()),
                     daemon=True).start()
    opts.also = []
    if not opts.bind_name:
        return _bound(opts.bind, opts.port)
    addrs = _name_addrs(opts.bind_name)
    for _ in range(10):  # another process may hold the port on a later address
        srv = _bound(addrs[0], opts.port)
        port = srv.getsockname()[1]
        try:
            opts.also = [_bound(a, port) for a in addrs[1:]]
            return srv
        except OSError:
            srv.close()
            if opts.port:
                raise
    raise OSError("no port free on every address of %s" % opts.bind_name)


def _accept_loop(srv, handle, opts):
    while True:
        conn, peer = srv.accept()
        threading.Thread(target=handle, args=(conn, peer[:2], opts), daemon=True).start()


def serve(srv, handle, opts):
    """Listens, reports the port, and runs handle(conn, peer, opts) per connection."""
    for s in [srv] + opts.also:
        s.listen(128)
    for s in opts.also:
        threading.Thread(target=_accept_loop, args=(s, handle, opts), daemon=True).start()
    write_port_file(opts.port_file, srv.getsockname()[1])
    _accept_loop(srv, handle, opts)
