"""The gallery in a real browser: search as you type, stars, the first screen, the card as one link."""

import re

import pytest
from playwright.sync_api import expect

from dashboards.models import AccessRequest, AuditEvent, Dashboard, Favourite
from dashboards.services import audit_record

pytestmark = pytest.mark.browser

SHOWN_CARDS = "#gallery-stars .card-item:not([hidden])"


def shown_slugs(page) -> list[str]:
    return [
        i.removeprefix("card-") for i in page.locator(SHOWN_CARDS).evaluate_all("els => els.map(e => e.id)")
    ]


def test_search_as_you_type_forgives_a_typo_without_asking_the_server(visit, live_cast):
    page = visit.page
    visit.sign_in("admin")
    visit.goto("/")
    expect(page.locator(SHOWN_CARDS)).to_have_count(5)
    asked = []
    page.on("request", lambda request: asked.append(request.url))

    page.locator("#gallery-q").press_sequentially("stok", delay=40)
    expect(page.locator(SHOWN_CARDS)).to_have_count(1)
    assert shown_slugs(page) == ["stocktoday"]
    expect(page.locator("#gallery-count")).to_have_text("1 dashboard found")
    expect(page).to_have_url(re.compile(r"/\?q=stok$"))  # a reload shows the same

    page.locator("#gallery-q").fill("funel conversion")
    expect(page.locator("#card-funnel")).to_be_visible()
    expect(page.locator(SHOWN_CARDS)).to_have_count(1)
    assert shown_slugs(page) == ["funnel"]

    page.locator("#gallery-q").fill("weather")
    expect(page.locator(SHOWN_CARDS)).to_have_count(0)
    expect(page.locator("#gallery-empty")).to_be_visible()
    expect(page.locator("#gallery-empty h3")).to_have_text("None of your dashboards match “weather”")

    page.locator("#gallery-q").fill("")
    expect(page.locator(SHOWN_CARDS)).to_have_count(5)
    expect(page.locator("#gallery-empty")).to_be_hidden()
    page.locator("#gallery-q").press("Enter")  # nothing to send: the cards already follow
    assert [url for url in asked if "/static/" not in url] == []
    assert visit.console_errors == []


def test_a_search_in_the_address_is_narrowed_and_widened_as_you_type(visit, live_cast):
    page = visit.page
    visit.sign_in("admin")
    visit.goto("/?q=stok")  # as the form without script, or a shared link, opens it
    expect(page.locator(SHOWN_CARDS)).to_have_count(1)
    page.locator("#gallery-q").fill("time series")
    expect(page.locator(SHOWN_CARDS)).to_have_count(3)
    assert sorted(shown_slugs(page)) == ["publicapi", "stocktoday", "timeseries"]


def test_a_star_saves_without_a_reload_and_puts_the_dashboard_first(visit, live_cast):
    page = visit.page
    visit.sign_in("admin")
    visit.goto("/")
    page.evaluate("window.notReloaded = true")
    star = page.locator("#card-timeseries .star")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(page.locator("#gallery-announce")).to_have_text("Business Metrics added to favourites.")
    expect(star).to_have_attribute("aria-pressed", "true")
    assert list(Favourite.objects.values_list("dashboard__slug", flat=True)) == ["timeseries"]
    assert page.evaluate("window.notReloaded") is True

    visit.goto("/")
    assert page.locator("#favourites .card-item").evaluate_all("els => els.map(e => e.id)") == [
        "card-timeseries"
    ]
    page.locator("#card-timeseries .star").click()
    expect(page.locator("#gallery-announce")).to_have_text("Business Metrics removed from favourites.")
    assert not Favourite.objects.exists()
    assert visit.console_errors == []


def first_row_bottoms(page) -> dict:
    """The bottom edge of each card in the first row of the first shelf, and the screen's height."""
    return page.evaluate(
        """() => {
          const cards = [...document.querySelectorAll('#gallery-stars .card-item:not([hidden]) .card')];
          const top = cards[0].getBoundingClientRect().top;
          const row = cards.filter(c => Math.abs(c.getBoundingClientRect().top - top) < 1);
          return {
            bottoms: row.map(c => c.getBoundingClientRect().bottom),
            inner: window.innerHeight,
            shelf: cards[0].closest('.shelf').id,
          };
        }"""
    )


