"""A PDF or PNG of a whole view: its title, filters and period printed above its charts.

The page is drawn by headless Chromium on this server (Debian's `chromium`, the
browser the tests drive), from a self-contained HTML file: plotly.js is read from
the portal's own static bundle and written into the page, so nothing is fetched
from any host, not even this one, and no session or cookie is handed to the browser.
The figures are the dashboard's own (`Dashboard.charts`), in the light theme,
as printed on paper.

A dashboard whose charts exist only in the browser (a plain Dash app dropped in)
is drawn for scheduled e-mails by `app_charts`: its app served alone, as
`python app.py` serves it, on 127.0.0.1 for the seconds it takes, and loaded by
the same Chromium, driven by Playwright.
"""

from __future__ import annotations

import html
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io
from django.conf import settings
from django.contrib.staticfiles import finders

from dashboards.hosting import bundles
from dashkit.look import CHART_TEMPLATES

WIDTH = 1120  # CSS pixels of the drawn page: a landscape A4 page at 96 dpi, less its margins
CHART_HEIGHT = 440
TIMEOUT = 60  # seconds Chromium may take


class SnapshotError(Exception):
    """The view could not be drawn, in words a user can read."""


@dataclass(frozen=True)
class ViewSheet:
    title: str
    lines: Sequence[tuple[str, str]]  # (label, text): filters, period, who and when
    figures: Sequence[Any]  # plotly figures or their dicts
    traces: frozenset[str]


def chromium() -> str:
    """The browser that draws: `CHROMIUM_PATH`, else Debian's `chromium` on the PATH."""
    found = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise SnapshotError("Image and PDF downloads need Chromium on the server; ask your administrator.")
    return found


def page_html(sheet: ViewSheet) -> str:
    """The HTML page Chromium draws: the header, then each chart in a fixed-size box."""
    found = finders.find(bundles.plotly_js(sheet.traces).static_path)
    if not found:
        raise SnapshotError("The chart library is missing on the server; ask your administrator.")
    plotly_js = Path(found).read_text(encoding="utf-8")
    figures = []
    for figure in sheet.figures:
        fig = go.Figure(figure)
        fig.update_layout(template=CHART_TEMPLATES["light"], width=WIDTH, height=CHART_HEIGHT)
        figures.append(json.loads(plotly.io.to_json(fig)))
    lines = "".join(
        f"<div><dt>{html.escape(label)}</dt><dd>{html.escape(text)}</dd></div>" for label, text in sheet.lines
    )
    charts = "".join(f'<div class="chart" id="chart-{i}"></div>' for i in range(len(figures)))
    data = json.dumps(figures).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(sheet.title)}</title>
