"""Sign-in throttling (quiz/services/throttle.py through quiz/services/sign_in.py): waits per
client, budgets per account and address, known browsers, and instructors' unlock.

Time is simulated with the ``now`` parameters; password checks are counted where argon2 runs
(``verify_password`` as the sign-in service calls it), so "how many guesses did N attempts get"
is a number, not a timing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

import quiz.services.passwords as passwords
import quiz.services.sign_in as sign_in_module
import quiz.services.throttle as throttle_module
from quiz.config import AuthSettings
from quiz.runtime import Stride
from quiz.services.access import COMMAND_LINE, Actor, PermissionDenied
from quiz.services.accounts import create_user
from quiz.services.sign_in import (
    WRONG_CREDENTIALS,
    SignInResult,
    check_password,
    read_sign_in,
    record_sign_in,
    sign_in,
)
from quiz.services.throttle import (
    FREE_FAILURES,
    MAX_DELAY,
    SCOPE_ACCOUNT,
    SCOPE_CLIENT,
    SCOPE_DEVICE,
    SCOPE_PAIR,
    delay_after,
    list_throttled,
    unlock_account,
    unlock_address,
)
from quiz.store.models import AuthSession, SignInThrottle
from quiz.vocabulary import ROLE_INSTRUCTOR, ROLE_STUDENT
from tests.support import NOON

AUTH = AuthSettings(mode="password")
PASSWORD = "ann's long password"
WRONG = "wrong password!"
ATTACKER = "203.0.113.66"
HOME = "192.0.2.10"
SCHOOL = "198.51.100.1"  # one NAT address for a whole school
WAIT = "Too many failed sign-ins: wait"
ACCOUNT_GUARDED = "Too many failed sign-ins for this account: for the next"
ADDRESS_GUARDED = "Too many failed sign-ins from this network: for the next"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2id parameters: these tests count checks, not hashing cost."""
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("dummy password for timing"))


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Every password check (argon2 run) a sign-in makes: the hash it was checked against."""
    seen: list[str | None] = []
    real = sign_in_module.verify_password

    def counting(stored: str | None, password: str) -> bool:
        seen.append(stored)
        return real(stored, password)

    monkeypatch.setattr(sign_in_module, "verify_password", counting)
    return seen


@pytest.fixture
def ann(stride: Stride) -> Iterator[int]:
    """A student ``ann`` with :data:`PASSWORD`; yields her id."""
    with stride.transaction() as session:
        account = create_user(session, COMMAND_LINE, "ann", ROLE_STUDENT, PASSWORD, NOON)
    yield account.user_id


@pytest.fixture
def teacher(stride: Stride) -> Actor:
    with stride.transaction() as session:
        account = create_user(session, COMMAND_LINE, "teacher", ROLE_INSTRUCTOR, PASSWORD, NOON)
    return Actor(account.user_id, account.username, account.role)


def attempt(
    stride: Stride,
    username: str,
    password: str,
    at: datetime,
    *,
    client: str = ATTACKER,
    device: str | None = None,
    settings: AuthSettings = AUTH,
) -> SignInResult:
    """One sign-in in its own transaction, as the sign-in route does it."""
    with stride.transaction() as session:
        return sign_in(session, username, password, client, at, settings, device=device)


def row(stride: Stride, scope: str, key: str) -> SignInThrottle | None:
    with stride.transaction() as session:
        found = session.scalar(
            select(SignInThrottle).where(SignInThrottle.scope == scope, SignInThrottle.key == key)
        )
        session.expunge_all()
    return found


def pair(stride: Stride, username: str, client: str) -> SignInThrottle | None:
    return row(stride, SCOPE_PAIR, f"{username}\n{client}")


def known_browser(stride: Stride, username: str, at: datetime, client: str = HOME) -> str:
    """Sign in once with the right password; the browser's device token (its cookie)."""
    result = attempt(stride, username, PASSWORD, at, client=client)
    assert result.ok and result.device is not None
    return result.device


def spend_account_budget(
    stride: Stride, username: str, start: datetime, guesses: int = AUTH.account_failure_budget
) -> datetime:
    """An attacker rotating addresses: one wrong guess from each new address, every 10 s
    (by default until the account's budget is spent); returns the moment of the last guess."""
    at = start
    for number in range(guesses):
        at = start + timedelta(seconds=10 * number)
        result = attempt(stride, username, WRONG, at, client=f"10.0.{number // 250}.{number % 250}")
        assert result.message.startswith(WRONG_CREDENTIALS), result.message
    return at


