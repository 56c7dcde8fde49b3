"""Every write of an election's configuration: the election's own fields, its vote types, districts, polling
stations, parties, contests and candidates (its electoral districts: ``electoral_districts``). Each one is checked,
written in one transaction, audited with before and after, and noted so the public results show it (see
``audited_writes``).

A service takes the object as the caller prepared it (a new unsaved one to create, a stored one with edited fields
to change), as the admin's forms and the import rows hand it over.
"""

from __future__ import annotations

from typing import NoReturn

from django.utils.translation import gettext as _

from elections.models import Candidate, Contest, District, Election, Party, PollingStation, VoteType
from elections.services.audited_writes import (
    ConfigurationActor,
    ConfigurationRefused,
    Kind,
    change_object,
    create_object,
    delete_object,
)

# A tally sheet's shape follows these: once sheets may exist, they cannot change.
FROZEN_AFTER_DRAFT = ("counting_method", "counts_blank_and_invalid", "counts_undervotes_and_overvotes")
FROZEN_LABELS = {field.name: field.verbose_name for field in Election._meta.fields if field.name in FROZEN_AFTER_DRAFT}


def _check_election(actor: ConfigurationActor, stored: Election | None, new: Election | None) -> None:
    if new is None:
        return
    if stored is None and (new.status != Election.Status.DRAFT or new.results_visibility != Election.Visibility.HIDDEN):
        raise ConfigurationRefused(
            _("A new election starts as a draft with hidden results; open, close, publish and certify change that."),
            code="invalid",
        )
    if stored is None or stored.status == Election.Status.DRAFT:
        return
    for name in FROZEN_AFTER_DRAFT:
        if getattr(new, name) != getattr(stored, name):
            _refuse_frozen(stored, name)


def _refuse_frozen(stored: Election, name: str) -> NoReturn:
    params = {"election": stored, "status": stored.get_status_display()}
    if name == "counting_method":
        code = "counting_method_frozen"
        message = (
            _(
                "The counting method of “%(election)s” can no longer change: it is %(status)s, and the counting method "
                "is fixed once the election leaves draft."
            )
            % params
        )
    else:
        code = "counting_frozen"
        message = _(
            "“%(field)s” of “%(election)s” can no longer change: it is %(status)s, and what tally sheets count is "
            "fixed once the election leaves draft."
        ) % {**params, "field": FROZEN_LABELS[name]}
    raise ConfigurationRefused(message, code=code, details={"fields": {name: [message]}})


def _check_vote_type(actor: ConfigurationActor, stored: VoteType | None, new: VoteType | None) -> None:
    election_ids = {vote_type.election_id for vote_type in (stored, new) if vote_type is not None}
    # Read under the election's lock, which the shared steps hold by now.
    for election in Election.objects.filter(pk__in=election_ids).exclude(status=Election.Status.DRAFT):
        message = _(
            "The vote types of “%(election)s” can no longer change: it is %(status)s, and every tally sheet gives "
            "its votes per vote type as they were when it left draft."
        ) % {"election": election, "status": election.get_status_display()}
        raise ConfigurationRefused(message, code="vote_types_frozen")


def _election_of_contest(contest_id: int | None) -> int | None:
    return Contest.objects.filter(pk=contest_id).values_list("election_id", flat=True).first() if contest_id else None


ELECTION = Kind[Election](
    label="election",
    fields=(
        "name",
        "name_ar",
        "slug",
        "date",
        "time_zone",
        "counting_method",
        "counts_blank_and_invalid",
        "counts_undervotes_and_overvotes",
        "double_entry",
    ),
    election_id_of=lambda election: election.pk,
    check=_check_election,
)
VOTE_TYPE = Kind[VoteType](
    label="votetype",
    fields=("election", "code", "name", "name_ar", "nist_type", "position"),
    election_id_of=lambda vote_type: vote_type.election_id,
    check=_check_vote_type,
)
DISTRICT = Kind[District](
    label="district",
    fields=("election", "code", "name", "name_ar", "parent"),
    election_id_of=lambda district: district.election_id,
)
STATION = Kind[PollingStation](
    label="pollingstation",
    fields=("election", "district", "code", "name", "name_ar", "registered_voters", "latitude", "longitude"),
    election_id_of=lambda station: station.election_id,
)
PARTY = Kind[Party](
    label="party",
    fields=("election", "name", "name_ar", "abbreviation", "colour"),
    election_id_of=lambda party: party.election_id,
)
CONTEST = Kind[Contest](
    label="contest",
    fields=(
        "election",
        "name",
        "name_ar",
        "slug",
        "kind",
        "district",
        "electoral_district",
        "seats",
        "max_choices",
        "threshold",
        "position",
    ),
    election_id_of=lambda contest: contest.election_id,
)
CANDIDATE = Kind[Candidate](
    label="candidate",
    fields=("contest", "name_en", "name_ar", "party", "ballot_order", "is_write_in"),
    election_id_of=lambda candidate: _election_of_contest(candidate.contest_id),
)


def create_election(*, election: Election, actor: ConfigurationActor, client_address: str | None = None) -> Election:
    """Add ``election`` (unsaved, a draft with hidden results)."""
    return create_object(election, kind=ELECTION, actor=actor, client_address=client_address)


