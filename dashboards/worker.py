"""`celery -A dashboards.worker worker`: the background jobs of every catalogue app.

Web and workers must load the same catalogue (DASHBOARD_PACKAGES and code): a task's
name comes from its module and its source.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashengine_site.settings")

import django  # noqa: E402

django.setup()

from dashboards import jobs, registry  # noqa: E402

app = jobs.worker_app(catalogue=registry.catalogue())
