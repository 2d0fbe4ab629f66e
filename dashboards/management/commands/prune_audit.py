import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboards.models import AuditEvent, BackgroundJob

UNITS = {"d": "days", "h": "hours", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([dhw])", text.strip())
    if not match:
        raise CommandError(f"--older-than takes a number and d, h or w (e.g. 90d), not {text!r}.")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


class Command(BaseCommand):
    help = "Delete audit events and ended background-job records older than the given age, e.g. --older-than 90d."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help="age such as 90d, 12w or 36h")

    def handle(self, *args, older_than, **options):
        cutoff = timezone.now() - parse_age(older_than)
        deleted, _ = AuditEvent.objects.filter(time__lt=cutoff).delete()
        jobs, _ = BackgroundJob.objects.filter(queued_at__lt=cutoff, state__in=BackgroundJob.ENDED).delete()
        self.stdout.write(
            f"Deleted {deleted} audit event(s) and {jobs} job record(s) from before {cutoff:%Y-%m-%d %H:%M}."
        )
