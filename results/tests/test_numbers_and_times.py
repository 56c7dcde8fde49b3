"""Figures on the public pages are written for the reader's language (grouped digits, the Arabic separators and
percent sign), and the update time says its zone and how long ago it was."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from elections.models import Contest, Election, PollingStation
from results.presentation import grouped_number, percent
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
) -> Election:
    """The published election, in Amman's time zone, with one large station in."""
    Election.objects.filter(pk=published.pk).update(time_zone="Asia/Amman")
    PollingStation.objects.filter(pk=station.pk).update(registered_voters=25_000)
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[12_412, 1_388], key=new_key())
    return published


def test_figures_are_grouped_in_english_and_with_arabic_separators_in_arabic(counted: Election, client: Client) -> None:
    english = client.get(f"/results/{counted.slug}/contest/mayor/").content.decode()
    assert "12,412" in english
    assert "13,800" in english
    assert "89.9%" in english

    arabic = client.get(f"/results/{counted.slug}/contest/mayor/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "12\u066c412" in arabic
    assert "13\u066c800" in arabic
    assert "89\u066b9\u066a" in arabic  # 89٫9٪
    assert "12,412" not in arabic
    assert "89.9%" not in arabic


def test_ids_and_versions_keep_plain_digits() -> None:
    with translation.override("ar"):
        assert grouped_number(1234567) == "1\u066c234\u066c567"
        assert grouped_number("N-001") == "N-001"
        assert grouped_number(None) is None
        assert percent(None) == "—"
        assert percent(0.5) == "50\u066b0\u066a"
    with translation.override("en"):
        assert percent(0.12345) == "12.3%"


def test_the_update_time_names_its_zone_and_offers_how_long_ago(counted: Election, client: Client) -> None:
    html = client.get(f"/results/{counted.slug}/").content.decode()
    shown = re.search(r'<time datetime="([^"]+)">([^<]+) <bdi dir="ltr">([^<]+)</bdi></time>', html)
    assert shown is not None
    moment = dt.datetime.fromisoformat(shown.group(1)).astimezone(zoneinfo.ZoneInfo("Asia/Amman"))
    assert shown.group(2).endswith(moment.strftime("%H:%M:%S"))
    assert shown.group(3) == moment.tzname()  # "+03": Amman has no abbreviation of its own
    # The relative time is written by the page's script; without it the absolute time stands alone.
    assert f'data-relative-to="{shown.group(1)}" hidden' in html
