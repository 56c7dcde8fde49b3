"""Every text a user can read is translated into Arabic: the catalogue extracted from the code as it is now has no
untranslated or fuzzy message, keeps each message's placeholders, and the compiled catalogue the site loads
(``django.mo``) says the same as ``django.po``.

After adding or changing a text, refresh the catalogue, translate what is new, and compile it (the .mo is kept in
the repository): the commands are ``MAKEMESSAGES`` and ``COMPILEMESSAGES`` below.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

PROJECT_DIR = Path(__file__).resolve().parents[2]
CATALOGUE = Path("locale", "ar", "LC_MESSAGES", "django.po")
IGNORED = ["node_modules", "staticfiles"]
MAKEMESSAGES = ".venv/bin/python manage.py makemessages -l ar --no-obsolete --no-location " + " ".join(
    f"--ignore={name}" for name in IGNORED
)
COMPILEMESSAGES = ".venv/bin/python manage.py compilemessages -l ar --ignore=.venv " + " ".join(
    f"--ignore={name}" for name in IGNORED
)
# The files makemessages reads for the "django" domain.
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# A number that picks each of Arabic's six plural forms: zero, one, two, few (3-10), many (11-99), other.
NUMBER_FOR_FORM = [0, 1, 2, 3, 11, 100]


@dataclass
class Message:
    msgid: str
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: list[str] = field(default_factory=list)
    fuzzy: bool = False


def _unquote(line: str) -> str:
    text = line[line.index('"') + 1 : line.rindex('"')]
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda match: escapes[match.group(1)], text)


def read_catalogue(path: Path) -> list[Message]:
    """The messages of a .po file (not its header, nor obsolete ``#~`` entries)."""
    messages = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        flags = ""
        current = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += line
            elif line.startswith('"') and current:
                fields[current] += _unquote(line)
            elif match := re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) ", line):
                current = match.group(1)
                fields[current] = _unquote(line)
            else:
                current = ""
        if fields.get("msgid"):
            forms = sorted((key for key in fields if key.startswith("msgstr")), key=lambda key: (len(key), key))
            messages.append(
                Message(
                    msgid=fields["msgid"],
                    msgid_plural=fields.get("msgid_plural"),
                    msgctxt=fields.get("msgctxt"),
                    msgstr=[fields[key] for key in forms],
                    fuzzy="fuzzy" in flags,
                )
            )
    return messages


def describe(messages: list[Message]) -> str:
    return "\n".join(f"  {message.msgid!r}" for message in messages)


def copy_sources(destination: Path) -> None:
    """The files makemessages reads, and the catalogue it merges into, copied so the run changes nothing here."""
    for path in PROJECT_DIR.rglob("*"):
        relative = path.relative_to(PROJECT_DIR)
        if any(part.startswith(".") or part in IGNORED for part in relative.parts):
            continue
        if path.is_file() and (path.suffix in SOURCE_SUFFIXES or relative == CATALOGUE):
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination / relative)


@pytest.fixture(scope="module")
def catalogue_of_the_code(tmp_path_factory: pytest.TempPathFactory) -> list[Message]:
    """The Arabic catalogue as ``MAKEMESSAGES`` leaves it for the code as it is now."""
    workdir = tmp_path_factory.mktemp("messages")
    copy_sources(workdir)
    # makemessages reads the current directory and writes into the locale folder that holds it: the copy's own.
    with pytest.MonkeyPatch.context() as patch, override_settings(LOCALE_PATHS=[str(workdir / "locale")]):
        patch.chdir(workdir)
        call_command(
            "makemessages", locale=["ar"], no_obsolete=True, no_location=True, ignore_patterns=IGNORED, verbosity=0
        )
    return read_catalogue(workdir / CATALOGUE)


def test_every_message_of_the_code_is_translated(catalogue_of_the_code: list[Message]) -> None:
    assert len(catalogue_of_the_code) > 100
    untranslated = [message for message in catalogue_of_the_code if not all(message.msgstr)]
    fuzzy = [message for message in catalogue_of_the_code if message.fuzzy]
    assert not untranslated, f"Untranslated (run `{MAKEMESSAGES}`, then translate):\n{describe(untranslated)}"
    assert not fuzzy, f"Fuzzy, to check and translate (after `{MAKEMESSAGES}`):\n{describe(fuzzy)}"


def test_plural_messages_have_all_six_arabic_forms(catalogue_of_the_code: list[Message]) -> None:
    plural = [message for message in catalogue_of_the_code if message.msgid_plural is not None]
    assert [message for message in plural if len(message.msgstr) != len(NUMBER_FOR_FORM)] == []


def keeps_placeholders(message: Message) -> bool:
    """Whether the translation names the placeholders the English gives. A plural form may leave the number out
    ("one row"), but never name one the English does not give, and the last form ("other") names them all."""
    given = set(PLACEHOLDER.findall(message.msgid_plural or message.msgid))
    used = [set(PLACEHOLDER.findall(form)) for form in message.msgstr]
    if message.msgid_plural is None:
        return used == [given]
    return all(form <= given for form in used) and used[-1] == given


def test_translations_keep_the_placeholders(catalogue_of_the_code: list[Message]) -> None:
    """A placeholder lost or misspelt in Arabic raises KeyError, or shows a raw ``%(name)s``, on Arabic pages only."""
    translated = [message for message in catalogue_of_the_code if all(message.msgstr) and not message.fuzzy]
    wrong = [message for message in translated if not keeps_placeholders(message)]
    assert not wrong, f"Placeholders differ from the English:\n{describe(wrong)}"


def shown_by(translations: gettext.GNUTranslations, message: Message) -> list[str]:
    """What ``translations`` give for ``message``: its one text, or each plural form in turn."""
    context, msgid, plural = message.msgctxt, message.msgid, message.msgid_plural
    if plural is None:
        return [translations.pgettext(context, msgid) if context is not None else translations.gettext(msgid)]
    if context is not None:
        return [translations.npgettext(context, msgid, plural, n) for n in NUMBER_FOR_FORM]
    return [translations.ngettext(msgid, plural, n) for n in NUMBER_FOR_FORM]


def test_the_compiled_catalogue_is_the_po_file(tmp_path: Path) -> None:
    """Django reads django.mo, not django.po: a translation added without ``COMPILEMESSAGES`` is never shown."""
    with (PROJECT_DIR / CATALOGUE.with_suffix(".mo")).open("rb") as compiled:
        shipped = gettext.GNUTranslations(compiled)
    messages = read_catalogue(PROJECT_DIR / CATALOGUE)
    stale = []
    for message in messages:
        if message.fuzzy:
            continue
        if shown_by(shipped, message) != message.msgstr:
            stale.append(message)
    assert not stale, f"django.mo differs from django.po (run `{COMPILEMESSAGES}`):\n{describe(stale)}"
    # msgfmt's own checks pass too (the format of each python-format message, the plural header), as compilemessages
    # runs them.
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(tmp_path / "django.mo"), str(PROJECT_DIR / CATALOGUE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
