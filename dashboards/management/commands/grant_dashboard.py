from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from dashboards.models import Dashboard
from dashboards.services import dashboard_open_to_all_set, dashboards_sync, grant_add, grant_remove


class Command(BaseCommand):
    help = "Grant (or with --revoke, take back) a dashboard to a group, a user or every signed-in user."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--group", help="group (role) name")
        target.add_argument("--user", help="username")
        target.add_argument("--everyone", action="store_true", help="every signed-in user")
        parser.add_argument("--revoke", action="store_true", help="take the grant back")

    def handle(self, *args, slug, group, user, everyone, revoke, **options):
        dashboards_sync()
        try:
            dashboard = Dashboard.objects.get(slug=slug)
        except Dashboard.DoesNotExist:
            known = ", ".join(Dashboard.objects.values_list("slug", flat=True))
            raise CommandError(f"No dashboard {slug!r}. Known: {known}.") from None
        if everyone:
            dashboard_open_to_all_set(dashboard=dashboard, value=not revoke)
            target = "every signed-in user"
        elif group:
            try:
                found = {"group": Group.objects.get(name=group)}
            except Group.DoesNotExist:
                raise CommandError(f"No group {group!r}.") from None
            target = f"group {group}"
        else:
            try:
                found = {"user": get_user_model().objects.get(username=user)}
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user {user!r}.") from None
            target = f"user {user}"
        if not everyone:
            if revoke and not grant_remove(dashboard=dashboard, **found):
                self.stdout.write(f"{dashboard.slug} was not granted to {target}; nothing changed.")
                return
            if not revoke:
                grant_add(dashboard=dashboard, **found)
        verb = "Revoked" if revoke else "Granted"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {dashboard.slug} {'from' if revoke else 'to'} {target}.")
        )
