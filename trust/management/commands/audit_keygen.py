"""``manage.py audit_keygen``: make the Ed25519 key pair that signs the audit log's checkpoints."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError, CommandParser

from trust.checkpoints import key_id


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a file that must not exist yet: a key is never overwritten by mistake."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


class Command(BaseCommand):
    help = (
        "Make an Ed25519 key pair for audit checkpoints: the private key (PEM, readable by its owner only) signs "
        "them and belongs offline, away from the server; the public key verifies them and may be given to anyone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--private-key", type=Path, required=True, help="File to create for the private key.")
        parser.add_argument("--public-key", type=Path, required=True, help="File to create for the public key.")

    def handle(self, *args: Any, **options: Any) -> None:
        private_path: Path = options["private_key"]
        public_path: Path = options["public_key"]
        for path in (private_path, public_path):
            if path.exists():
                raise CommandError(f"{path} exists already; a key is never overwritten.")
        private_key = Ed25519PrivateKey.generate()
        private_pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        public_pem = private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        try:
            _write_new_file(private_path, private_pem, 0o600)
            _write_new_file(public_path, public_pem, 0o644)
        except OSError as error:
            raise CommandError(f"Cannot write the key: {error}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Key {key_id(private_key.public_key())}: private key in {private_path}, public key in {public_path}."
            )
        )
