import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from dashboards.live import live_point_publish
from dashkit.spec import ParamError


class Command(BaseCommand):
    help = (
        "Publish a point to a live dashboard: every open page shows it without reloading. "
        "With --every, keep publishing a random walk from VALUE (a demo producer; Ctrl-C stops it). "
        "Exits 0 once the point is stored, even when Redis does not answer (open pages then read it "
        "at their next poll); with --id, publishing again stores nothing new, so a retry is safe."
    )

    def add_arguments(self, parser):
        parser.add_argument("series", help="series name, e.g. signups")
        parser.add_argument("value", type=float)
        parser.add_argument("--dashboard", default="timeseries", help="slug of a live dashboard")
        parser.add_argument(
            "--id",
            dest="client_id",
            default="",
            metavar="ID",
            help="your own name for this point, e.g. a message id: publishing the same ID again stores nothing",
        )
        parser.add_argument("--every", type=float, metavar="SECONDS", help="publish again every SECONDS")
        parser.add_argument(
            "--count", type=int, default=0, help="with --every: stop after this many (0: never)"
        )

    def handle(self, *args, series, value, dashboard, client_id, every, count, **options):
        if every is not None and every <= 0:
            raise CommandError("--every must be more than 0 seconds.")
        if every is not None and client_id:
            raise CommandError("--id names one point: it cannot be given with --every.")
        sent = 0
        while True:
            try:
                published = live_point_publish(
                    dashboard=dashboard, series=series, value=value, client_id=client_id
                )
            except ParamError as error:
                raise CommandError(str(error)) from None
            except DatabaseError as error:
                # Exit 1 only here: the point may not be stored. A retry with the same
                # --id never stores it twice.
                raise CommandError(
                    f"Not published: the database failed ({error.__class__.__name__}: {error}). "
                    "Publish it again."
                ) from None
            sent += 1
            point = published.point
            if not published.stored:
                self.stdout.write(f"Already published as {client_id!r}: {point}. Nothing new stored.")
            elif published.pushed is False:
                self.stdout.write(
                    f"Published {point}: stored; open pages get it at their next poll "
                    "(the live feed's Redis did not answer)."
                )
            else:
                self.stdout.write(f"Published {point}.")
            if every is None or sent == count:
                return
            time.sleep(every)
            value = round(value * random.gauss(1, 0.03), 2)
