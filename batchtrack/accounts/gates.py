"""The rules of account administration: one pure guard per action, each returning every reason it refuses.

No one changes their own roles, deactivates themselves or resets their own password (they change it knowing the
current one); the last active administrator can be neither deactivated nor deprived of the role, so that someone
can always administer accounts; roles are the known ones. The service gathers the facts and calls the guard.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from batchtrack.errors import Reason
from batchtrack.i18n.text import _
from batchtrack.models.user import Role

KNOWN_ROLES = frozenset(r.value for r in Role)
# Reasons that say what was asked is not well formed, rather than that it may not be done to this account.
INPUT_REASONS = frozenset({"role_unknown", "roles_required"})


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the guards look at: who acts (None: the system), the account acted on, and the active administrators
    there are now (this account included when it is one)."""

    actor_id: int | None
    user_id: int
    is_active: bool
    roles: frozenset[str]
    active_admins: int

    @property
    def is_last_admin(self) -> bool:
        """Whether this account is the only active one holding the admin role."""
        return self.is_active and Role.ADMIN.value in self.roles and self.active_admins <= 1

    @property
    def is_own(self) -> bool:
        """Whether the actor acts on their own account."""
        return self.actor_id is not None and self.actor_id == self.user_id


def role_problems(roles: Iterable[str]) -> list[Reason]:
    """Why a set of roles cannot be held (pure): none at all, or a value that is not a role."""
    asked = set(roles)
    found = []
    if not asked:
        found.append(Reason("roles_required", _("a user needs at least one role")))
    unknown = sorted(asked - KNOWN_ROLES)
    if unknown:
        found.append(Reason("role_unknown", _("not a role: {unknown} (roles are: {known})",
                                              unknown=", ".join(unknown), known=", ".join(sorted(KNOWN_ROLES)))))
    return found


def guard_create(roles: Iterable[str]) -> list[Reason]:
    """A user may be created holding known roles, at least one."""
    return role_problems(roles)


def guard_deactivate(facts: AccountFacts) -> list[Reason]:
    """An active account may be deactivated, but not by its own user, and not the last active administrator."""
    found = []
    if facts.is_own:
        found.append(Reason("own_account", _("no one deactivates their own account")))
    if not facts.is_active:
        found.append(Reason("already_inactive", _("the account is deactivated already")))
    if facts.is_last_admin:
        found.append(Reason("last_admin", _("the last active administrator cannot be deactivated: give another "
                                            "user the admin role first")))
    return found


def guard_reactivate(facts: AccountFacts) -> list[Reason]:
    """A deactivated account may be reactivated."""
    return [] if not facts.is_active else [Reason("already_active", _("the account is active already"))]


def guard_change_roles(facts: AccountFacts, new_roles: Iterable[str]) -> list[Reason]:
    """Roles may be changed to known ones, not by the account's own user, and the last active administrator keeps
    the admin role."""
    asked = frozenset(new_roles)
    found = role_problems(asked)
    if facts.is_own:
        found.append(Reason("own_roles", _("no one changes their own roles")))
    if facts.is_last_admin and Role.ADMIN.value not in asked:
        found.append(Reason("last_admin", _("the last active administrator keeps the admin role: give another user "
                                            "the admin role first")))
    if not found and asked == facts.roles:
        found.append(Reason("roles_unchanged", _("the user holds exactly these roles already")))
    return found


def guard_reset_password(facts: AccountFacts) -> list[Reason]:
    """An active account's password may be reset to a temporary one, but not by its own user (who changes it
    with the current one)."""
    found = []
    if facts.is_own:
        found.append(Reason("own_password", _("your own password is changed on your account page, with the "
                                              "current one, not reset")))
    if not facts.is_active:
        found.append(Reason("inactive", _("the account is deactivated: reactivate it first")))
    return found
