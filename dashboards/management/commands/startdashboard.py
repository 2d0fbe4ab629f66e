import json
import re
from pathlib import Path
from string import Template

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboards import registry

SCAFFOLD = Path(__file__).resolve().parents[2] / "scaffold"
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


class Command(BaseCommand):
    help = (
        "Write a working dashboard: dashboards/catalogue/<name>.py, its standalone "
        "examples/<name>.py and tests/test_<name>.py. Nothing else needs editing."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="module name, lower case with underscores, e.g. sales_pipeline")
        parser.add_argument("--title", help="title in the gallery (default: from the name)")
        parser.add_argument(
            "--description", default="Orders per day by region: a starting point to make your own."
        )
        parser.add_argument("--category", default="General")
        parser.add_argument(
            "--root", type=Path, default=settings.BASE_DIR, help="project folder (default: this one)"
        )

    def handle(self, *args, name, title, description, category, root, **options):
        if not NAME_RE.match(name):
            raise CommandError(
                f"{name!r} is not a module name: use lower case letters, digits and underscores."
            )
        slug = name.replace("_", "-")
        if registry.get(slug) is not None:
            raise CommandError(f"A dashboard {slug!r} exists already.")
        title = title or name.replace("_", " ").capitalize()
        targets = {
            "dashboard.py-tpl": root / "dashboards" / "catalogue" / f"{name}.py",
            "example.py-tpl": root / "examples" / f"{name}.py",
            "test.py-tpl": root / "tests" / f"test_{name}.py",
        }
        existing = [str(path) for path in targets.values() if path.exists()]
        if existing:
            raise CommandError(f"Not overwriting {', '.join(existing)}.")
        values = {
            "module": name,
            "slug": slug,
            "title": title,
            "description": description,
            "title_py": json.dumps(title, ensure_ascii=False),
            "description_py": json.dumps(description, ensure_ascii=False),
            "category_py": json.dumps(category, ensure_ascii=False),
        }
        for template, path in targets.items():
            path.write_text(Template((SCAFFOLD / template).read_text()).substitute(values))
            self.stdout.write(f"Wrote {path.relative_to(root)}")
        self.stdout.write(
            self.style.SUCCESS(f"Dashboard {slug!r} is ready.")
            + "\nNext:\n"
            + f"  python examples/{name}.py --debug          # work on it alone, http://127.0.0.1:8050\n"
            + f"  python -m pytest tests/test_{name}.py        # its tests\n"
            + f"  python manage.py grant_dashboard {slug} --group Sales   # who may open it\n"
            + "  make run                                    # see it in the portal\n"
        )
