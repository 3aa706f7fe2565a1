"""The rules of account administration, as pure functions: each refusal names its reason."""

from __future__ import annotations

from batchtrack.accounts import gates
from batchtrack.accounts.gates import AccountFacts
from batchtrack.errors import Reason


def _facts(*, actor_id: int | None = 1, user_id: int = 2, is_active: bool = True,
           roles: frozenset[str] = frozenset({"qa"}), active_admins: int = 2) -> AccountFacts:
    return AccountFacts(actor_id=actor_id, user_id=user_id, is_active=is_active, roles=roles,
                        active_admins=active_admins)


def _codes(reasons: list[Reason]) -> list[str]:
    return [r.code for r in reasons]


def test_an_administrator_may_deactivate_another_active_account() -> None:
    assert gates.guard_deactivate(_facts()) == []


def test_no_one_deactivates_their_own_account() -> None:
    assert _codes(gates.guard_deactivate(_facts(actor_id=2, user_id=2, roles=frozenset({"admin"})))) == \
        ["own_account"]


def test_the_last_active_administrator_cannot_be_deactivated_even_by_the_system() -> None:
    last = _facts(actor_id=None, roles=frozenset({"admin"}), active_admins=1)
    assert _codes(gates.guard_deactivate(last)) == ["last_admin"]
    assert gates.guard_deactivate(_facts(actor_id=None, roles=frozenset({"admin"}), active_admins=2)) == []


def test_a_deactivated_account_is_not_deactivated_twice_but_may_be_reactivated() -> None:
    inactive = _facts(is_active=False)
    assert _codes(gates.guard_deactivate(inactive)) == ["already_inactive"]
    assert gates.guard_reactivate(inactive) == []
    assert _codes(gates.guard_reactivate(_facts())) == ["already_active"]


def test_no_one_changes_their_own_roles() -> None:
    own = _facts(actor_id=5, user_id=5, roles=frozenset({"admin"}), active_admins=3)
    assert _codes(gates.guard_change_roles(own, {"admin", "qa"})) == ["own_roles"]


def test_the_last_active_administrator_keeps_the_admin_role() -> None:
    last = _facts(roles=frozenset({"admin"}), active_admins=1)
    assert _codes(gates.guard_change_roles(last, {"qa"})) == ["last_admin"]
    assert gates.guard_change_roles(last, {"admin", "qa"}) == []
    # A deactivated administrator is not one of the active ones: taking the role away leaves them all.
    assert gates.guard_change_roles(_facts(is_active=False, roles=frozenset({"admin"}), active_admins=1),
                                    {"qa"}) == []


def test_roles_must_be_known_values_and_at_least_one() -> None:
    assert _codes(gates.guard_change_roles(_facts(), {"qa", "superuser"})) == ["role_unknown"]
    assert "superuser" in gates.guard_change_roles(_facts(), {"superuser"})[0].message
    assert _codes(gates.guard_change_roles(_facts(), set())) == ["roles_required"]
    assert _codes(gates.guard_create(["root"])) == ["role_unknown"]
    assert gates.guard_create(["nurse", "investigator"]) == []


def test_roles_changed_to_what_is_held_already_is_no_change() -> None:
    assert _codes(gates.guard_change_roles(_facts(roles=frozenset({"qa"})), {"qa"})) == ["roles_unchanged"]


def test_every_reason_is_given_at_once() -> None:
    own_last = _facts(actor_id=2, user_id=2, roles=frozenset({"admin"}), active_admins=1)
    assert _codes(gates.guard_change_roles(own_last, {"qa", "wizard"})) == ["role_unknown", "own_roles", "last_admin"]


def test_a_password_is_reset_by_another_administrator_on_an_active_account() -> None:
    assert gates.guard_reset_password(_facts()) == []
    assert _codes(gates.guard_reset_password(_facts(actor_id=2, user_id=2))) == ["own_password"]
    assert _codes(gates.guard_reset_password(_facts(is_active=False))) == ["inactive"]
