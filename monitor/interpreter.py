"""A fresh Python interpreter talking to its parent over a socket pair.

Why not multiprocessing: its spawn start method re-imports the caller's `__main__` (and
fails in scripts without a `__name__ == "__main__"` guard), fork copies a multi-threaded
daemon, and forkserver keeps a server process plus a resource tracker alive for good, each
holding whatever it imported. A plain `python -c` child imports only what its job needs
and leaves nothing behind when it exits.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path

PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])


def start(code: str) -> tuple[subprocess.Popen[bytes], Connection]:
    """Run `code` in a new interpreter; it finds its end of the pair's fd in `sys.argv[1]`."""
    ours, theirs = socket.socketpair()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p),
    }
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", code, str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return process, Connection(ours.detach())
