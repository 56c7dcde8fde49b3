"""What the results side keeps in the database: only the version counter of each election's published tallies."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ResultsVersion(models.Model):
    """The number of the newest results snapshot of an election.

    It lives in the database, not in Redis, so that a cache flush never makes the version go backwards: a viewer
    that holds version n must never be told that n-1 is newer.
    """

    election = models.OneToOneField(
        "elections.Election",
        verbose_name=_("election"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="results_version",
    )
    version = models.PositiveBigIntegerField(_("version"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("results version")
        verbose_name_plural = _("results versions")

    def __str__(self) -> str:
        return f"{self.election_id}: v{self.version}"