# --- the owner is never locked out by someone else ------------------------------------------------


def test_the_owner_signs_in_from_a_fresh_address_while_an_attacker_is_slowed(
    stride: Stride, ann: int, checks: list[str | None]
) -> None:
    """Yesterday five wrong passwords locked the account for 15 minutes, for its owner too."""
    at = NOON
    for failures in range(1, 11):  # ten wrong guesses, each as soon as allowed
        assert attempt(stride, "ann", WRONG, at).message.startswith(WRONG_CREDENTIALS)
        at += delay_after(failures)
    refused = attempt(stride, "ann", PASSWORD, at - timedelta(seconds=1))
    assert refused.message.startswith(WAIT)  # the attacker's address waits …
    assert len(checks) == 10  # … and its early try was not checked

    owner = attempt(stride, "ann", PASSWORD, at - timedelta(seconds=1), client=HOME)
    assert owner.ok, owner.message  # … while the owner, elsewhere, is checked as usual
    assert len(checks) == 11
    assert attempt(stride, "ann", PASSWORD, NOON + timedelta(seconds=1), client=SCHOOL).ok
    # The owner's success does not help the attacker: its address still waits.
    assert attempt(stride, "ann", WRONG, at - timedelta(seconds=1)).message.startswith(WAIT)


def test_the_owner_on_a_known_browser_gets_in_behind_the_attackers_own_address(
    stride: Stride, ann: int
) -> None:
    """A classmate guessing from the school's one address slows that address for ann; ann's
    own browser, which has signed in before, is a client of its own."""
    device = known_browser(stride, "ann", NOON - timedelta(days=1), client=SCHOOL)
    at = NOON
    for failures in range(1, 13):
        attempt(stride, "ann", WRONG, at, client=SCHOOL)
        at += delay_after(failures)
    during = at - timedelta(minutes=1)
    assert attempt(stride, "ann", PASSWORD, during, client=SCHOOL).message.startswith(WAIT)
    assert attempt(stride, "ann", PASSWORD, during, client=SCHOOL, device=device).ok


def test_a_spent_account_budget_lets_only_known_browsers_in_until_the_hour_ends(
    stride: Stride, ann: int, checks: list[str | None]
) -> None:
    device = known_browser(stride, "ann", NOON - timedelta(days=2))
    checks.clear()
    last = spend_account_budget(stride, "ann", NOON)
    assert len(checks) == AUTH.account_failure_budget
    budget = row(stride, SCOPE_ACCOUNT, "ann")
    assert budget is not None and budget.locked_until == NOON + AUTH.throttle_window

    later = last + timedelta(minutes=5)
    for client in ("10.9.9.9", HOME):  # a new address, even the owner's usual one: refused
        refused = attempt(stride, "ann", PASSWORD, later, client=client)
        assert (
            refused.message.startswith(ACCOUNT_GUARDED)
            and "unless an instructor" in refused.message
        )
    assert len(checks) == AUTH.account_failure_budget  # refused without a check
    assert attempt(stride, "ann", PASSWORD, later, client="10.9.9.9", device=device).ok
    assert not attempt(stride, "ann", PASSWORD, later, device="forged" + device[6:]).ok

    assert attempt(stride, "ann", PASSWORD, NOON + AUTH.throttle_window, client="10.9.9.9").ok


def test_known_browsers_belong_to_one_account(stride: Stride, ann: int) -> None:
    with stride.transaction() as session:
        create_user(session, COMMAND_LINE, "bob", ROLE_STUDENT, PASSWORD, NOON)
    device = known_browser(stride, "ann", NOON - timedelta(days=1))
    spend_account_budget(stride, "bob", NOON)
    later = NOON + timedelta(minutes=10)
    refused = attempt(stride, "bob", PASSWORD, later, client=HOME, device=device)
    assert refused.message.startswith(ACCOUNT_GUARDED)  # ann's browser is not bob's
    # The same browser becomes bob's too once bob signs in on it, and stays ann's.
    assert attempt(stride, "bob", PASSWORD, NOON + AUTH.throttle_window, device=device).device == (
        device
    )
    assert attempt(stride, "ann", PASSWORD, later, device=device).ok


