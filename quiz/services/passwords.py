"""Password hashing (argon2id via ``argon2-cffi``), the password rules, and generated passwords.

Only hashes are stored. Verification runs in constant time within argon2, and an unknown
username is checked against a dummy hash so a wrong name costs as long as a wrong password.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 accepts more, but a megabyte "password" is an attack, not a secret
GENERATED_GROUPS = 4
# No 0/O, 1/l/I: generated passwords are read off paper and typed by students.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"

# argon2id with OWASP's first recommended setting (19 MiB, 2 passes, 1 lane): about 25 ms of one
# core per check here. The library's default (RFC 9106's 64 MiB, 3 passes, 4 lanes) cost 180 ms,
# so a class of 500 signing in within a minute kept 1.5 of this machine's 2 cores busy hashing
# (measured with `stride bench class`). Hashes made with other parameters still verify and are
# replaced at the next sign-in (needs_rehash).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = _hasher.hash("not a password anyone has " + secrets.token_hex(8))


class PasswordRuleError(ValueError):
    """A new password that breaks the rules; the message says what is expected."""


def check_password_rules(password: str, username: str = "") -> None:
    """Raise :class:`PasswordRuleError` unless ``password`` is 10–256 characters, not the name."""
    if len(password) < MIN_LENGTH:
        raise PasswordRuleError(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordRuleError(f"A password can have at most {MAX_LENGTH} characters.")
    if username and password.strip().lower() == username.strip().lower():
        raise PasswordRuleError("A password must not be the username.")
    if "\x00" in password:
        raise PasswordRuleError("A password cannot contain a NUL character.")


def hash_password(password: str) -> str:
    """The argon2id hash to store (it embeds its salt and parameters)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing or corrupt hash never matches (but costs the
    same time as a real check)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with older parameters and should be replaced on sign-in."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def generate_password() -> str:
    """A random one-time password such as ``k7dm-q2xe-9hwt-ra4p`` (about 80 bits)."""
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(GENERATED_GROUPS))
    return "-".join(groups)
