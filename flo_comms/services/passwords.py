"""Password hashing: libpass's CryptContext on argon2id."""

from __future__ import annotations

from passlib.context import CryptContext

# argon2 (argon2id) hashes new passwords; older schemes listed after it are
# still verified and upgraded on the next successful sign-in.
password_context = CryptContext(
    schemes=["argon2", "pbkdf2_sha256"],
    deprecated=["pbkdf2_sha256"],
    argon2__type="ID",
)


def hash_password(password: str) -> str:
    """Hashes a password with argon2id."""
    return password_context.hash(password)


def verify_and_update(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Checks a password; returns whether it matched and, if due, a new hash to store."""
    return password_context.verify_and_update(password, password_hash)
