"""The command line in Korean and English: its help pages, messages, refusals, progress and summaries, in the
language asked for with --language, else BATCHTRACK_LANGUAGE, else the shell's locale, else the site's default;
times in the site's zone; the exit codes the same in either language."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text, update
from sqlmodel import col

from batchtrack.cli import main as cli
from batchtrack.commands.language import help_paragraphs
from batchtrack.config import get_settings
from batchtrack.db import Database
from batchtrack.i18n import catalogs, terminal
from batchtrack.models.user import User

HANGUL = re.compile("[\uac00-\ud7a3]")


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, prog_name="batchtrack")


def _commands() -> list[tuple[list[str], click.Command]]:
    found: list[tuple[list[str], click.Command]] = []

    def walk(path: list[str], command: click.Command) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk([*path, name], sub)

    walk([], cli)
    return found


def test_the_language_option_shows_the_help_in_korean(shell: pytest.MonkeyPatch) -> None:
    result = _run("--language", "ko", "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("사용법: batchtrack [OPTIONS] COMMAND [ARGS]...")
    assert "batchtrack은 환자별 세포치료제 로트의 동일성 연결(COI)" in result.output
    assert "\n옵션:\n" in result.output and "\n명령:\n" in result.output
    assert "이 도움말을 표시하고 끝냅니다." in result.output and "Show this message" not in result.output
    assert "사용자와 그 역할, 비밀번호, API 토큰을 관리합니다." in result.output  # the `user` group's line
    assert _run("--help", "--language", "ko").output == result.output  # wherever the option stands
    create = _run("--language", "ko", "user", "create", "--help")
    assert create.exit_code == 0
    assert "표시 이름(서명에 표시되는 이름).  [필수]" in create.output
    # The default is shown as the audit trail would record it.
    assert "[기본값: created from the command line]" in " ".join(create.output.split())


def test_every_help_text_of_every_command_has_its_korean() -> None:
    korean = catalogs.translations("ko")
    untranslated = []
    for path, command in _commands():
        context = click.Context(command, info_name=" ".join(["batchtrack", *path]))
        sources = [command.help, command.short_help, *(getattr(p, "help", None) for p in command.get_params(context))]
        untranslated += [f"{' '.join(path) or 'batchtrack'}: {paragraph}" for source in sources
                         for paragraph in help_paragraphs(source) if korean.gettext(paragraph) == paragraph]
    assert len(_commands()) > 20
    assert untranslated == []


def test_every_korean_help_page_is_in_korean_and_fits_an_80_column_terminal(shell: pytest.MonkeyPatch) -> None:
    for path, _command in _commands():
        result = _run("--language", "ko", *path, "--help")
        assert result.exit_code == 0, (path, result.output)
        lines = result.output.splitlines()
        assert sum(1 for line in lines if HANGUL.search(line)) >= 3, path
        # Lines with Hangul are wrapped by the columns they take (two for a syllable), not by their characters.
        assert [line for line in lines if HANGUL.search(line) and terminal.columns(line) > 80] == [], path


def test_a_korean_locale_chooses_korean_and_batchtrack_language_or_the_option_overrides_it(
    shell: pytest.MonkeyPatch,
) -> None:
    shell.setenv("LANG", "ko_KR.UTF-8")
    assert _run("migrate", "--help").output.startswith("사용법: batchtrack migrate")
    shell.setenv("BATCHTRACK_LANGUAGE", "en")
    assert _run("migrate", "--help").output.startswith("Usage: batchtrack migrate")
    assert _run("--language", "ko", "migrate", "--help").output.startswith("사용법: batchtrack migrate")
    shell.setenv("BATCHTRACK_LANGUAGE", "ko")
    shell.setenv("LANG", "en_US.UTF-8")
    english = _run("--language", "en", "migrate", "--help")
    assert english.output.startswith("Usage: batchtrack migrate")
    assert "Create or upgrade the database schema" in english.output


def test_a_shell_that_names_no_language_hears_the_site_s_default(shell: pytest.MonkeyPatch) -> None:
    assert _run("--help").output.startswith("Usage: batchtrack")
    shell.setenv("BATCHTRACK_DEFAULT_LANGUAGE", "ko")
    get_settings.cache_clear()
    assert _run("--help").output.startswith("사용법: batchtrack")


def test_a_refusal_is_printed_in_korean_with_its_reasons_and_the_same_exit_code(env: Path, database: Database) -> None:
    unknown_ko = _run("--language", "ko", "user", "deactivate", "nobody", "--reason", "퇴사")
    unknown_en = _run("--language", "en", "user", "deactivate", "nobody", "--reason", "left")
    assert unknown_ko.exit_code == unknown_en.exit_code == 1
    assert "오류: 사용자 'nobody'이(가) 없습니다" in unknown_ko.output
    assert "Error: no user 'nobody'" in unknown_en.output
    weak_ko = _run("--language", "ko", "user", "create", "ann", "--name", "Ann", "--role", "qa", "--password-stdin",
                   stdin="short\n")
    weak_en = _run("--language", "en", "user", "create", "ann", "--name", "Ann", "--role", "qa", "--password-stdin",
                   stdin="short\n")
    assert weak_ko.exit_code == weak_en.exit_code == 1
    assert "  - 비밀번호는 12자 이상이어야 합니다 (password_too_short)" in weak_ko.output
    assert "  - a password needs at least 12 characters (password_too_short)" in weak_en.output
    lot = _run("--language", "ko", "labels", "render", "--lot", "W000026999999", "--format", "png", "--out", "out")
    assert lot.exit_code == 1 and "오류: DIN W000026999999인 로트가 없습니다 (not_found)" in lot.output
    # A usage error is click's, in either language, with its own exit code.
    assert _run("--language", "ko", "user", "deactivate", "nobody").exit_code == 2
    assert _run("--language", "en", "user", "deactivate", "nobody").exit_code == 2


def test_a_schema_refusal_is_in_korean_and_ends_the_command_as_before(
    shell: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from batchtrack.db import make_engine

    empty = tmp_path / "empty.sqlite3"
    make_engine(f"sqlite:///{empty}").dispose()
    shell.setenv("BATCHTRACK_DATABASE_URL", f"sqlite:///{empty}")
    shell.setenv("BATCHTRACK_ENVIRONMENT", "test")
    get_settings.cache_clear()
    result = _run("--language", "ko", "user", "list")
    assert result.exit_code == 1
    assert "오류: 데이터베이스 스키마가 맞지 않습니다(현재: 없음(빈 데이터베이스), 이 버전에 필요한 것: " \
        in result.output
    assert "먼저 `batchtrack migrate`를 실행하십시오" in result.output


def test_the_user_list_in_korean_shows_the_last_sign_in_in_the_site_s_zone(env: Path, database: Database) -> None:
    created = _run("--language", "ko", "user", "create", "mina", "--name", "박민아", "--role", "qa",
                   "--password-stdin", stdin="a-long-enough-secret\n")
    assert created.exit_code == 0 and "사용자 mina을(를) 만들었습니다. 역할: qa" in created.output
    with database.transaction() as session:
        session.execute(update(User).where(col(User.username) == "mina")
                        .values(last_login_at=datetime(2026, 12, 8, 3, 2, tzinfo=UTC)))
    korean = _run("--language", "ko", "user", "list").output.splitlines()
    english = _run("--language", "en", "user", "list").output.splitlines()
    assert korean[0].split() == ["사용자", "상태", "마지막", "로그인", "역할", "이름"]
    assert english[0].split() == ["user", "state", "last", "sign-in", "roles", "name"]
    # The columns line up however many columns a heading's Hangul takes.
    assert terminal.columns(korean[0][:korean[0].index("역할")]) == english[0].index("roles")
    assert "2026-12-08 12:02 KST" in korean[1] and "2026-12-08 12:02 KST" in english[1]
    assert korean[1].endswith("박민아")


def test_audit_verify_and_its_refusal_to_pass_a_broken_chain_speak_korean(
    env: Path, database: Database, is_postgres: bool
) -> None:
    for name in ("u1", "u2"):
        assert _run("user", "create", name, "--name", name.upper(), "--role", "nurse", "--password-stdin",
                    stdin="another-long-secret\n").exit_code == 0
    ok = _run("--language", "ko", "audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "체인: 기록 2건, 마지막 해시 " in ok.output and "\n이상 없음: 기록 2건, 마지막 해시 " in ok.output
    assert re.search(r"\(\d+\.\d\d초, 초당 [\d,]+건\)", ok.output), ok.output
    with database.transaction() as session:
        if is_postgres:
            session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        else:
            session.execute(text("DROP TRIGGER audit_entry_no_update"))
        session.execute(text("UPDATE audit_entry SET actor_name = 'someone else' WHERE seq = 2"))
    broken_ko, broken_en = _run("--language", "ko", "audit", "verify"), _run("--language", "en", "audit", "verify")
    assert broken_ko.exit_code == broken_en.exit_code == 1
    assert "실패: 발견 사항 " in broken_ko.output and "FAILED: " in broken_en.output


def test_a_backup_reports_in_korean(env: Path, database: Database, tmp_path: Path) -> None:
    assert _run("user", "create", "u1", "--name", "U1", "--role", "nurse", "--password-stdin",
                stdin="another-long-secret\n").exit_code == 0
    made = _run("--language", "ko", "backup", "--out", str(tmp_path / "copy.backup"))
    assert made.exit_code == 0, made.output
    assert "경고: 체크포인트 서명 키가 없어" in made.output
    assert re.search(r"백업을 기록했습니다: .*copy\.backup\([\d,]+바이트, sha256 [0-9a-f]{64}\)", made.output)
    assert "백업 안의 감사 체인: 기록 1건, 마지막 해시 " in made.output


def test_the_demo_speaks_its_site_s_korean_unless_told_otherwise(
    env: Path, shell: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shell.setenv("BATCHTRACK_ENVIRONMENT", "demo")
    # What the demo would set for its site (Korean, a secret key of its own), set here so that it is undone after the
    # test.
    shell.setenv("BATCHTRACK_DEFAULT_LANGUAGE", "ko")
    shell.setenv("BATCHTRACK_SECRET_KEY", "test-secret-" + "x" * 32)
    get_settings.cache_clear()
    first = _run("demo", "--no-serve")
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"시연용 데이터 폴더: {tmp_path.resolve()}(데이터베이스: ")
    assert "시연용 시설이 준비되었습니다(" in first.output
    assert "  - 골수 흡인물 채취: DIN " in first.output
    assert "http://127.0.0.1:8000/login 에서 다음 중 하나로 로그인하십시오" in first.output
    again = _run("--language", "en", "demo", "--no-serve")
    assert again.exit_code == 0
    assert "  - demo data already present; nothing new was created" in again.output
    assert "Demo facility ready (" in again.output
