"""The embed card for other sites' iframes (framed only by the allowed origins), and the oEmbed answer for it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from elections.models import Contest, Election, PollingStation
from results.services import refresh_tallies
from results.tests.support import enter_sheet
from votetracker.config import load_config

pytestmark = pytest.mark.django_db

NEWS = "https://news.example.com"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {words[0]: words[1:] for words in directives}


def test_the_embed_card_may_be_framed_by_the_allowed_origins_only(
    published: Election, client: Client, settings
) -> None:
    settings.EMBED_ALLOWED_ORIGINS = [NEWS, "https://*.example.org"]
    response = client.get(f"/embed/{published.slug}/mayor/")
    assert response.status_code == 200
    assert _policy(response)["frame-ancestors"] == ["'self'", NEWS, "https://*.example.org"]
    assert "X-Frame-Options" not in response
    # The rest of the policy is the site's own.
    assert _policy(response)["script-src"] == ["'self'"]
    assert response["Cache-Control"] == "public, max-age=1"
    assert not response.cookies


def test_without_allowed_origins_only_the_site_itself_may_frame_the_card(published: Election, client: Client) -> None:
    response = client.get(f"/embed/{published.slug}/mayor/")
    assert _policy(response)["frame-ancestors"] == ["'self'"]


@pytest.mark.parametrize("path", ["/results/{slug}/", "/results/{slug}/contest/mayor/", "/", "/oembed"])
def test_every_other_page_still_refuses_to_be_framed(published: Election, client: Client, settings, path: str) -> None:
    settings.EMBED_ALLOWED_ORIGINS = [NEWS]
    response = client.get(path.format(slug=published.slug))
    assert _policy(response)["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_card_is_complete_without_javascript_and_links_back_in_a_new_tab(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[271, 314], key=new_key())
    html = client.get(f"/embed/{published.slug}/mayor/").content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "314" in html
    assert "271" in html
    assert "Stations reporting this contest" in html
    assert 'data-live-part="contest-mayor"' in html
    assert f'data-ws-path="/ws/results/{published.slug}/"' in html
    assert f'<a href="/results/{published.slug}/contest/mayor/" target="_blank" rel="noopener">' in html
    # No site chrome: no header, language switcher or footer.
    assert "site-header" not in html
    assert "language-switcher" not in html
    assert "site-footer" not in html


def test_the_card_speaks_arabic_right_to_left_when_asked(published: Election, client: Client) -> None:
    response = client.get(f"/embed/{published.slug}/mayor/?lang=ar")
    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert response["Content-Language"] == "ar"
    assert "Stations reporting this contest" not in html
    # A visitor's own language choice does not change an address's page: the address says the language.
    english = client.get(f"/embed/{published.slug}/mayor/", headers={"accept-language": "ar"})
    assert '<html lang="en" dir="ltr">' in english.content.decode()


def test_an_unknown_language_is_refused_with_a_message(published: Election, client: Client) -> None:
    response = client.get(f"/embed/{published.slug}/mayor/?lang=fr")
    assert response.status_code == 400
    assert "lang=en or lang=ar" in response.content.decode()


def test_unknown_and_hidden_elections_and_contests_are_not_found(
    published: Election, election: Election, client: Client
) -> None:
    assert client.get(f"/embed/{published.slug}/nope/").status_code == 404
    assert client.get("/embed/no-such-election/mayor/").status_code == 404
    Election.objects.filter(pk=published.pk).update(results_visibility=Election.Visibility.HIDDEN)
    refresh_tallies(election_id=published.pk)
    assert client.get(f"/embed/{published.slug}/mayor/").status_code == 404


def _oembed(client: Client, **query: str):
    return client.get("/oembed?" + urlencode(query))


@pytest.mark.parametrize("page", ["/results/{slug}/contest/mayor/", "/embed/{slug}/mayor/"])
def test_oembed_answers_a_rich_iframe_for_a_contest_page_or_card(
    published: Election, client: Client, page: str
) -> None:
    url = "http://testserver" + page.format(slug=published.slug)
    response = _oembed(client, url=url, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "1.0"
    assert body["type"] == "rich"
    assert body["provider_name"] == "VoteTracker"
    assert body["provider_url"] == "http://testserver/"
    assert body["width"] == 480
    assert body["height"] > 0
    assert f'src="http://testserver/embed/{published.slug}/mayor/"' in body["html"]
    assert f'width="{body["width"]}" height="{body["height"]}"' in body["html"]
    assert "Mayor" in body["title"]
    assert "<iframe" in body["html"]
    assert 'title="' in body["html"]
    assert response["Access-Control-Allow-Origin"] == "*"


def test_oembed_fits_the_frame_in_the_largest_size_asked_and_keeps_the_language(
    published: Election, client: Client
) -> None:
    url = f"http://testserver/embed/{published.slug}/mayor/?lang=ar"
    body = _oembed(client, url=url, maxwidth="300", maxheight="200").json()
    assert (body["width"], body["height"]) == (300, 200)
    assert f'src="http://testserver/embed/{published.slug}/mayor/?lang=ar"' in body["html"]
    english = _oembed(client, url=url.removesuffix("?lang=ar")).json()
    assert f'src="http://testserver/embed/{published.slug}/mayor/"' in english["html"]
    # Without limits, the card's own size: wider and taller than the limits above.
    assert english["width"] == 480
    assert english["height"] > 200


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({}, 400, "missing_url"),
        ({"url": "http://testserver/embed/{slug}/mayor/", "format": "xml"}, 501, "format_not_supported"),
        ({"url": "http://testserver/embed/{slug}/mayor/", "maxwidth": "wide"}, 400, "bad_request"),
        ({"url": "http://testserver/embed/{slug}/mayor/", "maxheight": "0"}, 400, "bad_request"),
        ({"url": "https://elsewhere.example/embed/{slug}/mayor/"}, 404, "not_found"),
        ({"url": "http://testserver/results/{slug}/"}, 404, "not_found"),
        ({"url": "http://testserver/embed/{slug}/nope/"}, 404, "not_found"),
        ({"url": "http://testserver/admin/"}, 404, "not_found"),
        ({"url": "javascript:alert(1)"}, 404, "not_found"),
        ({"url": "http://testserver/embed/{slug}/mayor/?lang=xx"}, 400, "bad_request"),
    ],
)
def test_oembed_refuses_what_it_cannot_answer_in_the_error_shape(
    published: Election, client: Client, query: dict[str, str], status: int, code: str
) -> None:
    response = _oembed(client, **{key: value.format(slug=published.slug) for key, value in query.items()})
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_oembed_does_not_hand_out_hidden_results(open_vote: Election, client: Client) -> None:
    response = _oembed(client, url=f"http://testserver/results/{open_vote.slug}/contest/mayor/")
    assert response.status_code == 404


def test_a_contest_page_names_its_oembed_answer_for_discovery(published: Election, client: Client) -> None:
    html = client.get(f"/results/{published.slug}/contest/mayor/?q=anything").content.decode()
    contest_url = f"http://testserver/results/{published.slug}/contest/mayor/"
    href = "/oembed?" + urlencode({"url": contest_url, "format": "json"})
    assert f'<link rel="alternate" type="application/json+oembed" href="{href.replace("&", "&amp;")}">' in html
    assert client.get(href).json()["type"] == "rich"


def test_embed_origins_are_read_from_the_environment_and_a_bad_one_is_named(tmp_path: Path) -> None:
    config = load_config({"EMBED_ALLOWED_ORIGINS": "https://News.example.com, https://*.example.org:8443"}, tmp_path)
    assert config.embed_allowed_origins == ("https://news.example.com", "https://*.example.org:8443")
    assert load_config({}, tmp_path).embed_allowed_origins == ()
    for bad in ("news.example.com", "https://news.example.com/page", "*", "https://a.example; script-src *"):
        with pytest.raises(ImproperlyConfigured, match="EMBED_ALLOWED_ORIGINS"):
            load_config({"EMBED_ALLOWED_ORIGINS": bad}, tmp_path)