def change_election(*, election: Election, actor: ConfigurationActor, client_address: str | None = None) -> Election:
    """Store ``election``'s edited name, Arabic name, slug, date, time zone, counting method, what its sheets count
    and double entry.

    Refused once it is certified; the counting method and what its sheets count are refused once it has left draft.
    Its status and results visibility change only through ``open_election``, ``close_election``, ``publish_results``
    and ``certify_election``.
    """
    return change_object(election, kind=ELECTION, actor=actor, client_address=client_address)


def delete_election(*, election: Election, actor: ConfigurationActor, client_address: str | None = None) -> None:
    """Delete ``election`` with its districts, stations, parties, contests and candidates (refused once certified,
    and while entries refer to it)."""
    delete_object(election, kind=ELECTION, actor=actor, client_address=client_address)


def create_vote_type(*, vote_type: VoteType, actor: ConfigurationActor, client_address: str | None = None) -> VoteType:
    """Add ``vote_type`` (unsaved) to its election, while the election is a draft."""
    return create_object(vote_type, kind=VOTE_TYPE, actor=actor, client_address=client_address)


def change_vote_type(*, vote_type: VoteType, actor: ConfigurationActor, client_address: str | None = None) -> VoteType:
    """Store ``vote_type``'s edited fields, while its election is a draft."""
    return change_object(vote_type, kind=VOTE_TYPE, actor=actor, client_address=client_address)


def delete_vote_type(*, vote_type: VoteType, actor: ConfigurationActor, client_address: str | None = None) -> None:
    """Delete ``vote_type``, while its election is a draft (refused while entries refer to it)."""
    delete_object(vote_type, kind=VOTE_TYPE, actor=actor, client_address=client_address)


def create_district(*, district: District, actor: ConfigurationActor, client_address: str | None = None) -> District:
    """Add ``district`` (unsaved) to its election."""
    return create_object(district, kind=DISTRICT, actor=actor, client_address=client_address)


def change_district(*, district: District, actor: ConfigurationActor, client_address: str | None = None) -> District:
    """Store ``district``'s edited fields."""
    return change_object(district, kind=DISTRICT, actor=actor, client_address=client_address)


def delete_district(*, district: District, actor: ConfigurationActor, client_address: str | None = None) -> None:
    """Delete ``district`` and its supervisor assignments (refused while stations, contests or districts are in it)."""
    delete_object(district, kind=DISTRICT, actor=actor, client_address=client_address)


def create_station(
    *, station: PollingStation, actor: ConfigurationActor, client_address: str | None = None
) -> PollingStation:
    """Add ``station`` (unsaved) to its election."""
    return create_object(station, kind=STATION, actor=actor, client_address=client_address)


def change_station(
    *, station: PollingStation, actor: ConfigurationActor, client_address: str | None = None
) -> PollingStation:
    """Store ``station``'s edited fields (its registered voters show on the public pages)."""
    return change_object(station, kind=STATION, actor=actor, client_address=client_address)


def delete_station(*, station: PollingStation, actor: ConfigurationActor, client_address: str | None = None) -> None:
    """Delete ``station`` and its clerk assignments (refused while entries refer to it)."""
    delete_object(station, kind=STATION, actor=actor, client_address=client_address)


def create_party(*, party: Party, actor: ConfigurationActor, client_address: str | None = None) -> Party:
    """Add ``party`` (unsaved) to its election."""
    return create_object(party, kind=PARTY, actor=actor, client_address=client_address)


def change_party(*, party: Party, actor: ConfigurationActor, client_address: str | None = None) -> Party:
    """Store ``party``'s edited fields (its name and colour show on the public pages)."""
    return change_object(party, kind=PARTY, actor=actor, client_address=client_address)


def delete_party(*, party: Party, actor: ConfigurationActor, client_address: str | None = None) -> None:
    """Delete ``party`` (refused while candidates stand for it)."""
    delete_object(party, kind=PARTY, actor=actor, client_address=client_address)


def create_contest(*, contest: Contest, actor: ConfigurationActor, client_address: str | None = None) -> Contest:
    """Add ``contest`` (unsaved) to its election."""
    return create_object(contest, kind=CONTEST, actor=actor, client_address=client_address)


def change_contest(*, contest: Contest, actor: ConfigurationActor, client_address: str | None = None) -> Contest:
    """Store ``contest``'s edited fields."""
    return change_object(contest, kind=CONTEST, actor=actor, client_address=client_address)


def delete_contest(*, contest: Contest, actor: ConfigurationActor, client_address: str | None = None) -> None:
    """Delete ``contest`` and its candidates (refused while entries refer to it)."""
    delete_object(contest, kind=CONTEST, actor=actor, client_address=client_address)


def create_candidate(
    *, candidate: Candidate, actor: ConfigurationActor, client_address: str | None = None
) -> Candidate:
    """Add ``candidate`` (unsaved) to its contest."""
    return create_object(candidate, kind=CANDIDATE, actor=actor, client_address=client_address)


def change_candidate(
    *, candidate: Candidate, actor: ConfigurationActor, client_address: str | None = None
) -> Candidate:
    """Store ``candidate``'s edited fields (the names show on the public pages)."""
    return change_object(candidate, kind=CANDIDATE, actor=actor, client_address=client_address)


def delete_candidate(*, candidate: Candidate, actor: ConfigurationActor, client_address: str | None = None) -> None:
    """Delete ``candidate`` (refused while entries refer to it)."""
    delete_object(candidate, kind=CANDIDATE, actor=actor, client_address=client_address)
