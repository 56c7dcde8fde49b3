"""The files the embedded mode keeps beside the code: its secret key and its SQLite database. Both are readable by
their owner only, from the moment they exist."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

PRIVATE_FILE_MODE = 0o600


def create_private_file(path: Path) -> int | None:
    """Create ``path`` with mode 0600 and return its descriptor, or None when it exists already (then its mode is
    narrowed to 0600 if it was wider). Creating it with the mode, rather than narrowing it after writing, leaves no
    moment in which another user could open it."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(PRIVATE_FILE_MODE)
        except OSError:
            pass  # another user's file (only its owner can change its mode), or a link to nothing: reading it fails
        return None


def embedded_secret_key(base_dir: Path) -> str:
    """A random key kept in ``.secret_key`` beside the SQLite file, so sessions survive a restart without any setup."""
    key_file = base_dir / ".secret_key"
    descriptor = create_private_file(key_file)
    if descriptor is None:
        return _read_secret_key_file(key_file)
    key = secrets.token_urlsafe(50)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(key)
    return key


def _read_secret_key_file(key_file: Path) -> str:
    # Another process starting at the same moment may have created the file and not yet written its key.
    for _attempt in range(50):
        try:
            key = key_file.read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"SECRET_KEY: cannot read {key_file} ({exc.strerror}); set SECRET_KEY") from exc
        if key:
            return key
        time.sleep(0.1)
    raise ImproperlyConfigured(f"SECRET_KEY: {key_file} is empty; delete it to have a new key made, or set SECRET_KEY")


def keep_sqlite_file_private(database: dict[str, Any]) -> None:
    """Create the SQLite file (password hashes, sessions, every entry) with mode 0600 before SQLite opens it, or narrow
    the mode of one made before; SQLite gives its journal files the mode of the database file."""
    name = str(database.get("NAME") or "")
    if database["ENGINE"] != "django.db.backends.sqlite3" or not name or name == ":memory:" or name.startswith("file:"):
        return
    try:
        descriptor = create_private_file(Path(name))
    except OSError:
        return  # a folder this process cannot write to: SQLite says so itself when it opens the file
    if descriptor is not None:
        os.close(descriptor)