def test_a_browser_is_known_for_ninety_days_after_its_last_sign_in(
    stride: Stride, ann: int
) -> None:
    device = known_browser(stride, "ann", NOON - AUTH.known_device_lifetime)
    spend_account_budget(stride, "ann", NOON)
    refused = attempt(stride, "ann", PASSWORD, NOON + timedelta(minutes=10), device=device)
    assert refused.message.startswith(
        ACCOUNT_GUARDED
    )  # forgotten: its last sign-in was too long ago


def test_a_sign_in_keeps_the_browsers_token_or_gives_it_one(stride: Stride, ann: int) -> None:
    first = attempt(stride, "ann", PASSWORD, NOON).device
    assert first is not None and len(first) == 43
    assert attempt(stride, "ann", PASSWORD, NOON, device=first).device == first
    for bad in ("", "short", "x" * 43 + "y", "é" * 43, "a b" + "c" * 40):
        renewed = attempt(stride, "ann", PASSWORD, NOON, device=bad).device
        assert renewed not in (None, bad, first)
    assert attempt(stride, "nobody", PASSWORD, NOON).device is None
    with stride.transaction() as session:
        keys = set(
            session.scalars(select(SignInThrottle.key).where(SignInThrottle.scope == SCOPE_DEVICE))
        )
    assert all(key.startswith("ann\n") and first not in key for key in keys)  # hashes only


# --- how fast anyone can guess --------------------------------------------------------------------


def test_two_failures_are_free_then_each_waits_twice_as_long_up_to_15_minutes(
    stride: Stride,
) -> None:
    at, waits = NOON, []
    for failures in range(1, 16):
        result = attempt(stride, "nobody", WRONG, at)
        assert result.message.startswith(WRONG_CREDENTIALS)
        waits.append(delay_after(failures))
        if failures > 2:
            refused = attempt(stride, "nobody", WRONG, at)
            assert refused.message.startswith(WAIT)
        at += delay_after(failures)
    seconds = [int(w.total_seconds()) for w in waits]
    assert seconds == [0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]
    assert max(waits) == MAX_DELAY
    stored = pair(stride, "nobody", ATTACKER)
    assert stored is not None and stored.failures == 15  # the refused tries were not counted


def test_the_wait_messages_say_how_long(stride: Stride, ann: int) -> None:
    at = NOON
    for _ in range(3):
        last = attempt(stride, "ann", WRONG, at)
    assert last.message == f"{WRONG_CREDENTIALS} {WAIT} 2 s before trying again."
    assert attempt(stride, "ann", PASSWORD, at + timedelta(milliseconds=1500)).message == (
        f"{WAIT} 1 s before trying again."
    )
    at += timedelta(seconds=2)
    for failures in range(4, 12):
        attempt(stride, "ann", WRONG, at)
        at += delay_after(failures)
    assert attempt(stride, "ann", PASSWORD, at - delay_after(11)).message == (
        f"{WAIT} 9 minutes before trying again."
    )
    assert attempt(stride, "ann", PASSWORD, at).ok


