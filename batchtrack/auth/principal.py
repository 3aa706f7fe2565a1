"""Who is acting: the signed-in user with their roles, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass

from batchtrack.models.user import Role

# Roles that see a recipient's name, date of birth and medical record number (DESIGN.md section 1).
PATIENT_IDENTITY_ROLES = frozenset({Role.INVESTIGATOR, Role.NURSE, Role.COLLECTOR})


@dataclass(frozen=True, slots=True)
class Principal:
    """The acting person (or `system` for jobs that run without one)."""

    user_id: int | None
    username: str
    full_name: str
    roles: frozenset[Role]
    # How the principal signed in: a browser session (its row) or an API token (its row, and its station if any).
    session_id: int | None = None
    token_id: int | None = None
    station: str | None = None
    # The language the user chose for the pages (browser sessions only); None: the browser's, else the site's.
    language: str | None = None

    def has_any(self, roles: frozenset[Role] | set[Role]) -> bool:
        """True when the principal holds at least one of `roles`."""
        return bool(self.roles & roles)

    @property
    def sees_patient_identity(self) -> bool:
        """True for clinical roles that may see name, date of birth and MRN."""
        return self.has_any(PATIENT_IDENTITY_ROLES)


SYSTEM = Principal(user_id=None, username="system", full_name="batchtrack system", roles=frozenset())
