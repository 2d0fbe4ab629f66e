from django.core.management.base import BaseCommand

from dashboards.models import Report
from dashboards.services import report_trash_prune


class Command(BaseCommand):
    help = f"Delete for good the reports that have been in their owner's trash for over {Report.TRASH_DAYS} days."

    def handle(self, *args, **options):
        removed = report_trash_prune()
        self.stdout.write(f"Deleted {removed} report(s) from the trash (kept {Report.TRASH_DAYS} days).")
