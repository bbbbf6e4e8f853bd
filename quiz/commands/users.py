"""``stride user``: accounts for classroom mode (``STRIDE_AUTH=password`` or ``oidc``).

stride user add NAME --role instructor|student [--name "Full Name"] [--email ADDRESS] [--section S]
                [--password-stdin | --generate-password | --no-password]
                (default: prompt twice; with STRIDE_AUTH=oidc, no password)
stride user import ROSTER.csv -o PASSWORDS.csv   one-time passwords to a new file
                (columns: username[,display_name][,role][,email][,section])
stride user list                                              username, role, state
stride user reset-password NAME [--password-stdin]            a one-time password, printed once
stride user deactivate NAME | activate NAME
stride user throttled                                         sign-ins slowed or limited now
stride user unlock NAME | --address ADDRESS                   clear them at once

Passwords are never echoed or logged; a generated one is printed once (``add``, ``reset``) or
written once to a file only its owner can read (``import``). Names and addresses are printed
with control characters escaped (:func:`quiz.text_safety.terminal_text`), so a display name
cannot send escape sequences to the administrator's terminal.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import os
import sys
from pathlib import Path

from quiz.config import AuthSettings
from quiz.runtime import Stride
from quiz.scheduling import utc_now
from quiz.services.access import COMMAND_LINE
from quiz.services.accounts import (
    AccountError,
    create_accounts,
    create_user,
    find_account,
    list_accounts,
    reset_password,
    set_active,
    set_password,
)
from quiz.services.passwords import generate_password
from quiz.services.roster import RosterError, parse_roster
from quiz.services.throttle import list_throttled, unlock_account, unlock_address
from quiz.text_safety import spreadsheet_row, terminal_text
from quiz.vocabulary import ROLES


def add_user_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``user add|import|list|reset-password|deactivate|activate`` to ``stride``."""
    user = commands.add_parser("user", help="accounts for classroom mode")
    user.set_defaults(handler=lambda _args, _extra: user.print_help())
    sub = user.add_subparsers(title="user commands", metavar="COMMAND")

    add = sub.add_parser("add", help="create an account (password prompted unless a flag says)")
    add.add_argument("name", help="the username (letters, digits, . _ - @)")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--name", dest="display_name", default="", help="the person's full name")
    add.add_argument(
        "--email",
        default="",
        help="the person's e-mail address (single sign-on links their school account by it)",
    )
    add.add_argument(
        "--section", default="", help="the class section (extensions, the Canvas export)"
    )
    source = add.add_mutually_exclusive_group()
    source.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    source.add_argument(
        "--generate-password",
        action="store_true",
        help="generate a one-time password and print it once (changed at first sign-in)",
    )
    source.add_argument(
        "--no-password",
        action="store_true",
        help="no password: the account signs in with single sign-on only (the default when "
        "STRIDE_AUTH=oidc)",
    )
    add.set_defaults(handler=_user_add)

    roster = sub.add_parser(
        "import",
        help="create the accounts of a roster CSV "
        "(username[,display_name][,role][,email][,section])",
    )
    roster.add_argument("roster", help="the CSV file; its first row names the columns")
    roster.add_argument(
        "-o",
        "--passwords-out",
        required=True,
        help="a new file for the one-time passwords (readable by you only)",
    )
    roster.set_defaults(handler=_user_import)

    listing = sub.add_parser("list", help="every account: username, role, name, state")
    listing.set_defaults(handler=_user_list)

    reset = sub.add_parser("reset-password", help="give an account a new password")
    reset.add_argument("name")
    reset.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the new password from standard input (default: a printed one-time password)",
    )
    reset.set_defaults(handler=_user_reset)

    for verb, active in (("deactivate", False), ("activate", True)):
        command = sub.add_parser(verb, help=f"{verb} an account (a deactivated one cannot sign in)")
        command.add_argument("name")
        command.set_defaults(handler=_user_set_active, active=active)

    throttled = sub.add_parser(
        "throttled", help="accounts and addresses whose sign-ins are slowed or limited now"
    )
    throttled.set_defaults(handler=_user_throttled)
    unlock = sub.add_parser(
        "unlock", help="clear an account's (or an address's) failed sign-ins: it may try at once"
    )
    target = unlock.add_mutually_exclusive_group(required=True)
    target.add_argument("name", nargs="?", help="the account's username")
    target.add_argument("--address", help="a client address instead (e.g. a school's NAT)")
    unlock.set_defaults(handler=_user_unlock)