def test_one_address_gets_at_most_14_checks_in_the_first_hour_then_4_an_hour(
    stride: Stride, ann: int, checks: list[str | None]
) -> None:
    """An attacker at one address trying every 20 s, and at every moment its wait ends."""
    hours = 3
    moments = {NOON + timedelta(seconds=20 * n) for n in range(hours * 180)}
    per_hour = [0] * hours
    at, end = NOON, NOON + timedelta(hours=hours)
    while at < end:
        before = len(checks)
        result = attempt(stride, "ann", WRONG, at)
        if len(checks) > before:
            per_hour[int((at - NOON).total_seconds() // 3600)] += 1
            assert result.message.startswith(WRONG_CREDENTIALS)
        else:
            assert result.message.startswith(WAIT)
        stored = pair(stride, "ann", ATTACKER)
        assert stored is not None
        ready = stored.retry_after or at
        moments.add(max(ready, at + timedelta(seconds=1)))
        at = min(m for m in moments if m > at)
    assert per_hour == [14, 4, 4]
    assert sum(per_hour) == len(checks)
    # The account's budget (20 an hour) was never reached by this one address.
    assert not attempt(stride, "ann", PASSWORD, end, client=HOME).message.startswith(
        ACCOUNT_GUARDED
    )


@pytest.mark.slow  # hundreds of sign-ins, each an argon2 check
def test_an_attacker_rotating_addresses_gets_at_most_the_accounts_budget_an_hour(
    stride: Stride, ann: int, checks: list[str | None]
) -> None:
    """A new address for every guess, one guess every 10 s, for three hours."""
    per_hour = [0, 0, 0]
    for number in range(3 * 360):
        at = NOON + timedelta(seconds=10 * number)
        before = len(checks)
        result = attempt(stride, "ann", WRONG, at, client=f"10.{number // 250}.{number % 250}.1")
        if len(checks) > before:
            per_hour[number // 360] += 1
        else:
            assert result.message.startswith(ACCOUNT_GUARDED)
    assert per_hour == [AUTH.account_failure_budget] * 3
    assert len(checks) == 3 * AUTH.account_failure_budget


def test_a_spraying_address_is_limited_to_known_browsers_after_its_budget(
    stride: Stride, ann: int, checks: list[str | None]
) -> None:
    """One guess at each of many names from one address (password spraying)."""
    settings = AuthSettings(mode="password", client_failure_budget=50)
    device = known_browser(stride, "ann", NOON - timedelta(days=1), client=SCHOOL)
    checks.clear()
    for number in range(80):
        attempt(stride, f"user{number}", WRONG, NOON, client=SCHOOL, settings=settings)
    assert len(checks) == 50
    refused = attempt(stride, "ann", PASSWORD, NOON, client=SCHOOL, settings=settings)
    assert refused.message.startswith(ADDRESS_GUARDED)
    assert attempt(
        stride, "ann", PASSWORD, NOON, client=SCHOOL, device=device, settings=settings
    ).ok
    assert attempt(stride, "ann", PASSWORD, NOON, client=HOME, settings=settings).ok
    later = NOON + settings.throttle_window
    assert attempt(stride, "ann", PASSWORD, later, client=SCHOOL, settings=settings).ok


@pytest.mark.slow  # hundreds of sign-ins, each an argon2 check
def test_a_hundred_students_behind_one_address_with_typos_all_sign_in(
    stride: Stride, checks: list[str | None]
) -> None:
    """Yesterday the twentieth failure from one address locked the whole class out."""
    with stride.transaction() as session:
        for number in range(100):
            create_user(session, COMMAND_LINE, f"s{number}", ROLE_STUDENT, PASSWORD, NOON)
    at = NOON
    for number in range(100):
        name = f"s{number}"
        for typo in range(1, 4):  # three typos each: the third makes that student wait 2 s
            result = attempt(stride, name, PASSWORD + "x", at, client=SCHOOL)
            assert result.message.startswith(WRONG_CREDENTIALS), (name, result.message)
            at += delay_after(typo)
        signed_in = attempt(stride, name, PASSWORD, at, client=SCHOOL)
        assert signed_in.ok, (name, signed_in.message)
        at += timedelta(seconds=1)
    assert at - NOON < AUTH.throttle_window
    address = row(stride, SCOPE_CLIENT, SCHOOL)
    assert address is not None and address.failures == 300  # failures only …
    assert address.locked_until is None  # … far below its budget
    assert len(checks) == 400  # every attempt was checked: nobody was turned away


def test_successes_never_count_against_an_address(stride: Stride, ann: int) -> None:
    settings = AuthSettings(mode="password", client_failure_budget=3)
    for minute in range(50):
        assert attempt(
            stride, "ann", PASSWORD, NOON + timedelta(minutes=minute), settings=settings
        ).ok
    assert row(stride, SCOPE_CLIENT, ATTACKER) is None
    attempt(stride, "nobody", WRONG, NOON, settings=settings)
    assert attempt(stride, "ann", PASSWORD, NOON, settings=settings).ok
    stored = row(stride, SCOPE_CLIENT, ATTACKER)
    assert stored is not None and stored.failures == 1  # and a success does not reset it


def test_a_success_forgets_the_clients_failures_but_not_the_accounts(
    stride: Stride, ann: int
) -> None:
    for _ in range(2):
        attempt(stride, "ann", WRONG, NOON, client=HOME)
    assert attempt(stride, "ann", PASSWORD, NOON, client=HOME).ok
    assert pair(stride, "ann", HOME) is None
    budget = row(stride, SCOPE_ACCOUNT, "ann")
    assert budget is not None and budget.failures == 2  # an attacker gains no fresh budget


def test_a_client_is_forgiven_after_a_quiet_hour(stride: Stride, ann: int) -> None:
    at = NOON
    for failures in range(1, 8):
        attempt(stride, "ann", WRONG, at)
        at += delay_after(failures)
    last = at - delay_after(7)
    still = attempt(
        stride, "ann", WRONG, last + AUTH.throttle_window
    )  # within the hour: counted on
    assert still.message.startswith(WRONG_CREDENTIALS)
    stored = pair(stride, "ann", ATTACKER)
    assert stored is not None and stored.failures == 8
    quiet = last + 2 * AUTH.throttle_window + timedelta(seconds=1)
    assert attempt(stride, "ann", WRONG, quiet).message == WRONG_CREDENTIALS
    stored = pair(stride, "ann", ATTACKER)
    assert stored is not None and (stored.failures, stored.retry_after) == (1, None)


def test_the_messages_do_not_tell_an_unknown_user_from_a_known_one(
    stride: Stride, ann: int
) -> None:
    def messages(username: str) -> list[str]:
        out, at = [], NOON
        for number in range(AUTH.account_failure_budget + 2):
            client = f"{username}-{number % 3}"
            out.append(attempt(stride, username, WRONG, at, client=client).message)
            at += timedelta(seconds=70)
        return out

    known, unknown = messages("ann"), messages("nobody")
    assert known == unknown
    assert known[0] == WRONG_CREDENTIALS
    assert any(m.startswith(f"{WRONG_CREDENTIALS} {WAIT}") for m in known)
    assert known[AUTH.account_failure_budget - 1].startswith(
        f"{WRONG_CREDENTIALS} {ACCOUNT_GUARDED}"
    )


# --- concurrent attempts ----------------------------------------------------------------------


def test_a_guess_racing_one_that_set_a_wait_is_refused_uncounted_even_when_right(
    stride: Stride, ann: int
) -> None:
    """Two requests read the throttle before either wrote; the first failure sets a wait, so
    the second — the right password — learns nothing: the wait's message, no session, no count."""
    for _ in range(2):
        attempt(stride, "ann", WRONG, NOON)
    with stride.transaction() as session:
        wrong = check_password(read_sign_in(session, "ann", ATTACKER, NOON), WRONG)
        right = check_password(read_sign_in(session, "ann", ATTACKER, NOON), PASSWORD)
    assert right.user_id is not None  # the password was right
    with stride.transaction() as session:
        first = record_sign_in(session, wrong, NOON, AUTH)
    with stride.transaction() as session:
        second = record_sign_in(session, right, NOON, AUTH)
    assert first.message.startswith(f"{WRONG_CREDENTIALS} {WAIT}")
    assert not second.ok and second.message.startswith(WAIT)
    stored = pair(stride, "ann", ATTACKER)
    assert stored is not None and stored.failures == 3
    with stride.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuthSession)) == 0


def test_parallel_guesses_get_no_more_answers_than_sequential_ones(
    stride: Stride, ann: int, checks: list[str | None]
) -> None:
    """Twelve guesses at once on a new account, address and client, as the sign-in route runs
    them (a read, argon2 outside any transaction, then a write of its own): all twelve are
    checked, but only the two free failures and the one that sets the wait get an answer; the
    others get the wait and are not counted (the first failures insert the rows the others'
    locked reads then take turns on)."""
    ready = threading.Barrier(12)

    def one(_: int) -> SignInResult:
        with stride.transaction() as session:
            facts = read_sign_in(session, "ann", ATTACKER, NOON)
        checked = check_password(facts, WRONG)
        ready.wait()  # every request has read the throttle before any records its outcome
        return stride.write(lambda session: record_sign_in(session, checked, NOON, AUTH))

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(one, range(12)))
    assert len(checks) == 12
    answered = [r for r in results if r.message.startswith(WRONG_CREDENTIALS)]
    assert len(answered) == FREE_FAILURES + 1
    assert sum(r.message.startswith(WAIT) for r in results) == 12 - len(answered)
    for scope, key in (
        (SCOPE_PAIR, f"ann\n{ATTACKER}"),
        (SCOPE_ACCOUNT, "ann"),
        (SCOPE_CLIENT, ATTACKER),
    ):
        stored = row(stride, scope, key)
        assert stored is not None and stored.failures == len(answered), scope