<style>
  @page {{ size: A4 landscape; margin: 10mm; }}
  html, body {{ margin: 0; background: #fff; color: #142033;
    font-family: "DejaVu Sans", system-ui, sans-serif; font-size: 13px; }}
  main {{ width: {WIDTH}px; padding: 16px; }}
  h1 {{ font-size: 22px; margin: 0 0 8px; }}
  dl {{ display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 0 0 12px; }}
  dl > div {{ display: contents; }}
  dt {{ font-weight: 700; color: #3d4859; }}
  dd {{ margin: 0; }}
  .chart {{ width: {WIDTH}px; height: {CHART_HEIGHT}px; margin-bottom: 12px; break-inside: avoid;
    border: 1px solid #e3e8f0; border-radius: 8px; overflow: hidden; }}
</style></head>
<body><main><h1>{html.escape(sheet.title)}</h1><dl>{lines}</dl>{charts}</main>
<script>{plotly_js}</script>
<script>
  var figures = {data};
  figures.forEach(function (figure, i) {{
    Plotly.newPlot("chart-" + i, figure.data, figure.layout, {{ staticPlot: true, displayModeBar: false }});
  }});
</script></body></html>"""


def render(sheet: ViewSheet, *, kind: str) -> bytes:
    """The view drawn as `pdf` or `png` bytes."""
    if kind not in ("pdf", "png"):
        raise ValueError(kind)
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="dashengine-view-") as folder:
        page = Path(folder) / "view.html"
        page.write_text(page_html(sheet), encoding="utf-8")
        out = Path(folder) / f"view.{kind}"
        height = 160 + 22 * len(sheet.lines) + (CHART_HEIGHT + 14) * len(sheet.figures)
        command = [
            browser,
            *APP_CHROMIUM_ARGS,
            "--hide-scrollbars",
            f"--user-data-dir={folder}/profile",
            # plotly.js draws in script: give it (virtual) time before the page is captured.
            "--virtual-time-budget=15000",
            "--run-all-compositor-stages-before-draw",
        ]
        if kind == "pdf":
            command += [f"--print-to-pdf={out}", "--no-pdf-header-footer"]
        else:
            command += [f"--screenshot={out}", f"--window-size={WIDTH + 32},{height}"]
        command.append(page.as_uri())
        try:
            subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False, cwd=folder)
        except subprocess.TimeoutExpired:
            raise SnapshotError("Drawing the view took too long; try a shorter period.") from None
        if not out.exists() or out.stat().st_size == 0:
            raise SnapshotError("The view could not be drawn; try again in a minute.")
        return out.read_bytes()


# -- a dashboard that draws its charts only in the browser ---------------------------------

APP_WAIT = 45  # seconds an app may take to start, and then to draw its first view
# Settled: Dash's store says nothing is loading and no component waits for a callback,
# at three checks in a row (a chained callback starts between two of them).
SETTLED_JS = """() => {
    const state = window.store && window.store.getState && window.store.getState();
    const busy = !state || state.isLoading || document.querySelector('[data-dash-is-loading="true"]');
    window.__dashengineCalm = busy ? 0 : (window.__dashengineCalm || 0) + 1;
    return window.__dashengineCalm >= 3;
}"""
TITLE_JS = """graph => {
    const title = graph.layout && graph.layout.title;
    return (title && (title.text || (typeof title === "string" ? title : ""))) || "";
}"""


def app_charts(module: str, *, path: str = "") -> list[tuple[str, bytes]]:
    """PNGs of the charts a dashboard's app draws as it opens, [(title, png)] in page order:
    the app served alone by plain Dash on this machine (`dashboards.hosting.alone`),
    loaded by headless Chromium driven by Playwright, each chart captured as drawn.
    For a plain Dash app dropped in, whose charts exist only in the browser. Raises
    SnapshotError."""
    # Playwright's sync API refuses a thread that runs an event loop: a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_app_charts, module, path).result()


def _app_charts(module: str, path: str) -> list[tuple[str, bytes]]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "dashboards.hosting.alone", module, str(port)],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # stopped with what it started
    )
    try:
        url = f"http://127.0.0.1:{port}{_base_path(server)}"
        _wait_until_serving(url, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=APP_CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                page.goto(url + path.lstrip("/"), timeout=APP_WAIT * 1000)
                page.wait_for_function(SETTLED_JS, timeout=APP_WAIT * 1000, polling=200)
                charts = []
                for number, graph in enumerate(page.locator(".js-plotly-plot").all(), start=1):
                    title = graph.evaluate(TITLE_JS) or f"Chart {number}"
                    charts.append((title, graph.screenshot(animations="disabled")))
                return charts
            except PlaywrightError as error:
                raise SnapshotError(
                    f"The dashboard could not be drawn: {error.message.splitlines()[0]}"
                ) from None
            finally:
                browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


APP_CHROMIUM_ARGS = [  # also the command line of `render`
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _base_path(server: subprocess.Popen) -> str:
    """The path the app answers at, as `dashboards.hosting.alone` says first."""
    ready, _, _ = select.select([server.stdout], [], [], APP_WAIT)
    line = server.stdout.readline().strip() if ready else ""
    if not line.startswith("/"):
        raise SnapshotError("The dashboard's app did not start; ask its author.")
    # What the app prints later is read and dropped, so that it never waits on a full pipe.
    threading.Thread(target=server.stdout.read, daemon=True).start()
    return line


def _wait_until_serving(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + APP_WAIT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SnapshotError("The dashboard's app stopped as it started; ask its author.")
        try:
            urllib.request.urlopen(url + "_dash-dependencies", timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise SnapshotError("The dashboard's app took too long to start.")
