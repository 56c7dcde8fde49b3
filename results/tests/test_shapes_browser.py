"""A ballot measure and a contest reported by vote type in a real browser, in English and Arabic, on a desktop and a
phone: the pages pass an accessibility check (axe) and are photographed for people to look at."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User

from ballots.tests.shapes import build_shapes
from elections.services import publish_results
from results.tests.test_shapes_pages import report
from votetracker.testing import SCREENSHOTS, launch_chromium
from votetracker.tests.servers import daphne_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SIZES = {"desktop": (1366, 900), "phone": (360, 780)}


@pytest.mark.parametrize("language", ["en", "ar"])
def test_measure_and_vote_type_pages_pass_axe_in_both_languages_and_sizes(official: User, language: str) -> None:
    shapes = build_shapes(official=official)
    report(shapes, official)
    publish_results(election=shapes.election, actor=official)
    slug = shapes.election.slug
    with daphne_server() as base, launch_chromium() as browser:
        try:
            context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
            page = context.new_page()
            for contest in ("question-1", "county-executive"):
                page.set_viewport_size({"width": 1366, "height": 900})
                page.goto(f"{base}/results/{slug}/contest/{contest}/")
                page.locator('[data-live-status][data-state="live"]').wait_for(timeout=10_000)
                assert page.locator(f'[data-live-part="contest-{contest}"]').count() == 1
                for size, (width, height) in SIZES.items():
                    page.set_viewport_size({"width": width, "height": height})
                    result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag22aa"]})
                    assert result.violations_count == 0, result.generate_report()
                    page.screenshot(path=str(SCREENSHOTS / f"results-{contest}-{language}-{size}.png"), full_page=True)
            context.close()
        finally:
            browser.close()
