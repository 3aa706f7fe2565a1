"""`batchtrack user`: create, list, deactivate and reactivate users, change their roles, reset their passwords, and
issue, list and revoke their API tokens.

Commands act as the system, which cannot sign: each change is recorded in the audit trail with the reason given
(`--reason`, required wherever the change is not a creation or a new token).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session

from batchtrack.commands import context, language
from batchtrack.commands.language import Refused, say
from batchtrack.config import Settings
from batchtrack.i18n import terminal
from batchtrack.i18n.text import Text, _
from batchtrack.models.user import Role

T = TypeVar("T")
ROLE_CHOICE = click.Choice([r.value for r in Role])
REASON = click.option("--reason", required=True, help="Why: recorded in the audit trail with the change.")


def _refused(exc: Any) -> Refused:
    """A refusal as the command's error, in its language: the message, then every reason on a line of its own."""
    lines = [language.shown(exc.text), *(f"  - {language.shown(r.text)} ({r.code})" for r in exc.reasons)]
    return Refused("\n".join(lines))


@contextmanager
def _database() -> Iterator[Any]:
    settings = context.settings()
    database = context.database(settings)
    try:
        context.require_current_schema(database)
        yield settings, database
    finally:
        database.dispose()


def _run(work: Callable[[Session, Any], T], *, write: bool = True) -> T:
    """Run `work(session, settings)` in one transaction; a refusal ends the command with its reasons."""
    from batchtrack.errors import BatchtrackError

    with _database() as (settings, database):
        try:
            with database.transaction(write=write) as session:
                return work(session, settings)
        except BatchtrackError as exc:
            raise _refused(exc) from exc


@click.group(cls=language.Group)
def user() -> None:
    """Manage users, their roles and passwords, and their API tokens."""


@user.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Printed name, as shown on signatures.")
@click.option("--role", "roles", multiple=True, required=True, type=ROLE_CHOICE, help="A role; repeat for several.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.option("--reason", default="created from the command line", show_default=True,
              help="Why: recorded in the audit trail.")
def user_create(username: str, full_name: str, roles: tuple[str, ...], password_stdin: bool, reason: str) -> None:
    """Create a user. The password is prompted for (or read from stdin), never given as an argument; it must meet
    the password rules (length, not common, not containing the user name)."""
    from batchtrack.accounts import service as account_service
    from batchtrack.auth.principal import SYSTEM

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(language.shown(_("Password")), hide_input=True,
                                confirmation_prompt=language.shown(_("Repeat for confirmation")))
    _run(lambda session, settings: account_service.create(
        session=session, settings=settings, actor=SYSTEM, username=username, full_name=full_name, roles=roles,
        reason=reason, password=password))
    say(_("user {username} created with roles: {roles}", username=username.lower(), roles=", ".join(sorted(roles))))


@user.command("list")
@click.option("--role", type=ROLE_CHOICE, default=None, help="Only users holding this role.")
@click.option("--state", type=click.Choice(["active", "inactive", "locked"]), default=None,
              help="Only users in this state.")
def user_list(role: str | None, state: str | None) -> None:
    """List users: user name, printed name, roles, state and last sign-in."""
    from batchtrack.accounts import service as account_service

    def work(session: Session, _settings: Any) -> list[Any]:
        rows, _total = account_service.list_users(session=session, offset=0, limit=1_000_000, role=role,
                                                  state=state)
        return account_service.to_public_many(session=session, users=rows)

    users = _run(work, write=False)
    if not users:
        say(_("no user matches") if role or state else _("no user yet"))
        return
    settings = context.settings()
    widths = (20, 12, 21, 30)
    _line([_("user"), _("state"), _("last sign-in"), _("roles"), _("name")], widths)
    for u in users:
        last = context.local_time(u.last_login_at, settings) if u.last_login_at else _("never")
        _line([u.username, u.state + ("*" if u.must_change_password else ""), last, ",".join(u.roles), u.full_name],
              widths)
    if any(u.must_change_password for u in users):
        say(_("* must choose a new password at the next sign-in"))


@user.command("deactivate")
@click.argument("username")
@REASON
def user_deactivate(username: str, reason: str) -> None:
    """Deactivate a user: their sessions end and their API tokens are refused at once; their records stay."""
    from batchtrack.accounts import service as account_service
    from batchtrack.auth.principal import SYSTEM

    _run(lambda session, _settings: account_service.deactivate(session=session, actor=SYSTEM, username=username,
                                                               reason=reason))
    say(_("user {username} deactivated: sessions ended, API tokens refused", username=username.lower()))


@user.command("reactivate")
@click.argument("username")
@REASON
def user_reactivate(username: str, reason: str) -> None:
    """Reactivate a deactivated user."""
    from batchtrack.accounts import service as account_service
    from batchtrack.auth.principal import SYSTEM

    _run(lambda session, _settings: account_service.reactivate(session=session, actor=SYSTEM, username=username,
                                                               reason=reason))
    say(_("user {username} reactivated", username=username.lower()))


@user.command("roles")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=ROLE_CHOICE,
              help="A role the user is to hold; repeat for several (the roles not named are taken away).")
