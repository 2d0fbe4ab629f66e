import logging
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from dashboards.deliveries import send_due_reports, summary


class Command(BaseCommand):
    help = (
        "Send the scheduled reports that are due (for cron; safe to run on several machines at once). "
        "With --every N, keep doing it every N seconds (what `make run` does)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="seconds between runs; 0: once")

    def handle(self, *args, every: float, **options):
        while True:
            try:
                counts = send_due_reports()
            except DatabaseError as error:
                if not every:
                    raise
                # A busy or restarting database: the next run tries again; nothing is lost,
                # since what is due stays due until it is claimed.
                logging.getLogger(__name__).warning("Scheduled reports not sent this time: %s", error)
                close_old_connections()
                time.sleep(every)
                continue
            if (
                counts["claimed"]
                or any(counts[k] for k in ("sent", "skipped", "retry", "failed"))
                or not every
            ):
                self.stdout.write(summary(counts))
            if not every:
                return
            time.sleep(every)
