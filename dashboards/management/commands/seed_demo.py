"""Demo groups and users, so a fresh machine has someone to log in as."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dashboards.models import Dashboard
from dashboards.services import dashboards_sync, grant_add

GROUPS = ("Sales", "Marketing", "Analysts")
# username -> (groups, is_staff, is_superuser)
USERS = {
    "admin": ((), True, True),
    "analyst": (("Analysts",), False, False),
    "sales": (("Sales",), False, False),
    "marketing": (("Marketing",), False, False),
    "viewer": ((), False, False),
}
# dashboard slug -> groups granted; `viewer` gets nothing, so the roles differ:
# sales sees markets and the funnel, marketing the funnel, experiments and
# metrics, analysts everything.
GRANTS = {
    "stocktoday": ("Sales", "Analysts"),
    "publicapi": ("Sales", "Analysts"),
    "funnel": ("Sales", "Marketing", "Analysts"),
    "abtest": ("Marketing", "Analysts"),
    "timeseries": ("Marketing", "Analysts"),
}


class Command(BaseCommand):
    help = "Create the demo groups and users (idempotent). Password from DEMO_PASSWORD."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with debug off.")
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the existing demo users the password again (DEMO_PASSWORD, or a new one printed once).",
        )

    @transaction.atomic
    def handle(self, *args, force: bool = False, reset_passwords: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Debug is off: this looks like production. Use --force to seed anyway.")
        password = settings.DEMO_PASSWORD
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)

        groups = {name: Group.objects.get_or_create(name=name)[0] for name in GROUPS}
        User = get_user_model()
        created = []
        for username, (group_names, is_staff, is_superuser) in USERS.items():
            user, was_created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@example.com",
                    "is_staff": is_staff,
                    "is_superuser": is_superuser,
                },
            )
            if was_created or reset_passwords:
                user.set_password(password)
                user.save(update_fields=["password"])
                created.append(username)
            user.groups.set([groups[name] for name in group_names])

        dashboards_sync()
        for slug, group_names in GRANTS.items():
            dashboard = Dashboard.objects.filter(slug=slug).first()
            for name in group_names if dashboard else ():
                grant_add(dashboard=dashboard, group=groups[name])
        # Listed under "More dashboards", so that each role sees what it could ask for.
        Dashboard.objects.filter(slug__in=GRANTS).update(discoverable=True)

        if created or reset_passwords:
            names = ", ".join(USERS if reset_passwords else created)
            self.stdout.write(f"New password for: {names}" if reset_passwords else f"Created users: {names}")
            if generated:
                self.stdout.write(self.style.WARNING(f"Demo password (shown once): {password}"))
        else:
            self.stdout.write(
                "Demo users already exist; their passwords are unchanged (a new one: make demo-password)."
            )