@REASON
def user_roles(username: str, roles: tuple[str, ...], reason: str) -> None:
    """Replace a user's roles with those named; their sessions end at once."""
    from batchtrack.accounts import service as account_service
    from batchtrack.auth.principal import SYSTEM

    _run(lambda session, _settings: account_service.change_roles(session=session, actor=SYSTEM, username=username,
                                                                 roles=roles, reason=reason))
    say(_("user {username} now holds: {roles} (sessions ended)", username=username.lower(),
          roles=", ".join(sorted(set(roles)))))


@user.command("reset-password")
@click.argument("username")
@REASON
def user_reset_password(username: str, reason: str) -> None:
    """Give a user a temporary password, printed once: it opens only the page where they choose their own."""
    from batchtrack.accounts import service as account_service
    from batchtrack.auth.principal import SYSTEM

    _user, temporary = _run(lambda session, settings: account_service.reset_password(
        session=session, settings=settings, actor=SYSTEM, username=username, reason=reason))
    say(_("temporary password for {username} (shown once; they must choose a new one at sign-in):",
          username=username.lower()))
    click.echo(temporary)


class _IssueByDefault(language.Group):
    """`user token USERNAME --name ...` issues a token (as it always has); `user token list|revoke` are the group's
    other commands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Read a first argument that names no command as the user of a token to issue."""
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names and args[0] != "--help":
            args = ["issue", *args]
        return super().parse_args(ctx, args)


@user.group("token", cls=_IssueByDefault)
def user_token() -> None:
    """API tokens: `user token USERNAME --name NAME` issues one (shown once); `list` and `revoke` manage them."""


@user_token.command("issue")
@click.argument("username")
@click.option("--name", "token_name", required=True, help="What the token is for, e.g. 'scanner-bench-3'.")
@click.option("--role", "roles", multiple=True, type=ROLE_CHOICE,
              help="A role it carries (some of the user's; repeat for several) [default: all of the user's].")
@click.option("--station", default=None, help="The one station it may scan at.")
@click.option("--days", type=click.IntRange(1), default=None, help="Days until it expires [default: the setting].")
def user_token_issue(username: str, token_name: str, roles: tuple[str, ...], station: str | None,
                     days: int | None) -> None:
    """Issue a bearer API token for a user (scanners, integrations). It is shown once."""
    from batchtrack.accounts import api_tokens
    from batchtrack.auth.principal import SYSTEM

    issued = _run(lambda session, settings: api_tokens.issue(
        session=session, settings=settings, actor=SYSTEM, username=username, name=token_name, roles=roles,
        station=station, days=days))
    click.echo(issued.token)


@user_token.command("list")
@click.option("--user", "username", default=None, help="Only this user's tokens.")
@click.option("--state", type=click.Choice(["active", "expired", "revoked"]), default=None,
              help="Only tokens in this state.")
def user_token_list(username: str | None, state: str | None) -> None:
    """List API tokens, newest first: id, user, name, roles, station, created, expires, last use and state."""
    from batchtrack.accounts import api_tokens
    from batchtrack.auth.principal import SYSTEM

    listed = _run(lambda session, _settings: api_tokens.list_tokens(session=session, principal=SYSTEM,
                                                                    username=username), write=False)
    listed = [t for t in listed if state is None or t.state == state]
    if not listed:
        say(_("no API token matches"))
        return
    settings = context.settings()
    widths = (5, 16, 20, 8, 11, 11, 11, 12)
    _line(["   id", _("user"), _("name"), _("state"), _("created"), _("expires"), _("last used"), _("station"),
           _("roles")], widths)
    for t in listed:
        used = _local_date(t.last_used_at, settings) if t.last_used_at else _("never")
        _line([f"{t.id:>5}", t.username, t.name, t.state, _local_date(t.created_at, settings),
               _local_date(t.expires_at, settings), used, t.station or "-", ",".join(t.roles)], widths)


@user_token.command("revoke")
@click.argument("token_id", type=click.IntRange(1))
@REASON
def user_token_revoke(token_id: int, reason: str) -> None:
    """Revoke an API token (by the id `user token list` shows): it is refused at once, on every server."""
    from batchtrack.accounts import api_tokens
    from batchtrack.auth.principal import SYSTEM

    revoked = _run(lambda session, _settings: api_tokens.revoke(session=session, actor=SYSTEM, token_id=token_id,
                                                                reason=reason))
    say(_("token {token_id} ({name}, of {username}) revoked", token_id=revoked.id, name=revoked.name,
          username=revoked.username))


def _line(cells: Sequence[str | Text], widths: Sequence[int]) -> None:
    """Print a line of a table in the command's language: each cell padded to its column's width (in terminal
    columns: a Hangul syllable takes two), the cells after the last width as they are."""
    texts = [language.shown(cell) for cell in cells]
    padded = [terminal.padded(text, width) for text, width in zip(texts, widths, strict=False)]
    click.echo(" ".join([*padded, *texts[len(widths):]]))


def _local_date(moment: datetime, settings: Settings) -> str:
    """The date of `moment` in the site's time zone."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(settings.zone).strftime("%Y-%m-%d")
