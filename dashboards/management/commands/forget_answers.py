from django.core.management.base import BaseCommand, CommandError

from dashboards import registry
from dashboards.hosting.answers import answers_forget


class Command(BaseCommand):
    help = "Forget the shared callback answers of dashboards whose data changed (a new data file, say)."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="Dashboards to forget (default: every one).")

    def handle(self, *args, slugs, **options):
        known = [d.slug for d in registry.all_dashboards()]
        unknown = sorted(set(slugs) - set(known))
        if unknown:
            raise CommandError(f"No such dashboard: {', '.join(unknown)}. Known: {', '.join(known)}.")
        for slug in slugs or known:
            answers_forget(dashboard=slug)
            self.stdout.write(f"Forgot the shared answers of {slug}.")
