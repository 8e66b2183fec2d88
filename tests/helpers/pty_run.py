#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal, as a person at a terminal would, to test
prompts on /dev/tty (Python 3 stdlib only).

usage: pty_run.py --transcript FILE [--expect TEXT] [--answer TEXT | --interrupt]
                  [--timeout SECS] -- COMMAND [ARGS...]

COMMAND runs in a new session whose controlling terminal is the pty; its stdin,
stdout and stderr are this script's own (the caller redirects them), so only what
COMMAND writes to /dev/tty shows on the terminal.  Once the terminal shows TEXT,
ANSWER and a newline are typed (or Ctrl-C, with --interrupt).  Everything the
terminal showed goes to FILE, then a last line "echo on" or "echo off": the
terminal's ECHO flag after COMMAND ended.  Exits with COMMAND's status (128+N for
signal N), or 124 when it outlived SECS (default 20) and was killed.
"""

import argparse
import os
import select
import signal
import sys
import termios
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--transcript", required=True)
    p.add_argument("--expect", default="")
    p.add_argument("--answer")
    p.add_argument("--interrupt", action="store_true")
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("command", nargs=argparse.REMAINDER)
    opts = p.parse_args()
    command = opts.command[1:] if opts.command[:1] == ["--"] else opts.command
    if not command:
        p.error("no command")

    master, slave = os.openpty()
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        import fcntl
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        os.close(slave)
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)

    shown = b""
    typed = False
    deadline = time.monotonic() + opts.timeout
    status = None
    while status is None:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = 124
            break
        ready, _, _ = select.select([master], [], [], min(left, 0.05))
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:
                data = b""
            shown += data
        if not typed and opts.expect.encode() in shown and (opts.answer is not None or opts.interrupt):
            os.write(master, b"\x03" if opts.interrupt else opts.answer.encode() + b"\n")
            typed = True
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            # What the command wrote last may still be in the pty.
            while select.select([master], [], [], 0.05)[0]:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    break
                if not data:
                    break
                shown += data
            status = os.waitstatus_to_exitcode(st)
            if status < 0:
                status = 128 - status
    echo = termios.tcgetattr(slave)[3] & termios.ECHO
    with open(opts.transcript, "wb") as f:
        f.write(shown + b"\necho " + (b"on" if echo else b"off") + b"\n")
    sys.exit(status)


if __name__ == "__main__":
    main()