def test_the_first_row_of_cards_is_above_the_fold_at_1366_by_768(visit, live_cast):
    page = visit.page
    assert page.viewport_size == {"width": 1366, "height": 768}
    visit.sign_in("admin")
    visit.goto("/")
    plain = first_row_bottoms(page)
    assert len(plain["bottoms"]) == 3
    assert max(plain["bottoms"]) <= plain["inner"], plain

    # With favourites, recently viewed and a notice above them, the first row still fits.
    admin = live_cast["admin"]
    for slug in ("stocktoday", "funnel", "abtest"):
        Favourite.objects.create(user=admin, dashboard=Dashboard.objects.get(slug=slug))
    audit_record(action=AuditEvent.Action.VIEW, user=admin, dashboard="timeseries")
    Dashboard.objects.filter(slug="publicapi").update(discoverable=True)
    page.context.clear_cookies()
    visit.sign_in("sales")
    visit.goto("/")
    page.locator("#more-publicapi summary").click()
    page.locator("#more-publicapi textarea").fill("For the currency report")
    page.locator("#more-publicapi button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Access to Exchange Rates requested.")
    page.evaluate("window.scrollTo(0, 0)")
    busy = first_row_bottoms(page)
    assert busy["shelf"] == "others" and len(busy["bottoms"]) == 1  # sales opens Stock Today only
    assert max(busy["bottoms"]) <= busy["inner"], busy

    page.context.clear_cookies()
    visit.sign_in("admin")
    visit.goto("/")
    starred = first_row_bottoms(page)
    assert starred["shelf"] == "favourites" and len(starred["bottoms"]) == 3
    assert max(starred["bottoms"]) <= starred["inner"], starred


def test_the_whole_card_opens_its_dashboard_and_the_keyboard_reaches_each_link_and_star(visit, live_cast):
    page = visit.page
    visit.sign_in("admin")
    visit.goto("/")
    box = page.locator("#card-funnel .card-desc").bounding_box()
    page.mouse.click(box["x"] + 20, box["y"] + 10)  # not the title: anywhere on the card
    page.wait_for_url("**/dashboards/funnel/")

    visit.goto("/")
    page.locator("#card-stocktoday .tags a", has_text="stocks").click()  # still its own link
    page.wait_for_url("**/?tag=stocks")

    visit.goto("/")
    page.locator("#gallery-q").focus()
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                """() => {
                  const e = document.activeElement;
                  const card = e.closest('.card-item');
                  return (card ? card.id + ' ' : '') + (e.className || e.tagName) + ': '
                    + (e.getAttribute('aria-label') || e.textContent.trim());
                }"""
            )
        )
    order = [r for r in reached if r.startswith("card-") and ("card-link" in r or "star" in r)]
    titles = page.locator("#gallery-stars .card-link").all_text_contents()
    slugs = page.locator("#gallery-stars .card-item").evaluate_all("els => els.map(e => e.id)")
    expected = []
    for slug, title in zip(slugs, titles, strict=True):
        expected += [f"{slug} card-link: {title}", f"{slug} star: Favourite: {title}"]
    assert order == expected

    page.locator("#card-abtest .star").focus()
    page.keyboard.press("Space")
    expect(page.locator("#card-abtest .star")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#gallery-announce")).to_have_text("A/B Test added to favourites.")
    page.locator("#card-abtest .card-link").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboards/abtest/")
    assert visit.console_errors == []


def test_asking_for_a_listed_dashboard_with_a_reason_on_a_phone(visit, live_cast):
    Dashboard.objects.filter(slug__in=["stocktoday", "funnel"]).update(discoverable=True)
    page = visit.page
    page.set_viewport_size({"width": 390, "height": 844})
    visit.sign_in("viewer")
    visit.goto("/")
    expect(page.locator("#more .card-item")).to_have_count(2)
    page.locator("#more-stocktoday summary").click()
    page.locator("#more-stocktoday textarea").fill("I report on our share price every week.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#more-stocktoday button[type=submit]").click()
    page.wait_for_url("**/#more")
    expect(page.locator("#more-stocktoday .requested")).to_contain_text("Requested on")
    expect(page.locator("#more-funnel summary")).to_have_text("Request access to Marketing Funnel")
    assert AccessRequest.objects.get().reason == "I report on our share price every week."
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert visit.console_errors == []
    assert visit.foreign_requests() == []
