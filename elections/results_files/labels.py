"""How results files name things, and how VoteTracker names what it makes of them: the rows that are not candidates
(registered voters, ballots cast, undervotes, overvotes, totals), write-in lines, a measure's choices, the columns
that give votes by way of voting, and the codes and names of stations and contests. The parsers, the structure
built from a file and the matching of a file to an election all use these, so a file always matches the structure
built from it."""

from __future__ import annotations

import re
import unicodedata

from django.utils.text import slugify

# Spellings seen in OpenElections files, compared after ``normalise``.
REGISTERED_VOTERS = {"registered voters", "registered voters - total", "registered voters total", "registration"}
BALLOTS_CAST = {
    "ballots cast",
    "ballots cast - total",
    "ballots cast total",
    "total ballots cast",
    "ballots cast total ballots",
    "times cast",
}
# Ballots that marked nothing anywhere: a station-wide count no contest's sheet holds.
BALLOTS_CAST_BLANK = {"ballots cast - blank", "ballots cast blank", "blank ballots cast"}
UNDERVOTES = {"under votes", "undervotes", "under vote", "undervote", "under"}
OVERVOTES = {"over votes", "overvotes", "over vote", "overvote", "over"}
TOTAL_CHOICES = {"total", "totals", "total votes", "total votes cast", "contest total", "votes cast"}
TOTAL_PLACES = {"total", "totals", "county total", "county totals", "grand total", "cumulative"}
WRITE_IN = re.compile(r"\bwrite[- ]?ins?\b|^scatter(ed|ing)?$")
# A measure's choices: the first of each pair goes first on the ballot.
YES_CHOICES = {"yes", "for"}
NO_CHOICES = {"no", "against"}
# "Vote for 2", "vote for not more than three", "Vote for none or one".
VOTE_FOR = re.compile(r"vote for (?:not more than |no more than |up to |none or )?(\d+|one|two|three|four|five|six)")
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}

# Columns that give votes by way of voting, by the NIST count type each stands for. A column whose name (less a
# "_votes" ending) is not here but names a way of voting (see VOTE_TYPE_WORDS) is a type "other".
VOTE_TYPE_COLUMNS = {
    "election_day": "election-day",
    "eday": "election-day",
    "polls": "election-day",
    "early_voting": "early",
    "early": "early",
    "early_vote": "early",
    "advance_voting": "early",
    "advanced_voting": "early",
    "advance_in_person": "early",
    "one_stop": "early",
    "absentee": "absentee",
    "absentee_in_person": "absentee-in-person",
    "mail": "absentee-mail",
    "mail_in": "absentee-mail",
    "by_mail": "absentee-mail",
    "vote_by_mail": "absentee-mail",
    "absentee_mail": "absentee-mail",
    "absentee_by_mail": "absentee-mail",
    "provisional": "provisional",
    "affidavit": "provisional",
    "uocava": "uocava",
    "absentee_military": "uocava",
    "military": "uocava",
    "overseas": "uocava",
}
VOTE_TYPE_WORDS = re.compile(
    r"election_day|early|advance|absentee|mail|provisional|uocava|military|overseas|affidavit|emergency|"
    r"public_counter|counting_board|federal|in_person|polls|one_stop"
)
VOTE_TYPE_SUFFIX = re.compile(r"_votes?$")
CODE_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def normalise(text: str) -> str:
    """``text`` as files are compared: trimmed, inner spaces collapsed, letters folded (case and compatibility)."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def clean(text: str) -> str:
    """``text`` as it is shown: trimmed, inner spaces collapsed."""
    return " ".join(text.split())


def is_write_in(name: str) -> bool:
    return WRITE_IN.search(normalise(name)) is not None


def measure_side(name: str) -> int | None:
    """0 for a measure's "yes" (or "for"), 1 for its "no" (or "against"), None for anything else."""
    key = normalise(name)
    if key in YES_CHOICES:
        return 0
    if key in NO_CHOICES:
        return 1
    return None


def max_choices_of(office: str) -> int:
    """How many choices a ballot may mark, when the office's name says ("Vote for 2"); otherwise one."""
    found = VOTE_FOR.search(normalise(office))
    if found is None:
        return 1
    value = found.group(1)
    return max(1, int(value) if value.isdigit() else NUMBER_WORDS[value])


def column_key(header: str) -> str:
    """A header as the parser compares it: "Early Voting" and "early_voting" alike."""
    return re.sub(r"[\s\-]+", "_", normalise(header))


def vote_type_of_column(column: str) -> str | None:
    """The NIST count type of a column of votes by way of voting, or None when the column is not one."""
    base = VOTE_TYPE_SUFFIX.sub("", column)
    if base in VOTE_TYPE_COLUMNS:
        return VOTE_TYPE_COLUMNS[base]
    if VOTE_TYPE_WORDS.search(base):
        return "other"
    return None


def safe_code(text: str, *, limit: int) -> str:
    """``text`` as a code VoteTracker accepts (letters, digits, dots, dashes, underscores, starting with a letter or
    digit), at most ``limit`` characters; "x" when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    code = CODE_UNSAFE.sub("-", ascii_text.strip()).strip("-_.")
    return code[:limit].rstrip("-_.") or "x"


def station_code(county: str, precinct: str) -> str:
    """The code of the station made for a file's precinct: county and precinct, code-safe, at most 32 characters."""
    precinct_code = safe_code(precinct, limit=32)
    if not county.strip():
        return precinct_code
    return safe_code(f"{safe_code(county, limit=12)}-{precinct_code}", limit=32)


def contest_name(office: str, district: str) -> str:
    """The contest made for a file's office and district: "U.S. House, District 11"."""
    office, district = clean(office), clean(district)
    if not district:
        return office
    if district.isdigit():
        return f"{office}, District {district}"
    return f"{office}, {district}"


def contest_slug(name: str) -> str:
    return slugify(unicodedata.normalize("NFKD", name))[:80].strip("-") or "contest"


def vote_type_name(code: str) -> str:
    """A vote type's name made from its column: "early_voting" → "Early voting"."""
    return code.replace("_", " ").strip().capitalize() or code
