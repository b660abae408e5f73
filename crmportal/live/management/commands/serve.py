"""`manage.py serve`: the portal's HTTP and WebSocket server, in one or several daphne
processes that share one listening socket (the kernel hands each connection to one of them).

One daphne process runs Python on one core at a time. Several are worth it only in the
scale-out shape (REDIS_URL, LIVE_RELAY=external): there the relay is `manage.py relay` and
every process meets it in the Redis channel layer. With the embedded relay the channel layer
is in-memory, per process, so a second process would start a second relay and its live pages
would never hear the first one's: `serve` refuses more than one process there.

SIGTERM or Ctrl-C stops every process. When one process dies the others are stopped too and
`serve` exits with an error, so the container (or supervisor) restarts the whole set.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

BACKLOG = 1024


def process_count(asked: int) -> int:
    """`asked` processes; 0 means one per core in the scale-out shape and one otherwise."""
    if asked < 0:
        raise CommandError("--processes takes 0 (automatic) or a positive number")
    embedded = settings.LIVE_RELAY == "embedded"
    if asked == 0:
        return 1 if embedded else max(1, os.cpu_count() or 1)
    if asked > 1 and embedded:
        raise CommandError(
            f"{asked} processes need the scale-out shape (REDIS_URL set, LIVE_RELAY=external): "
            "with the embedded relay each process would run its own relay and in-memory "
            "channel layer, and live pages would miss updates. Run one process, or set REDIS_URL."
        )
    return asked


def daphne_command(fd: int) -> list[str]:
    """One daphne process on the inherited socket. Never --proxy-headers: that option believes
    X-Forwarded-For from every peer (crmportal/proxies.py decides whom to believe)."""
    return [sys.executable, "-m", "daphne", "--fd", str(fd), "crmportal.asgi:application"]


class Command(BaseCommand):
    help = "Serve the portal with daphne: one process, or several sharing one socket."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1", help="IPv4 address to listen on")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--processes", type=int, default=settings.PORTAL_PROCESSES,
                            help="daphne processes (default PORTAL_PROCESSES; 0: automatic)")

    def handle(self, *args, bind: str, port: int, processes: int, **options):
        count = process_count(processes)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((bind, port))
        except OSError as error:
            raise CommandError(f"cannot listen on {bind}:{port}: {error.strerror}") from None
        listener.listen(BACKLOG)
        fd = listener.fileno()
        children = [subprocess.Popen(daphne_command(fd), pass_fds=(fd,)) for _ in range(count)]
        listener.close()  # the children hold it now
        stopping = False

        def stop(signum=None, frame=None) -> None:
            nonlocal stopping
            stopping = stopping or signum is not None
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Serving http://{bind}:{port}/ with {count} daphne "
                          f"process{'es' if count > 1 else ''} ({settings.LIVE_RELAY} relay)")
        self.stdout.flush()
        # Polled, not os.wait(): reaping a child behind Popen's back would lose its exit code,
        # and the signal handlers above run between the sleeps.
        while all(child.poll() is None for child in children):
            time.sleep(0.2)
        ended = next(child for child in children if child.returncode is not None)
        stop()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if not stopping:
            raise CommandError(f"daphne process {ended.pid} ended (exit {ended.returncode}); "
                               "stopped the others")
