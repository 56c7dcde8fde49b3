"""``manage.py results_worker [--heartbeat-file PATH]``: the deployment's results worker (``results.worker``).

Runs until SIGTERM or SIGINT. Start one or more beside the app nodes: one holds the lead and recounts, the others stand
by and take over within seconds when it dies. Prints ``active`` or ``standing by`` each time its role changes.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from results.worker import ResultsWorker, leader_lock, worker_mode


class Command(BaseCommand):
    help = "Recount and broadcast results after the app nodes' commits (one active per deployment, others stand by)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--heartbeat-file",
            type=Path,
            metavar="PATH",
            help="touch this file on every turn of the loop (about once a second), for a health check",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mode = worker_mode()
        if mode != "process":
            where = "the embedded server runs its worker in its own process" if mode == "background" else "inline"
            raise CommandError(
                f"RESULTS_WORKER is {settings.RESULTS_WORKER!r}: the app processes recount themselves ({where}). "
                "Set RESULTS_WORKER=process (it needs REDIS_URL) on the app nodes and here."
            )
        stop = threading.Event()

        def stop_on(_signal: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, stop_on)
        signal.signal(signal.SIGINT, stop_on)

        def announce(state: str) -> None:
            self.stdout.write(state)
            self.stdout.flush()

        ResultsWorker(lock=leader_lock(), announce=announce, heartbeat=options["heartbeat_file"]).run(stop)