def _read_password(from_stdin: bool) -> str | None:
    """The password from standard input or a prompt (typed twice); None after a message."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            print("stride: no password on standard input", file=sys.stderr)
            return None
        return password
    if not sys.stdin.isatty():
        print(
            "stride: no terminal to ask for a password; use --password-stdin or "
            "--generate-password",
            file=sys.stderr,
        )
        return None
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password again: "):
        print("stride: the two passwords differ; nothing was changed", file=sys.stderr)
        return None
    return password


def _user_add(args: argparse.Namespace, _extra: list[str]) -> int:

    generated = args.generate_password
    chosen = args.password_stdin or generated or args.no_password
    without = args.no_password or (not chosen and AuthSettings.from_env().single_sign_on)
    password: str | None = None
    if not without:
        password = generate_password() if generated else _read_password(args.password_stdin)
        if password is None:
            return 1
    with Stride.open() as stride:
        try:
            with stride.transaction() as session:
                account = create_user(
                    session,
                    COMMAND_LINE,
                    args.name,
                    args.role,
                    password,
                    utc_now(),
                    display_name=args.display_name,
                    one_time=generated,
                    email=args.email,
                    section=args.section,
                )
        except AccountError as error:
            print(terminal_text(f"stride: {error}; nothing was created"), file=sys.stderr)
            return 1
    print(f"created {account.role} {terminal_text(account.username + _email(account.email))}")
    if password is None:
        print("no password: signs in with single sign-on (STRIDE_AUTH=oidc)")
    if generated:
        print(f"one-time password (shown once, changed at first sign-in): {password}")
    return 0


def _user_import(args: argparse.Namespace, _extra: list[str]) -> int:

    try:
        entries = parse_roster(Path(args.roster).read_bytes())
    except OSError as error:
        print(f"stride: cannot read {args.roster}: {error.strerror}", file=sys.stderr)
        return 1
    except RosterError as error:
        for problem in error.problems:
            print(terminal_text(f"{args.roster}: {problem}"), file=sys.stderr)
        print("nothing was imported", file=sys.stderr)
        return 1
    out = Path(args.passwords_out)
    # The database first (one that cannot be opened leaves no file), then the output file
    # (passwords that cannot be written must not be created).
    with Stride.open() as stride:
        try:
            handle = os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w")
        except FileExistsError:
            print(f"stride: {out} exists; choose a new file for the passwords", file=sys.stderr)
            return 1
        try:
            with handle, stride.transaction() as session:
                rows = [(e.username, e.display_name, e.role, e.email, e.section) for e in entries]
                created, skipped = create_accounts(session, COMMAND_LINE, rows, utc_now())
                writer = csv.writer(handle)
                writer.writerow(["username", "role", "one_time_password"])
                writer.writerows(spreadsheet_row((c.username, c.role, c.password)) for c in created)
                handle.flush()  # on disk before the accounts are committed, or neither
                os.fsync(handle.fileno())
        except (AccountError, OSError) as error:
            out.unlink(missing_ok=True)
            print(terminal_text(f"stride: {error}; nothing was imported"), file=sys.stderr)
            return 1
    print(f"created {len(created)} accounts; one-time passwords are in {out}")
    if skipped:
        print(f"skipped {len(skipped)} existing: {terminal_text(', '.join(skipped))}")
    return 0


def _user_list(_args: argparse.Namespace, _extra: list[str]) -> int:

    with Stride.open() as stride, stride.transaction() as session:
        accounts = list_accounts(session, COMMAND_LINE)
    if not accounts:
        print("no accounts yet; add one with `stride user add NAME --role instructor`")
    for account in accounts:
        flags = [] if account.active else ["deactivated"]
        if account.must_change_password:
            flags.append("one-time password")
        suffix = f"  ({', '.join(flags)})" if flags else ""
        name = terminal_text(f"{account.display_name}{_email(account.email)}".strip())
        print(f"{terminal_text(account.username):<24} {account.role:<10} {name}{suffix}".rstrip())
    return 0


def _email(address: str | None) -> str:
    return f" <{address}>" if address else ""


def _user_reset(args: argparse.Namespace, _extra: list[str]) -> int:

    password = _read_password(True) if args.password_stdin else None
    if args.password_stdin and password is None:
        return 1
    with Stride.open() as stride:
        try:
            with stride.transaction() as session:
                account = find_account(session, COMMAND_LINE, args.name)
                if account is None:
                    print(f"stride: no account {args.name!r}", file=sys.stderr)
                    return 1
                if password is None:
                    password = reset_password(session, COMMAND_LINE, account.user_id, utc_now())
                    name = terminal_text(account.username)
                    print(f"one-time password for {name} (shown once): {password}")
                else:
                    set_password(session, COMMAND_LINE, account.user_id, password)
                    print(f"password of {terminal_text(account.username)} changed")
        except AccountError as error:
            print(terminal_text(f"stride: {error}; nothing was changed"), file=sys.stderr)
            return 1
    return 0


def _user_set_active(args: argparse.Namespace, _extra: list[str]) -> int:

    with Stride.open() as stride:
        try:
            with stride.transaction() as session:
                account = find_account(session, COMMAND_LINE, args.name)
                if account is None:
                    print(f"stride: no account {args.name!r}", file=sys.stderr)
                    return 1
                set_active(session, COMMAND_LINE, account.user_id, args.active)
        except AccountError as error:
            print(terminal_text(f"stride: {error}"), file=sys.stderr)
            return 1
    print(f"{terminal_text(account.username)} {'activated' if args.active else 'deactivated'}")
    return 0


def _user_throttled(_args: argparse.Namespace, _extra: list[str]) -> int:

    with Stride.open() as stride, stride.transaction() as session:
        rows = list_throttled(session, COMMAND_LINE, utc_now(), stride.auth)
    if not rows:
        print("no account or address is being slowed down now")
    for row in rows:
        what = f"{row.kind} {terminal_text(row.name)}"
        parts = [f"{row.failures} failures this hour"]
        parts += [
            f"waits from {terminal_text(c.address or 'a known browser')} until "
            f"{c.until:%Y-%m-%d %H:%M:%S} UTC"
            for c in row.slowed
        ]
        if row.guarded_until is not None:
            parts.append(f"known browsers only until {row.guarded_until:%Y-%m-%d %H:%M:%S} UTC")
        print(f"{what}: {'; '.join(parts)}")
    return 0


def _user_unlock(args: argparse.Namespace, _extra: list[str]) -> int:

    with Stride.open() as stride, stride.transaction() as session:
        if args.address is not None:
            cleared = unlock_address(session, COMMAND_LINE, args.address)
            what = f"address {terminal_text(args.address.strip())}"
        else:
            account = find_account(session, COMMAND_LINE, args.name)
            if account is None:
                print(f"stride: no account {terminal_text(args.name)!r}", file=sys.stderr)
                return 1
            cleared = unlock_account(session, COMMAND_LINE, account.username)
            what = terminal_text(account.username)
    print(f"{what} unlocked" if cleared else f"{what} was not being slowed down")
    return 0