def test_a_failure_racing_another_servers_insert_is_counted_on_the_stored_row(
    stride: Stride, ann: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another server stored the pair's row between this one's read and its insert: the
    failure goes onto that row, with its wait."""
    attempt(stride, "ann", WRONG, NOON)
    attempt(stride, "ann", WRONG, NOON)
    real = throttle_module._stored
    missed: list[str] = []

    def stale(session, scope, key, *, lock=False):  # type: ignore[no-untyped-def]
        # Both locked reads of the pair (the refusal's, then the update's) miss the row.
        if scope == SCOPE_PAIR and lock and len(missed) < 2:
            missed.append(key)
            return None
        return real(session, scope, key, lock=lock)

    monkeypatch.setattr(throttle_module, "_stored", stale)
    with stride.transaction() as session:
        facts = read_sign_in(session, "ann", ATTACKER, NOON)
        record_sign_in(session, check_password(facts, WRONG), NOON, AUTH)
    monkeypatch.undo()
    assert len(missed) == 2
    stored = pair(stride, "ann", ATTACKER)
    assert stored is not None and stored.failures == 3
    assert stored.retry_after == NOON + timedelta(seconds=2)


# --- instructors see and unlock -------------------------------------------------------------------


def test_instructors_list_the_accounts_and_addresses_held_back(
    stride: Stride, ann: int, teacher: Actor
) -> None:
    at = NOON
    for failures in range(1, 6):
        attempt(stride, "ann", WRONG, at)
        at += delay_after(failures)
    for number in range(3):
        attempt(stride, f"ghost{number}", WRONG, at)  # names that are no account: not listed
    settings = AuthSettings(mode="password", client_failure_budget=4)
    for number in range(4):
        attempt(stride, f"user{number}", WRONG, at, client=SCHOOL, settings=settings)
    now = at - timedelta(seconds=1)
    with stride.transaction() as session:
        listed = list_throttled(session, teacher, now, settings)
    assert [(t.kind, t.name) for t in listed] == [("account", "ann"), ("address", SCHOOL)]
    account, address = listed
    assert account.failures == 5 and not account.known_browsers_only
    assert [(c.address, c.failures, c.until) for c in account.slowed] == [(ATTACKER, 5, at)]
    assert account.until == at
    assert (address.failures, address.until) == (4, at + settings.throttle_window)
    assert address.known_browsers_only
    with stride.transaction() as session:
        assert list_throttled(session, teacher, at, settings)[0].kind == "address"  # wait over


def test_unlocking_an_account_clears_its_waits_and_budget(
    stride: Stride, ann: int, teacher: Actor, checks: list[str | None]
) -> None:
    at = NOON
    for failures in range(1, 11):  # ann forgot her password at home: that address waits …
        attempt(stride, "ann", WRONG, at, client=HOME)
        at += delay_after(failures)
    last = spend_account_budget(stride, "ann", at - timedelta(minutes=4), guesses=10)
    later = last + timedelta(seconds=5)  # … and then the budget was spent from elsewhere
    assert attempt(stride, "ann", PASSWORD, later, client=HOME).message.startswith(ACCOUNT_GUARDED)
    with stride.transaction() as session:
        (listed,) = list_throttled(session, teacher, later, AUTH)
        assert (listed.name, listed.failures, listed.known_browsers_only) == ("ann", 20, True)
        assert [c.address for c in listed.slowed] == [HOME]
        assert unlock_account(session, teacher, " ANN ") == 12  # the budget, its 11 clients
        assert list_throttled(session, teacher, later, AUTH) == []
    assert pair(stride, "ann", HOME) is None and row(stride, SCOPE_ACCOUNT, "ann") is None
    assert attempt(stride, "ann", PASSWORD, later, client=HOME).ok
    assert attempt(stride, "ann", PASSWORD, later, client="10.0.0.1").ok


def test_unlocking_an_address_clears_it_and_the_waits_from_it(
    stride: Stride, ann: int, teacher: Actor
) -> None:
    settings = AuthSettings(mode="password", client_failure_budget=5)
    for name in ("ann", "ann", "ann", "bob", "eve"):
        attempt(stride, name, WRONG, NOON, client=SCHOOL, settings=settings)
    refused = attempt(stride, "ann", PASSWORD, NOON, client=SCHOOL, settings=settings)
    assert refused.message.startswith(ADDRESS_GUARDED)
    with stride.transaction() as session:
        # the address, and the waits of ann, bob and eve there (not bob's elsewhere)
        assert unlock_address(session, teacher, SCHOOL) == 4
    assert attempt(stride, "ann", PASSWORD, NOON, client=SCHOOL, settings=settings).ok


def test_unlocking_one_account_leaves_a_lookalike_name_alone(
    stride: Stride, teacher: Actor
) -> None:
    """``_`` is a wildcard in SQL's LIKE: unlocking ``a_b`` must not touch ``axb``."""
    for name in ("a_b", "axb", "a_b.c"):
        with stride.transaction() as session:
            create_user(session, COMMAND_LINE, name, ROLE_STUDENT, PASSWORD, NOON)
        for _ in range(4):
            attempt(stride, name, WRONG, NOON)
    with stride.transaction() as session:
        unlock_account(session, teacher, "a_b")
    assert pair(stride, "a_b", ATTACKER) is None
    assert pair(stride, "axb", ATTACKER) is not None
    assert pair(stride, "a_b.c", ATTACKER) is not None


def test_a_student_can_neither_list_nor_unlock(stride: Stride, ann: int) -> None:
    for _ in range(5):
        attempt(stride, "ann", WRONG, NOON)
    student = Actor(ann, "ann", ROLE_STUDENT)
    with stride.transaction() as session:
        with pytest.raises(PermissionDenied):
            list_throttled(session, student, NOON, AUTH)
        with pytest.raises(PermissionDenied):
            unlock_account(session, student, "ann")
        with pytest.raises(PermissionDenied):
            unlock_address(session, student, ATTACKER)
    assert pair(stride, "ann", ATTACKER) is not None  # nothing was cleared
    assert attempt(stride, "ann", PASSWORD, NOON).message.startswith(WAIT)


def test_rows_that_hold_nothing_back_are_pruned_as_failures_come(stride: Stride) -> None:
    for number in range(5):
        attempt(stride, f"old{number}", WRONG, NOON, client=f"10.1.1.{number}")
    with stride.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SignInThrottle)) == 15
    later = NOON + AUTH.throttle_window + timedelta(minutes=1)
    for number in range(3):
        attempt(stride, "new", WRONG, later + timedelta(seconds=number))
    with stride.transaction() as session:
        keys = set(session.scalars(select(SignInThrottle.key)))
    assert not any(key.startswith("old") or key.startswith("10.1.1.") for key in keys)
    assert {"new", ATTACKER, f"new\n{ATTACKER}"} <= keys


