"""Password hashing (argon2id), the password rules, and generated one-time passwords."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher

from quiz.services.passwords import (
    _ALPHABET,
    GENERATED_GROUPS,
    MAX_LENGTH,
    MIN_LENGTH,
    PasswordRuleError,
    check_password_rules,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)

SECRET = "correct horse battery"


@pytest.fixture(scope="module")
def stored() -> str:
    """One real hash, shared: argon2 costs a noticeable fraction of a second per hash."""
    return hash_password(SECRET)


def test_the_hash_is_argon2id_with_its_salt_and_never_the_password(stored: str) -> None:
    assert stored.startswith("$argon2id$v=19$")
    assert SECRET not in stored
    assert stored != SECRET
    # A fresh salt each time: the same password never hashes to the same text.
    assert hash_password(SECRET) != stored


def test_the_hash_uses_the_current_parameters(stored: str) -> None:
    assert needs_rehash(stored) is False
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(SECRET)
    assert needs_rehash(weak) is True
    assert needs_rehash("not a hash at all") is True


def test_the_parameters_are_owasps_and_older_hashes_still_verify(stored: str) -> None:
    """argon2id m=19 MiB, t=2, p=1 (OWASP's first setting); hashes made with the library's
    heavier default (RFC 9106: 64 MiB, t=3, p=4) still sign in, and are replaced then."""
    assert "$m=19456,t=2,p=1$" in stored
    older = PasswordHasher().hash(SECRET)
    assert "$m=65536,t=3,p=4$" in older
    assert verify_password(older, SECRET) is True
    assert needs_rehash(older) is True


def test_the_right_password_verifies_and_others_do_not(stored: str) -> None:
    assert verify_password(stored, SECRET) is True
    assert verify_password(stored, SECRET + " ") is False
    assert verify_password(stored, SECRET.upper()) is False
    assert verify_password(stored, "") is False


def test_an_over_long_password_is_refused_without_hashing(stored: str) -> None:
    assert verify_password(stored, SECRET + "x" * MAX_LENGTH) is False


@pytest.mark.parametrize(
    "broken",
    [
        None,
        "",
        "$argon2id$v=19$m=65536,t=3,p=4$garbage",
        "$2b$12$abcdefghijklmnopqrstuuJ6lZz8Y2eEfGkG1o0.6pYpQK5n5Vq1G",  # bcrypt-shaped
        "plain text",
    ],
)
def test_a_missing_or_corrupt_hash_never_verifies(broken: str | None) -> None:
    assert verify_password(broken, SECRET) is False
    assert verify_password(broken, "") is False


def test_a_hash_truncated_by_one_character_does_not_verify(stored: str) -> None:
    assert verify_password(stored[:-1], SECRET) is False


@pytest.mark.parametrize(
    "password",
    ["a" * MIN_LENGTH, "a" * MAX_LENGTH, "päss wörd 🙂 ok", "1234567890"],
)
def test_passwords_within_the_rules_pass(password: str) -> None:
    check_password_rules(password, username="ann")  # no exception


@pytest.mark.parametrize(
    ("password", "username", "message"),
    [
        ("", "", f"at least {MIN_LENGTH} characters"),
        ("a" * (MIN_LENGTH - 1), "", f"at least {MIN_LENGTH} characters"),
        ("a" * (MAX_LENGTH + 1), "", f"at most {MAX_LENGTH} characters"),
        ("student.one", "student.one", "must not be the username"),
        (" Student.One ", "student.one", "must not be the username"),
        ("student.one", " STUDENT.ONE", "must not be the username"),
        ("abcdefghij\x00k", "", "NUL"),
    ],
)
def test_passwords_breaking_the_rules_are_refused(
    password: str, username: str, message: str
) -> None:
    with pytest.raises(PasswordRuleError, match=re.escape(message)):
        check_password_rules(password, username)


def test_the_rule_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        check_password_rules("short")


def test_a_password_containing_the_username_is_allowed() -> None:
    check_password_rules("student.one-is-long", "student.one")


GENERATED = re.compile(rf"[a-z2-9]{{4}}(-[a-z2-9]{{4}}){{{GENERATED_GROUPS - 1}}}")


def test_generated_passwords_have_the_documented_shape() -> None:
    for _ in range(200):
        password = generate_password()
        assert GENERATED.fullmatch(password), password
        assert len(password) == GENERATED_GROUPS * 5 - 1
        assert set(password.replace("-", "")) <= set(_ALPHABET)


def test_generated_passwords_avoid_look_alike_characters() -> None:
    assert not set("01oOlI") & set(_ALPHABET)
    seen = set("".join(generate_password() for _ in range(500)).replace("-", ""))
    assert not seen & set("01oOlI")
    # Over 500 passwords (8,000 characters) every one of the 32 symbols turns up.
    assert seen == set(_ALPHABET)


def test_generated_passwords_are_unique() -> None:
    passwords = [generate_password() for _ in range(5000)]
    assert len(set(passwords)) == len(passwords)


def test_generated_passwords_pass_the_rules() -> None:
    for _ in range(200):
        check_password_rules(generate_password(), username="ann")


def test_a_generated_password_hashes_and_verifies(stored: str) -> None:
    password = generate_password()
    hashed = hash_password(password)
    assert verify_password(hashed, password) is True
    assert verify_password(stored, password) is False
