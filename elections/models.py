"""What an election is made of: districts, polling stations, parties, contests and candidates."""

# One module on purpose: eight models that refer to each other are one schema, declarations and constraints only.

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

COLOUR_VALIDATOR = RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("Enter a colour as #RRGGBB, for example #1F77B4."))
CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", _("Use letters, digits, dots, dashes and underscores only.")
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Election(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for entry")
        CLOSED = "closed", _("Closed")
        CERTIFIED = "certified", _("Certified")

    class Visibility(models.TextChoices):
        HIDDEN = "hidden", _("Hidden")
        PROVISIONAL = "provisional", _("Provisional")
        OFFICIAL = "official", _("Official")

    class CountingMethod(models.TextChoices):
        TALLY_SHEETS = "tally_sheets", _("Tally sheets")
        BALLOTS = "ballots", _("Ballot by ballot")
        BOTH = "both", _("Both, cross-checked")

    name = models.CharField(_("name"), max_length=200)
    name_ar = models.CharField(_("name in Arabic"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, help_text=_("Used in public addresses."))
    date = models.DateField(_("election day"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone], help_text=_("e.g. Asia/Amman")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False)
    results_visibility = models.CharField(
        _("results visibility"), max_length=16, choices=Visibility.choices, default=Visibility.HIDDEN, editable=False
    )
    counting_method = models.CharField(
        _("counting method"), max_length=16, choices=CountingMethod.choices, default=CountingMethod.TALLY_SHEETS
    )
    double_entry = models.BooleanField(
        _("double data entry"),
        default=False,
        help_text=_("Two clerks enter each tally sheet; a mismatch goes to review."),
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True, editable=False)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("status changed by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "name"]
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "open", "closed", "certified"]), name="election_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(results_visibility__in=["hidden", "provisional", "official"]),
                name="election_visibility_valid",
            ),
            models.CheckConstraint(
                condition=Q(counting_method__in=["tally_sheets", "ballots", "both"]),
                name="election_counting_method_valid",
            ),
            # Official results exist only for a certified election.
            models.CheckConstraint(
                condition=~Q(results_visibility="official") | Q(status="certified"),
                name="election_official_only_when_certified",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def accepts_entries(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.CERTIFIED

    @property
    def results_are_public(self) -> bool:
        return self.results_visibility != self.Visibility.HIDDEN


class District(models.Model):
    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="districts"
    )
    code = models.CharField(_("code"), max_length=32, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    name_ar = models.CharField(_("name in Arabic"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ["election", "code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = [
            models.UniqueConstraint(fields=["election", "code"], name="district_code_unique_in_election"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="district_not_its_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.parent_id is None:
            return
        parent = self.parent
        if parent is not None and parent.election_id != self.election_id:
            raise ValidationError({"parent": _("The parent district must belong to the same election.")})
        seen = {self.pk} if self.pk else set()
        while parent is not None:
            if parent.pk in seen:
                raise ValidationError({"parent": _("A district cannot be inside itself.")})
            seen.add(parent.pk)
            parent = parent.parent


class PollingStation(models.Model):
    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="stations"
    )
    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="stations"
    )
    code = models.CharField(_("code"), max_length=32, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    name_ar = models.CharField(_("name in Arabic"), max_length=200, blank=True)
    registered_voters = models.PositiveIntegerField(_("registered voters"))
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    class Meta:
        ordering = ["election", "code"]
        verbose_name = _("polling station")
        verbose_name_plural = _("polling stations")
        constraints = [
            models.UniqueConstraint(fields=["election", "code"], name="station_code_unique_in_election"),
            models.CheckConstraint(
                condition=Q(registered_voters__gte=0), name="station_registered_voters_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="station_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="station_longitude_range",
            ),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__isnull=False) & Q(longitude__isnull=False)),
                name="station_coordinates_both_or_neither",
            ),
        ]
        indexes = [models.Index(fields=["district", "code"], name="station_district_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.district_id and self.election_id and self.district.election_id != self.election_id:
            raise ValidationError({"district": _("The district must belong to the same election.")})
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))


class Party(models.Model):
    election = models.ForeignKey(Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="parties")
    name = models.CharField(_("name"), max_length=200)
    name_ar = models.CharField(_("name in Arabic"), max_length=200, blank=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=16, validators=[CODE_VALIDATOR])
    colour = models.CharField(_("colour"), max_length=7, default="#777777", validators=[COLOUR_VALIDATOR])

    class Meta:
        ordering = ["election", "name"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [
            models.UniqueConstraint(fields=["election", "abbreviation"], name="party_abbreviation_unique_in_election"),
            models.UniqueConstraint(fields=["election", "name"], name="party_name_unique_in_election"),
            models.CheckConstraint(condition=Q(colour__regex=r"^#[0-9A-Fa-f]{6}$"), name="party_colour_hex"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.abbreviation})"


class Contest(models.Model):
    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="contests"
    )
    name = models.CharField(_("name"), max_length=200)
    name_ar = models.CharField(_("name in Arabic"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=80)
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contests",
        help_text=_("Leave empty for a contest over the whole election."),
    )
    seats = models.PositiveSmallIntegerField(_("seats"), default=1, validators=[MinValueValidator(1)])
    max_choices = models.PositiveSmallIntegerField(
        _("choices per ballot"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("How many candidates a ballot may mark."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0, help_text=_("Order on the results pages."))

    class Meta:
        ordering = ["election", "position", "name"]
        verbose_name = _("contest")
        verbose_name_plural = _("contests")
        constraints = [
            models.UniqueConstraint(fields=["election", "slug"], name="contest_slug_unique_in_election"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="contest_seats_at_least_one"),
            models.CheckConstraint(condition=Q(max_choices__gte=1), name="contest_choices_at_least_one"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_label(self) -> str:
        return str(self.district) if self.district_id else str(_("Whole election"))

    def clean(self) -> None:
        district = self.district if self.district_id else None
        if district is not None and self.election_id and district.election_id != self.election_id:
            raise ValidationError({"district": _("The district must belong to the same election.")})


class Candidate(models.Model):
    contest = models.ForeignKey(Contest, verbose_name=_("contest"), on_delete=models.CASCADE, related_name="candidates")
    name_en = models.CharField(_("name in English"), max_length=200)
    name_ar = models.CharField(_("name in Arabic"), max_length=200)
    party = models.ForeignKey(
        Party,
        verbose_name=_("party"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="candidates",
        help_text=_("Leave empty for an independent candidate."),
    )
    ballot_order = models.PositiveSmallIntegerField(_("ballot order"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["contest", "ballot_order"]
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        constraints = [
            models.UniqueConstraint(fields=["contest", "ballot_order"], name="candidate_ballot_order_unique"),
            models.UniqueConstraint(fields=["contest", "name_en"], name="candidate_name_unique_in_contest"),
            models.CheckConstraint(condition=Q(ballot_order__gte=1), name="candidate_ballot_order_positive"),
        ]

    def __str__(self) -> str:
        return self.name_en

    def clean(self) -> None:
        party = self.party if self.party_id else None
        if party is not None and self.contest_id and party.election_id != self.contest.election_id:
            raise ValidationError({"party": _("The party must belong to the contest's election.")})


class ClerkAssignment(models.Model):
    """A clerk may enter votes for this polling station."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("clerk"), on_delete=models.CASCADE, related_name="clerk_assignments"
    )
    station = models.ForeignKey(
        PollingStation, verbose_name=_("polling station"), on_delete=models.CASCADE, related_name="clerk_assignments"
    )

    class Meta:
        verbose_name = _("clerk assignment")
        verbose_name_plural = _("clerk assignments")
        constraints = [models.UniqueConstraint(fields=["user", "station"], name="clerk_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.station}"


class SupervisorAssignment(models.Model):
    """A supervisor oversees every polling station of this district (and of the districts inside it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.CASCADE,
        related_name="supervisor_assignments",
    )
    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.CASCADE, related_name="supervisor_assignments"
    )

    class Meta:
        verbose_name = _("supervisor assignment")
        verbose_name_plural = _("supervisor assignments")
        constraints = [models.UniqueConstraint(fields=["user", "district"], name="supervisor_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.district}"
