"""Entries made by staff: ballots, tally sheets, station counts and turnout reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from elections.models import Candidate


class Ballot(models.Model):
    """One paper ballot as a clerk entered it. Never edited or deleted; a mistake is voided (``BallotVoid``)."""

    class Kind(models.TextChoices):
        MARKED = "marked", _("Marked")
        BLANK = "blank", _("Blank")
        INVALID = "invalid", _("Invalid")

    station = models.ForeignKey(
        "elections.PollingStation", verbose_name=_("polling station"), on_delete=models.PROTECT, related_name="ballots"
    )
    contest = models.ForeignKey(
        "elections.Contest", verbose_name=_("contest"), on_delete=models.PROTECT, related_name="ballots"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # A row per mark (not a JSON list) so duplicates are refused by the database and recounts are one GROUP BY.
    candidates: models.ManyToManyField[Candidate, BallotMark] = models.ManyToManyField(
        "elections.Candidate", verbose_name=_("marked candidates"), through="BallotMark", related_name="+"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["marked", "blank", "invalid"]), name="ballot_kind_valid"
            )
        ]
        indexes = [models.Index(fields=["station", "contest"], name="ballot_station_contest")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class BallotMark(models.Model):
    ballot = models.ForeignKey(Ballot, verbose_name=_("ballot"), on_delete=models.PROTECT, related_name="marks")
    candidate = models.ForeignKey(
        "elections.Candidate", verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("ballot mark")
        verbose_name_plural = _("ballot marks")
        constraints = [models.UniqueConstraint(fields=["ballot", "candidate"], name="ballot_mark_once_per_candidate")]

    def __str__(self) -> str:
        return f"{self.ballot_id} → {self.candidate_id}"


class BallotVoid(models.Model):
    """A ballot taken out of the count, with a reason. It is an entry of its own; the ballot row stays."""

    ballot = models.OneToOneField(Ballot, verbose_name=_("ballot"), on_delete=models.PROTECT, related_name="void")
    reason = models.TextField(_("reason"))
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("voided by"), on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(_("voided at"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("ballot void")
        verbose_name_plural = _("ballot voids")
        constraints = [models.CheckConstraint(condition=~models.Q(reason=""), name="ballot_void_has_reason")]

    def __str__(self) -> str:
        return f"void of #{self.ballot_id}"


class StationCount(models.Model):
    """Whether a station's ballots for a contest are all entered; only then do they count."""

    station = models.ForeignKey(
        "elections.PollingStation", verbose_name=_("polling station"), on_delete=models.PROTECT, related_name="+"
    )
    contest = models.ForeignKey(
        "elections.Contest", verbose_name=_("contest"), on_delete=models.PROTECT, related_name="+"
    )
    complete = models.BooleanField(_("count complete"), default=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)

    class Meta:
        verbose_name = _("station count")
        verbose_name_plural = _("station counts")
        constraints = [
            models.UniqueConstraint(fields=["station", "contest"], name="station_count_unique"),
            models.CheckConstraint(
                condition=models.Q(complete=False) | models.Q(completed_at__isnull=False),
                name="station_count_complete_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station_id}/{self.contest_id} {'complete' if self.complete else 'open'}"


class TallySheet(models.Model):
    """One version of a station's result form for a contest. Corrections are new versions; none is ever edited
    except for its status."""

    class Status(models.TextChoices):
        PENDING_SECOND_ENTRY = "pending_second_entry", _("Waiting for the second entry")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        ACCEPTED = "accepted", _("Accepted")
        SUPERSEDED = "superseded", _("Superseded")
        QUARANTINED = "quarantined", _("Quarantined")

    CURRENT_STATUSES = ("accepted", "quarantined")

    station = models.ForeignKey(
        "elections.PollingStation",
        verbose_name=_("polling station"),
        on_delete=models.PROTECT,
        related_name="tally_sheets",
    )
    contest = models.ForeignKey(
        "elections.Contest", verbose_name=_("contest"), on_delete=models.PROTECT, related_name="tally_sheets"
    )
    version = models.PositiveIntegerField(_("version"))
    ballots_cast = models.PositiveIntegerField(_("ballots cast"))
    blank = models.PositiveIntegerField(_("blank ballots"))
    invalid = models.PositiveIntegerField(_("invalid ballots"))
    # Where the election counts them (``Election.counts_undervotes_and_overvotes``); zero otherwise.
    undervotes = models.PositiveIntegerField(_("undervotes"), default=0)
    overvotes = models.PositiveIntegerField(_("overvotes"), default=0)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"))
    reason = models.TextField(_("reason for the correction"), blank=True)
    quarantine_reason = models.TextField(_("reason for quarantine"), blank=True)
    quarantined_automatically = models.BooleanField(_("quarantined by the ballots cross-check"), default=False)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, blank=True)

    class Meta:
        ordering = ["station", "contest", "version"]
        verbose_name = _("tally sheet")
        verbose_name_plural = _("tally sheets")
        constraints = [
            models.UniqueConstraint(fields=["station", "contest", "version"], name="tally_sheet_version_unique"),
            # At most one version counts for a station and contest at any time.
            models.UniqueConstraint(
                fields=["station", "contest"],
                condition=models.Q(status__in=["accepted", "quarantined"]),
                name="tally_sheet_one_current",
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="tally_sheet_version_positive"),
            models.CheckConstraint(
                condition=models.Q(
                    ballots_cast__gte=0, blank__gte=0, invalid__gte=0, undervotes__gte=0, overvotes__gte=0
                ),
                name="tally_sheet_counts_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(ballots_cast__gte=models.F("blank") + models.F("invalid")),
                name="tally_sheet_blank_invalid_within_cast",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["pending_second_entry", "needs_review", "accepted", "superseded", "quarantined"]
                ),
                name="tally_sheet_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="quarantined") | ~models.Q(quarantine_reason=""),
                name="tally_sheet_quarantine_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"sheet {self.station_id}/{self.contest_id} v{self.version} ({self.status})"


class TallySheetVote(models.Model):
    sheet = models.ForeignKey(TallySheet, verbose_name=_("tally sheet"), on_delete=models.PROTECT, related_name="votes")
    candidate = models.ForeignKey(
        "elections.Candidate", verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="+"
    )
    votes = models.PositiveIntegerField(_("votes"))

    class Meta:
        verbose_name = _("tally sheet votes")
        verbose_name_plural = _("tally sheet votes")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "candidate"], name="tally_sheet_vote_once_per_candidate"),
            models.CheckConstraint(condition=models.Q(votes__gte=0), name="tally_sheet_votes_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sheet_id}: {self.candidate_id} = {self.votes}"


class TallySheetVoteByType(models.Model):
    """A candidate's votes of one vote type on a sheet, where the election reports votes by type. The candidate's
    ``TallySheetVote`` holds their sum, so every total reads one row per candidate."""

    sheet = models.ForeignKey(
        TallySheet, verbose_name=_("tally sheet"), on_delete=models.PROTECT, related_name="votes_by_type"
    )
    candidate = models.ForeignKey(
        "elections.Candidate", verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="+"
    )
    vote_type = models.ForeignKey(
        "elections.VoteType", verbose_name=_("vote type"), on_delete=models.PROTECT, related_name="+"
    )
    votes = models.PositiveIntegerField(_("votes"))

    class Meta:
        verbose_name = _("tally sheet votes by type")
        verbose_name_plural = _("tally sheet votes by type")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "candidate", "vote_type"], name="tally_sheet_vote_by_type_once"),
            models.CheckConstraint(condition=models.Q(votes__gte=0), name="tally_sheet_vote_by_type_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sheet_id}: {self.candidate_id}/{self.vote_type_id} = {self.votes}"


class TurnoutReport(models.Model):
    """Voters who have voted so far at a station, at a time of day."""

    station = models.ForeignKey(
        "elections.PollingStation",
        verbose_name=_("polling station"),
        on_delete=models.PROTECT,
        related_name="turnout_reports",
    )
    voters = models.PositiveIntegerField(_("voters so far"))
    at = models.DateTimeField(_("at"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, blank=True)

    class Meta:
        ordering = ["station", "at"]
        verbose_name = _("turnout report")
        verbose_name_plural = _("turnout reports")
        constraints = [models.CheckConstraint(condition=models.Q(voters__gte=0), name="turnout_voters_non_negative")]
        indexes = [models.Index(fields=["station", "at"], name="turnout_station_at")]

    def __str__(self) -> str:
        return f"{self.station_id}: {self.voters} at {self.at:%H:%M}"
