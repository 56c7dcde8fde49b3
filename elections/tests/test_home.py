"""The home page: which elections it lists, how it reads in Arabic, and where it sends each visitor."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from elections.models import Election
from elections.services import open_election, publish_results

pytestmark = pytest.mark.django_db


class PageParser(HTMLParser):
    """Collects the tags with their attributes and the visible text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in {"script", "style", "title"}:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "title"}:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.texts.append(" ".join(data.split()))

    def find(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag and all(attrs.get(k) == v for k, v in wanted.items())]


def parse(client: Client, path: str = "/") -> PageParser:
    response = client.get(path)
    assert response.status_code == 200
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def opened(election: Election, official: User) -> Election:
    """The shared test election, opened by an official and given an Arabic name."""
    Election.objects.filter(pk=election.pk).update(name_ar="انتخابات تجريبية")
    return open_election(election=Election.objects.get(pk=election.pk), actor=official)


@pytest.fixture
def arabic_client() -> Client:
    client = Client()
    client.cookies["django_language"] = "ar"
    return client


def test_home_lists_open_elections_but_not_drafts(client: Client, opened: Election) -> None:
    Election.objects.create(name="Draft In Progress", slug="draft-in-progress", date=dt.date(2027, 5, 1))
    page = parse(client)
    assert "Test Election" in page.texts
    assert not any("Draft In Progress" in text for text in page.texts)


def test_home_shows_date_status_visibility_and_counts_in_words(client: Client, opened: Election) -> None:
    texts = parse(client).texts
    assert "Election day" in texts
    assert "3 November 2026" in texts
    assert texts[texts.index("Status") + 1] == "Open for entry"
    assert texts[texts.index("Results") + 1] == "Not published yet"
    assert texts[texts.index("Polling stations") + 1] == "3"
    assert texts[texts.index("Contests") + 1] == "1"


def test_home_says_when_results_are_provisional(client: Client, opened: Election, official: User) -> None:
    publish_results(election=opened, actor=official)
    texts = parse(client).texts
    assert texts[texts.index("Results") + 1] == "Provisional"
    assert any(text.startswith("Provisional results are public") for text in texts)


def test_home_without_elections_shows_a_friendly_empty_state(client: Client, election: Election) -> None:
    page = parse(client)
    assert "No elections to follow yet" in page.texts
    assert not page.find("ul", **{"class": "election-list"})


def test_home_tells_everyone_where_results_will_appear(client: Client, opened: Election) -> None:
    texts = parse(client).texts
    assert any("Public results appear on this site as soon as the officials publish them" in text for text in texts)


def test_home_offers_staff_sign_in_to_visitors(client: Client) -> None:
    page = parse(client)
    (sign_in,) = page.find("a", href=reverse("entry:home"))
    assert "Staff sign-in" in page.texts
    assert sign_in["class"] == "button-link"
    assert page.find("a", href=reverse("admin:index"))


def test_home_links_to_the_results_once_they_are_public(client: Client, opened: Election, official: User) -> None:
    results_url = reverse("results:overview", kwargs={"slug": opened.slug})
    assert not parse(client).find("a", href=results_url)
    publish_results(election=opened, actor=official)
    (link,) = parse(client).find("a", href=results_url)
    assert link["aria-describedby"] == f"election-{opened.pk}"


def test_home_takes_a_signed_in_official_to_the_administration(client: Client, official: User) -> None:
    client.force_login(official)
    page = parse(client)
    assert page.find("a", href=reverse("admin:index"))
    assert "Go to the administration" in page.texts
    assert "Staff sign-in" not in page.texts


def test_home_offers_a_signed_in_clerk_no_administration_link(client: Client, clerk: User) -> None:
    client.force_login(clerk)
    page = parse(client)
    assert not page.find("a", href=reverse("admin:index"))
    assert page.find("a", href=reverse("entry:home"))


def test_every_link_on_home_leads_to_a_page_that_exists(client: Client, opened: Election, official: User) -> None:
    client.force_login(official)
    hrefs = {attrs["href"] for attrs in parse(client).find("a") if attrs.get("href")}
    assert hrefs
    for href in hrefs:
        assert href is not None
        if href.startswith("#"):
            continue
        response = client.get(href, follow=True)
        assert response.status_code == 200, href


def test_home_has_a_skip_link_to_the_main_landmark_and_a_footer(client: Client) -> None:
    page = parse(client)
    first_link = page.find("a")[0]
    assert first_link["href"] == "#main"
    assert page.find("main", id="main")
    assert page.find("header")
    assert page.find("footer")
    assert page.texts[0] == "Skip to main content"


def test_home_in_english_is_left_to_right(client: Client) -> None:
    (html,) = parse(client).find("html")
    assert html == {"lang": "en", "dir": "ltr"}


def test_home_in_arabic_is_right_to_left_and_translated(arabic_client: Client, opened: Election) -> None:
    page = parse(arabic_client)
    (html,) = page.find("html")
    assert html == {"lang": "ar", "dir": "rtl"}
    assert "الانتخابات" in page.texts
    assert "انتقل إلى المحتوى الرئيسي" in page.texts
    assert "مفتوحة للإدخال" in page.texts
    assert "انتخابات تجريبية" in page.texts


def test_home_follows_the_browsers_preferred_language(opened: Election) -> None:
    page = parse(Client(HTTP_ACCEPT_LANGUAGE="ar,en;q=0.5"))
    assert page.find("html", lang="ar", dir="rtl")


def test_every_text_on_the_arabic_home_page_is_translated(
    client: Client, arabic_client: Client, opened: Election, official: User
) -> None:
    publish_results(election=opened, actor=official)
    english = parse(client).texts
    arabic = set(parse(arabic_client).texts)
    # Names and numbers read the same in both languages.
    untranslatable = {"VoteTracker", "English", "العربيّة", "Test Election", "3", "1"}
    left_in_english = [text for text in english if text in arabic and text not in untranslatable]
    assert left_in_english == []


def test_language_switcher_is_a_form_posting_to_set_language(client: Client) -> None:
    page = parse(client)
    (form,) = page.find("form", action=reverse("set_language"))
    assert form["method"] == "post"
    assert page.find("input", type="hidden", name="next", value="/")
    (arabic_button,) = page.find("button", name="language", value="ar")
    assert arabic_button["type"] == "submit"
    assert arabic_button["lang"] == "ar"
    assert page.find("span", lang="en", **{"aria-current": "true"})


def test_posting_the_language_switcher_turns_the_site_arabic_without_javascript() -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.get("/")
    response = browser.post(reverse("set_language"), {"language": "ar", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [("/", 302)]
    assert b'<html lang="ar" dir="rtl">' in response.content
    back = browser.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert back.status_code == 302
    assert b'<html lang="en" dir="ltr">' in browser.get("/").content
