import random
import time

from django.core.management.base import BaseCommand, CommandError

from dashboards.live import live_point_publish
from dashkit.spec import ParamError


class Command(BaseCommand):
    help = (
        "Publish a point to a live dashboard: every open page shows it without reloading. "
        "With --every, keep publishing a random walk from VALUE (a demo producer; Ctrl-C stops it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("series", help="series name, e.g. signups")
        parser.add_argument("value", type=float)
        parser.add_argument("--dashboard", default="timeseries", help="slug of a live dashboard")
        parser.add_argument("--every", type=float, metavar="SECONDS", help="publish again every SECONDS")
        parser.add_argument(
            "--count", type=int, default=0, help="with --every: stop after this many (0: never)"
        )

    def handle(self, *args, series, value, dashboard, every, count, **options):
        if every is not None and every <= 0:
            raise CommandError("--every must be more than 0 seconds.")
        sent = 0
        while True:
            try:
                point = live_point_publish(dashboard=dashboard, series=series, value=value)
            except ParamError as error:
                raise CommandError(str(error)) from None
            sent += 1
            self.stdout.write(f"Published {point}.")
            if every is None or sent == count:
                return
            time.sleep(every)
            value = round(value * random.gauss(1, 0.03), 2)
