"""What an election is made of: districts, polling stations, parties, contests and candidates."""

# One module on purpose: ten models that refer to each other are one schema, declarations and constraints only.

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    counts_blank_and_invalid = models.BooleanField(
        _("sheets count blank and invalid ballots"),
        default=True,
        help_text=_("Ballots with no valid mark in a contest are counted as blank or invalid."),
    )
    counts_undervotes_and_overvotes = models.BooleanField(
        _("sheets count undervotes and overvotes"),
        default=False,
        help_text=_("Contests left unmarked (undervotes) and marked too many times (overvotes) are counted as such."),
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
    registered_voters = models.PositiveIntegerField(
        _("registered voters"),
        null=True,
        blank=True,
        help_text=_("Leave empty when unknown: turnout is then not shown for this station."),
    )
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
                condition=Q(registered_voters__isnull=True) | Q(registered_voters__gte=0),
                name="station_registered_voters_non_negative",
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


class ElectoralDistrict(models.Model):
    """The area a contest is voted in: any set of polling stations and of districts (with everything inside them),
    independent of the administrative tree, as NIST's GpUnit composes units. Congressional, legislative and school
    districts cut across counties and across each other; each is one of these."""

    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="electoral_districts"
    )
    code = models.CharField(_("code"), max_length=64, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    name_ar = models.CharField(_("name in Arabic"), max_length=200, blank=True)
    districts = models.ManyToManyField(
        District,
        verbose_name=_("districts"),
        blank=True,
        related_name="electoral_districts",
        help_text=_("Every polling station of these districts, and of the districts inside them, votes here."),
    )
    stations = models.ManyToManyField(
        PollingStation,
        verbose_name=_("polling stations"),
        blank=True,
        related_name="electoral_districts",
        help_text=_("Polling stations that vote here besides those of the districts above."),
    )

    class Meta:
        ordering = ["election", "code"]
        verbose_name = _("electoral district")
        verbose_name_plural = _("electoral districts")
        constraints = [
            models.UniqueConstraint(fields=["election", "code"], name="electoral_district_code_unique_in_election"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class VoteType(models.Model):
    """A way votes were cast that the results report apart (election day, early, mail, provisional). When an
    election has vote types, each tally sheet gives every candidate's votes per type; the total is their sum."""

    class NistType(models.TextChoices):
        ELECTION_DAY = "election-day", _("Election day")
        EARLY = "early", _("Early voting")
        ABSENTEE = "absentee", _("Absentee")
        ABSENTEE_MAIL = "absentee-mail", _("Absentee by mail")
        ABSENTEE_IN_PERSON = "absentee-in-person", _("Absentee in person")
        PROVISIONAL = "provisional", pgettext_lazy("vote type", "Provisional")
        UOCAVA = "uocava", _("Overseas and military (UOCAVA)")
        OTHER = "other", _("Other")

    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="vote_types"
    )
    code = models.CharField(_("code"), max_length=32, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=100)
    name_ar = models.CharField(_("name in Arabic"), max_length=100, blank=True)
    nist_type = models.CharField(
        _("NIST count type"),
        max_length=24,
        choices=NistType.choices,
        default=NistType.OTHER,
        help_text=_("How the NIST results export names this type."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["election", "position", "code"]
        verbose_name = _("vote type")
        verbose_name_plural = _("vote types")
        constraints = [
            models.UniqueConstraint(fields=["election", "code"], name="vote_type_code_unique_in_election"),
            models.CheckConstraint(
                condition=Q(
                    nist_type__in=[
                        "election-day",
                        "early",
                        "absentee",
                        "absentee-mail",
                        "absentee-in-person",
                        "provisional",
                        "uocava",
                        "other",
                    ]
                ),
                name="vote_type_nist_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contest(models.Model):
    class Kind(models.TextChoices):
        CANDIDATES = "candidates", _("Candidates")
        MEASURE = "measure", _("Ballot measure")

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
    electoral_district = models.ForeignKey(
        ElectoralDistrict,
        verbose_name=_("electoral district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contests",
        help_text=_("For a contest over a set of stations that is not one district; leave the district empty then."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CANDIDATES)
    threshold = models.DecimalField(
        _("threshold to pass"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_(
            "Ballot measures only: the share of the votes “Yes” needs to pass, e.g. 0.5 for a majority, "
            "0.6667 for two thirds. Leave empty for a simple majority."
        ),
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
            models.CheckConstraint(
                condition=Q(district__isnull=True) | Q(electoral_district__isnull=True),
                name="contest_one_area",
            ),
            models.CheckConstraint(condition=Q(kind__in=["candidates", "measure"]), name="contest_kind_valid"),
            models.CheckConstraint(
                condition=Q(threshold__isnull=True) | (Q(kind="measure") & Q(threshold__gte=0, threshold__lte=1)),
                name="contest_threshold_for_measures",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_label(self) -> str:
        if self.electoral_district_id:
            return str(self.electoral_district)
        return str(self.district) if self.district_id else str(_("Whole election"))

    @property
    def is_measure(self) -> bool:
        return self.kind == self.Kind.MEASURE

    def clean(self) -> None:
        district = self.district if self.district_id else None
        if district is not None and self.election_id and district.election_id != self.election_id:
            raise ValidationError({"district": _("The district must belong to the same election.")})
        area = self.electoral_district if self.electoral_district_id else None
        if area is not None and self.election_id and area.election_id != self.election_id:
            raise ValidationError({"electoral_district": _("The electoral district must belong to the same election.")})
        if district is not None and area is not None:
            raise ValidationError(_("Choose a district or an electoral district, not both."))
        if self.threshold is not None and self.kind != self.Kind.MEASURE:
            raise ValidationError({"threshold": _("Only a ballot measure has a threshold.")})


class Candidate(models.Model):
    contest = models.ForeignKey(Contest, verbose_name=_("contest"), on_delete=models.CASCADE, related_name="candidates")
    name_en = models.CharField(_("name in English"), max_length=200)
    name_ar = models.CharField(_("name in Arabic"), max_length=200, blank=True)
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
    is_write_in = models.BooleanField(
        _("write-in"),
        default=False,
        help_text=_(
            "Votes written in by voters rather than for a candidate on the ballot (one named or all together)."
        ),
    )

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


class DistrictBoundary(models.Model):
    """A district's outline for the results maps, simplified once when imported (``services.boundaries``): a
    GeoJSON MultiPolygon's coordinates (longitude, latitude in WGS84) and their bounding box."""

    district = models.OneToOneField(
        District, verbose_name=_("district"), on_delete=models.CASCADE, related_name="boundary"
    )
    coordinates = models.JSONField(
        _("coordinates"), help_text=_("The polygons of a GeoJSON MultiPolygon: rings of [longitude, latitude].")
    )
    west = models.FloatField(_("west"))
    south = models.FloatField(_("south"))
    east = models.FloatField(_("east"))
    north = models.FloatField(_("north"))
    positions = models.PositiveIntegerField(_("positions kept"))
    source_positions = models.PositiveIntegerField(_("positions in the file"))
    # SHA-256 of the stored coordinates: an import giving the same shape changes nothing.
    digest = models.CharField(_("digest"), max_length=64)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("district boundary")
        verbose_name_plural = _("district boundaries")
        constraints = [
            models.CheckConstraint(
                condition=Q(west__gte=-180, east__lte=180, west__lte=models.F("east")),
                name="district_boundary_longitudes",
            ),
            models.CheckConstraint(
                condition=Q(south__gte=-90, north__lte=90, south__lte=models.F("north")),
                name="district_boundary_latitudes",
            ),
        ]

    def __str__(self) -> str:
        return str(self.district)
