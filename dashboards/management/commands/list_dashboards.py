from django.core.management.base import BaseCommand

from dashboards.models import Dashboard
from dashboards.services import dashboards_sync


class Command(BaseCommand):
    help = "List the dashboards with availability and grants."

    def handle(self, *args, **options):
        dashboards_sync()
        rows = Dashboard.objects.prefetch_related("grants__group", "grants__user").order_by("slug")
        self.stdout.write(f"{'slug':<20} {'title':<28} {'status':<12} grants")
        for row in rows:
            grants = ["everyone"] if row.open_to_all else []
            grants += sorted(
                f"group:{g.group.name}" if g.group_id else f"user:{g.user.get_username()}"
                for g in row.grants.all()
            )
            status = "available" if row.available else "unavailable"
            self.stdout.write(f"{row.slug:<20} {row.title[:28]:<28} {status:<12} {', '.join(grants) or '-'}")
