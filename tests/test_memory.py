"""Opening a dashboard costs a worker memory once, not every time (bench/memory.py measures how much).

What a dashboard's first opening keeps (its rewritten app page, Dash's and Flask's
first-request state) is kept once. Later openings of every dashboard keep nothing
more: no allocation site of the portal, the kit, Dash, Flask or werkzeug holds more
memory after each round than after the one before.
"""

from __future__ import annotations

import gc
import json
import linecache
import re
import tracemalloc
from pathlib import Path

import dash
import django_plotly_dash
import flask
import pytest
import werkzeug

import dashboards
import dashboards.hosting
import dashkit
from dashboards import registry
from tests.dash_requests import callback_body, layout_values, server_callbacks

IFRAME = re.compile(r'<iframe id="dash-app"[^>]*\ssrc="([^"]+)"')
# Where the memory a dashboard request keeps could be kept: the portal (its catalogue
# modules' own code aside), the kit, and the Dash stack each app runs on. Not counted:
# the pieces of a memoised answer, made where the kit unpickles it: they are the
# dashboard's data, which pandas and plotly may hold on to for a while (a few KB,
# less each round); the store of answers itself is bounded (MEMO_LOCAL_MAX_BYTES).
WATCHED = (
    *(str(Path(m.__file__).parent) + "/" for m in (dashboards.hosting, dashkit, dash, flask, werkzeug)),
    str(Path(django_plotly_dash.__file__).parent) + "/",
    *(str(path) for path in Path(dashboards.__file__).parent.glob("*.py")),
)
ROUNDS = 3


def open_dashboard(client, slug: str) -> None:
    """What a browser asks for when it opens the dashboard: its page, the app page its
    iframe names, the layout, the dependencies and every callback the layout can send."""
    page = client.get(f"/dashboards/{slug}/")
    assert page.status_code == 200, slug
    app = IFRAME.search(page.content.decode())[1].replace("&amp;", "&")
    assert client.get(app).status_code == 200
    values = layout_values(json.loads(client.get(app + "_dash-layout").content))
    fired = 0
    for dependency in server_callbacks(json.loads(client.get(app + "_dash-dependencies").content)):
        try:
            body = callback_body(dependency, values)
        except KeyError:  # an input the first layout does not have
            continue
        answer = client.post(
            app + "_dash-update-component",
            json.dumps(body),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        )
        assert answer.status_code in (200, 204), (slug, answer.content[:300])
        fired += 1
    assert fired, slug


def kept_by_watched_sites() -> dict[str, int]:
    """Bytes held, by the line of watched code that allocated them (the innermost frame)."""
    gc.collect()  # what only a cycle keeps is not held
    snapshot = tracemalloc.take_snapshot()
    held: dict[str, int] = {}
    for stat in snapshot.statistics("lineno"):
        frame = stat.traceback[0]
        if frame.filename.startswith(WATCHED) and "pickle.loads" not in linecache.getline(
            frame.filename, frame.lineno
        ):
            key = f"{frame.filename}:{frame.lineno}"
            held[key] = held.get(key, 0) + stat.size
    return held


@pytest.mark.django_db
def test_opening_every_dashboard_again_keeps_no_more_memory(client, superuser):
    client.force_login(superuser)
    slugs = [dashboard.slug for dashboard in registry.all_dashboards()]
    assert len(slugs) >= 5
    for _ in range(2):  # the first opening's one-time costs, and what settles after it
        for slug in slugs:
            open_dashboard(client, slug)
    tracemalloc.start(1)
    try:
        rounds = [kept_by_watched_sites()]
        for _ in range(ROUNDS):
            for slug in slugs:
                open_dashboard(client, slug)
            rounds.append(kept_by_watched_sites())
    finally:
        tracemalloc.stop()
    growing = {
        site: [
            after.get(site, 0) - before.get(site, 0)
            for before, after in zip(rounds, rounds[1:], strict=False)
        ]
        for site in rounds[-1]
    }
    # A site that keeps something on every round keeps it for every dashboard opened, forever.
    assert {site: growth for site, growth in growing.items() if all(g > 0 for g in growth)} == {}