# --- the command line -----------------------------------------------------------------------------


def test_stride_user_throttled_and_unlock(
    stride: Stride,
    ann: int,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from quiz.cli import main
    from quiz.scheduling import utc_now

    monkeypatch.setenv("STRIDE_DATABASE_URL", database_url)
    monkeypatch.setenv("STRIDE_AUTH", "password")
    now = utc_now()
    at = now - timedelta(minutes=20)
    for failures in range(1, 13):  # the last wait (15 minutes) ends in about 12 minutes
        attempt(stride, "ann", WRONG, at, client=ATTACKER)
        at += delay_after(failures)
    capsys.readouterr()
    assert main(["user", "throttled"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("account ann: ") and f"waits from {ATTACKER} until" in out

    assert main(["user", "unlock", "ann"]) == 0
    assert capsys.readouterr().out == "ann unlocked\n"
    assert attempt(stride, "ann", PASSWORD, now).ok
    assert main(["user", "unlock", "ann"]) == 0
    assert capsys.readouterr().out == "ann was not being slowed down\n"
    assert main(["user", "unlock", "nobody"]) == 1
    assert "no account 'nobody'" in capsys.readouterr().err
    assert main(["user", "unlock", "--address", ATTACKER]) == 0  # its count of failures
    assert capsys.readouterr().out == f"address {ATTACKER} unlocked\n"
    assert main(["user", "unlock", "--address", ATTACKER]) == 0
    assert capsys.readouterr().out == f"address {ATTACKER} was not being slowed down\n"
    assert main(["user", "throttled"]) == 0
    assert capsys.readouterr().out == "no account or address is being slowed down now\n"
