"""Password rules: long enough, not common (list shipped with the package, case ignored), not containing the user
name, none of the last few; hashes made anew at sign-in when the hashing parameters change."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from batchtrack.auth import passwords
from batchtrack.auth import service as auth_service
from batchtrack.auth.principal import SYSTEM
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.demo.walkthrough import DEMO_USERS, demo_password
from batchtrack.errors import BadRequest
from batchtrack.models.user import Role

from builders import make_user


def _codes(password: str, *, username: str = "mina.park", min_length: int = 12) -> list[str]:
    return [r.code for r in passwords.weaknesses(password, username=username, min_length=min_length)]


def test_a_long_uncommon_password_without_the_user_name_is_accepted() -> None:
    assert _codes("violet-tram-quarry-41") == []


def test_a_password_shorter_than_the_setting_is_refused() -> None:
    assert _codes("tram-quarry", min_length=12) == ["password_too_short"]
    assert _codes("tram-quarry-41", min_length=16) == ["password_too_short"]


def test_a_common_password_is_refused_whatever_its_case_and_its_added_digits() -> None:
    assert "password_common" in _codes("PASSWORD1234")
    assert "password_common" in _codes("Qwertyuiop!!")
    assert "password_common" in _codes("2026-Sunshine-2026")
    assert "password_common" in _codes("iloveyou", min_length=8)


def test_the_common_password_list_is_shipped_with_thousands_of_entries() -> None:
    common = passwords.common_passwords()
    assert len(common) >= 10_000 - 10
    assert {"123456", "password", "qwerty", "letmein"} <= common


def test_a_password_containing_the_user_name_is_refused_whatever_its_case() -> None:
    assert _codes("Mina.Park-violet-41") == ["password_contains_username"]


def test_every_weakness_is_named_at_once() -> None:
    assert _codes("mina.park", min_length=12) == ["password_too_short", "password_contains_username"]


def test_a_user_created_with_a_weak_password_is_refused_with_the_reason(database: Database) -> None:
    with database.transaction() as session, pytest.raises(BadRequest) as refused:
        auth_service.create_user(session=session, actor=SYSTEM, username="joan", full_name="Joan Doe",
                                 password="Joan-the-analyst-1", roles={Role.QA})
    assert refused.value.code == "password_contains_username"


def test_a_new_user_starts_their_password_history(database: Database) -> None:
    user = make_user(database, Role.QA)
    with database.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT count(*) FROM password_history h JOIN app_user u ON u.id = h.user_id WHERE u.username = :u"),
            {"u": user.username}).scalar()
    assert rows == 1


def test_the_demo_passwords_meet_the_rules() -> None:
    for username in DEMO_USERS:
        assert passwords.weaknesses(demo_password(username), username=username,
                                    min_length=Settings().password_min_length) == [], username


def test_a_hash_made_with_older_parameters_is_made_anew_at_sign_in(
    database: Database, settings: Settings
) -> None:
    user = make_user(database, Role.OPERATOR)
    hasher = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    with database.engine.connect() as connection:
        old = connection.execute(text("SELECT password_hash FROM app_user WHERE username = :u"),
                                 {"u": user.username}).scalar_one()
    assert hasher.check_needs_rehash(old)
    passwords.set_hasher(hasher)
    try:
        with database.transaction() as session:
            signed_in, _ = auth_service.authenticate(session=session, settings=settings, username=user.username,
                                                     password=user.password)
        assert signed_in is not None
    finally:
        passwords.set_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with database.engine.connect() as connection:
        new = connection.execute(text("SELECT password_hash FROM app_user WHERE username = :u"),
                                 {"u": user.username}).scalar_one()
    assert new != old and not hasher.check_needs_rehash(new)
    assert hasher.verify(new, user.password)
