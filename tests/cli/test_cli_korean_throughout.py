"""The command line in Korean to the last word: what the signing key, checkpoint, audit verify, backup and restore
commands print (their refusals and findings included), click's own usage errors, hints and prompts, and the demo's
refusal of a port in use; the same commands in English print what they always did."""

from __future__ import annotations

import re
import socket
from importlib import metadata
from pathlib import Path

import click
import pytest
from babel.messages.extract import extract_from_file
from click.testing import CliRunner, Result
from sqlalchemy import text
from tampering import guards_off

from batchtrack.audit.checkpoint_files import LOG_NAME
from batchtrack.cli import main as cli
from batchtrack.commands import language
from batchtrack.config import get_settings
from batchtrack.db import Database
from batchtrack.i18n import catalogs

# Three English words in a row: prose no Korean line has, once what it names as typed is taken out.
ENGLISH_WORDS = re.compile(r"\b[a-z]{2,}(?:[ ,]+[a-z]{2,}){2,}\b", re.IGNORECASE)
# Commands, options and values as typed, and a PEM block's armour.
NAMED_AS_TYPED = re.compile(r"`[^`]*`|'[^']*'|-----[A-Z ]+-----")
# click's messages that say a command was declared wrong (raised while it is built): never shown at a terminal.
CLICK_PROGRAMMING_ERRORS = {
    "Name '{name}' defined twice", "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? Did you mean to "
    "pass '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.", "Choice({choices})",
    "Unknown color {colour!r}", "Unknown standard stream '{name}'",
}


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, prog_name="batchtrack")


def _command_paths() -> list[str]:
    found: list[str] = []

    def walk(path: list[str], command: click.Command) -> None:
        found.append(" ".join(["batchtrack", *path]))
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk([*path, name], sub)

    walk([], cli)
    return sorted(found, key=len, reverse=True)


def english_lines(output: str) -> list[str]:
    """The lines of `output` that speak English (commands, options and values named as typed aside)."""
    found = []
    for line in output.splitlines():
        text = NAMED_AS_TYPED.sub("", line)
        for path in _command_paths():
            text = text.replace(path, "")
        if ENGLISH_WORDS.search(text):
            found.append(line)
    return found


def _korean(*args: str, stdin: str | None = None, exit_code: int = 0) -> str:
    result = _run("--language", "ko", *args, stdin=stdin)
    assert result.exit_code == exit_code, (args, result.output)
    assert english_lines(result.output) == [], (args, result.output)
    return result.output


def _two_users() -> None:
    for name in ("u1", "u2"):
        assert _run("user", "create", name, "--name", name.upper(), "--role", "nurse", "--password-stdin",
                    stdin="another-long-secret\n").exit_code == 0


def test_the_english_detector_finds_an_english_line_and_passes_korean_with_what_it_names() -> None:
    assert english_lines("오류: 복원이 거부되었습니다: the target database /x exists") != []
    assert english_lines("오류: `batchtrack audit key create`로 만드십시오\n사용법: batchtrack user create [OPTIONS]\n"
                         "-----BEGIN PUBLIC KEY-----") == []


def test_the_signing_key_checkpoint_backup_and_restore_commands_print_korean_to_the_last_line(
    env: Path, database: Database, is_postgres: bool
) -> None:
    _two_users()
    missing = _korean("audit", "checkpoint", exit_code=1)
    assert "에 체크포인트 서명 키가 없습니다: `batchtrack audit key create`로 만드십시오" in missing
    _korean("audit", "key", "create")
    again = _korean("audit", "key", "create", exit_code=1)
    assert "이(가) 이미 있습니다: 서명 키는 절대 덮어쓰지 않습니다" in again
    _korean("audit", "checkpoint", "--reason", "test")
    _korean("audit", "key", "export", "--out", str(env / "keys"))
    _korean("audit", "key", "rotate")
    _korean("audit", "verify")
    backup = env / "b1.backup"
    _korean("backup", "--out", str(backup))
    exists = _korean("backup", "--out", str(backup), exit_code=1)
    assert "(또는 그 매니페스트)이(가) 이미 있습니다: 다른 경로를 지정하십시오" in exists
    in_place = _korean("restore", "--from", str(backup), exit_code=1)
    assert "--force로 복원하십시오" in in_place
    damaged = env / "b2.backup"
    damaged.write_bytes(backup.read_bytes() + b"x")
    no_manifest = _korean("restore", "--from", str(damaged), "--force", exit_code=1)
    assert "백업 옆에 매니페스트가 없습니다(" in no_manifest
    (env / "b2.backup.manifest.json").write_bytes((env / "b1.backup.manifest.json").read_bytes())
    changed = _korean("restore", "--from", str(damaged), "--force", exit_code=1)
    assert "매니페스트가 설명하는 파일이 아닙니다: SHA-256 " in changed and "아무것도 복원하지 않았습니다." in changed
    restored = _korean("restore", "--from", str(backup), "--force")
    assert "이상 없음: 복원된 감사 체인이 온전하며 매니페스트와 일치합니다" in restored


def test_audit_verify_names_each_finding_in_korean_and_in_english_as_before(
    env: Path, database: Database
) -> None:
    _two_users()
    assert _run("audit", "key", "create").exit_code == 0
    assert _run("audit", "checkpoint").exit_code == 0
    with database.transaction() as session:
        guards_off(session, "audit_entry")
        session.execute(text("UPDATE audit_entry SET actor_name = 'someone else' WHERE seq = 2"))
    with (env / "checkpoints" / LOG_NAME).open("ab") as log:
        log.write(b"not json\n")
    korean = _korean("audit", "verify", exit_code=1)
    assert "\n  체인: 기록 #2: 내용이 해시와 일치하지 않습니다\n" in korean
    assert re.search(r"\n  체크포인트: .+audit-checkpoints\.log, \d+번째 줄: "
                     r"JSON 줄이 아닙니다\(편집되었거나 손상됨\)\n", korean), korean
    english = _run("--language", "en", "audit", "verify")
    assert english.exit_code == 1
    assert "\n  chain: entry #2: content does not match its hash\n" in english.output
    assert re.search(r"\n  checkpoint: .+audit-checkpoints\.log, line \d+: not a JSON line \(edited or damaged\)\n",
                     english.output), english.output


def test_a_missing_option_is_a_usage_error_in_korean_and_in_english_as_click_writes_it(
    shell: pytest.MonkeyPatch,
) -> None:
    korean = _run("--language", "ko", "user", "deactivate", "nobody")
    assert korean.exit_code == 2
    assert korean.output == ("사용법: batchtrack user deactivate [OPTIONS] USERNAME\n"
                             "도움말은 'batchtrack user deactivate --help'을(를) 실행하여 보십시오.\n\n"
                             "오류: 필수 옵션이 없습니다: '--reason'.\n")
    english = _run("--language", "en", "user", "deactivate", "nobody")
    assert english.exit_code == 2
    assert english.output == ("Usage: batchtrack user deactivate [OPTIONS] USERNAME\n"
                              "Try 'batchtrack user deactivate --help' for help.\n\n"
                              "Error: Missing option '--reason'.\n")


def test_click_s_other_usage_errors_speak_the_language_chosen_however_it_is_chosen(
    shell: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert "오류: '--bogus' 옵션은 없습니다." in _korean("--bogus", exit_code=2)
    bad_format = _korean("labels", "render", "--lot", "W000026999999", "--format", "bmp", "--out", "o", exit_code=2)
    assert "오류: '--format'의 값이 잘못되었습니다: 'bmp'은(는) 'png', 'svg', 'zpl', 'pdf' 중 하나가 아닙니다." \
        in bad_format
    missing = tmp_path / "missing.backup"
    assert f"파일 '{missing}'이(가) 없습니다." in _korean("restore", "--from", str(missing), exit_code=2)
    assert "\n  --out FILE  " in _korean("backup", "--help")  # a help page's placeholders stay as click writes them
    assert "오류: 필수 인수가 없습니다: 'USERNAME'." in _korean("user", "create", exit_code=2)
    shell.setenv("BATCHTRACK_LANGUAGE", "ko")
    no_such = _run("nosuch")
    assert no_such.exit_code == 2
    assert no_such.output.endswith("도움말은 'batchtrack --help'을(를) 실행하여 보십시오.\n\n"
                                   "오류: 'nosuch' 명령은 없습니다.\n")
    shell.setenv("BATCHTRACK_LANGUAGE", "en")
    assert _run("nosuch").output.endswith("Try 'batchtrack --help' for help.\n\nError: No such command 'nosuch'.\n")
    assert f"Error: Invalid value for '--from': File '{missing}' does not exist." \
        in _run("restore", "--from", str(missing)).output


def test_serve_s_refusals_speak_korean(shell: pytest.MonkeyPatch, tmp_path: Path) -> None:
    shell.setenv("BATCHTRACK_DATA_DIR", str(tmp_path))
    shell.setenv("BATCHTRACK_ENVIRONMENT", "production")
    get_settings.cache_clear()
    assert "오류: BATCHTRACK_SECRET_KEY가 임시값입니다: " in _korean("serve", exit_code=1)
    shell.setenv("BATCHTRACK_SECRET_KEY", "k" * 40)
    get_settings.cache_clear()
    no_key = _korean("serve", exit_code=1)
    assert "에 체크포인트 서명 키가 없습니다: `batchtrack audit key create`로 만드십시오" in no_key


def test_the_version_line_speaks_the_language_chosen(shell: pytest.MonkeyPatch) -> None:
    version = metadata.version("batchtrack")
    assert _run("--version", "--language", "ko").output == f"batchtrack 버전 {version}\n"
    assert _run("--version").output == f"batchtrack, version {version}\n"


def test_a_prompt_s_complaints_and_an_abort_speak_korean(shell: pytest.MonkeyPatch) -> None:
    aborted = _korean("user", "create", "ann", "--name", "Ann", "--role", "qa",
                      stdin="a-long-enough-secret\nanother-long-secret\n", exit_code=1)
    assert "비밀번호: " in aborted
    assert "오류: 두 번 입력한 값이 일치하지 않습니다." in aborted
    assert aborted.endswith("중단되었습니다!\n")
    english = _run("user", "create", "ann", "--name", "Ann", "--role", "qa", stdin="")
    assert english.exit_code == 1 and english.output.endswith("Aborted!\n")


def test_every_message_click_can_show_at_a_terminal_has_its_korean() -> None:
    korean = catalogs.translations("ko")
    messages = set()
    for module in language.CLICK_MODULES:
        assert module.__file__ is not None
        for _line, message, _comments, _context in extract_from_file(
                "python", module.__file__, keywords={"_": None, "ngettext": (1, 2)}):
            messages.update([message] if isinstance(message, str) else message)
    assert len(messages) > 50, "click's messages were not found"
    untranslated = sorted(m for m in messages - CLICK_PROGRAMMING_ERRORS if korean.gettext(m) == m)
    assert untranslated == []


def test_the_demo_refuses_a_port_in_use_naming_port_before_it_creates_or_announces_anything(
    env: Path, shell: pytest.MonkeyPatch
) -> None:
    shell.setenv("BATCHTRACK_ENVIRONMENT", "demo")
    shell.setenv("BATCHTRACK_SECRET_KEY", "test-secret-" + "x" * 32)
    # The demo sets its site's language and time zone in its own process's environment: set here, they are taken
    # back after the test, and the pages of the tests after it keep their English and UTC.
    shell.setenv("BATCHTRACK_DEFAULT_LANGUAGE", "ko")
    shell.setenv("BATCHTRACK_DISPLAY_TIMEZONE", "Asia/Seoul")
    get_settings.cache_clear()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = str(holder.getsockname()[1])
        korean = _run("--language", "ko", "demo", "--port", port)
        english = _run("--language", "en", "demo", "--port", port)
    assert korean.exit_code == english.exit_code == 1
    assert f"오류: 127.0.0.1의 포트 {port}이(가) 사용 중입니다(" in korean.output
    assert "--port로 다른 포트를 지정하십시오" in korean.output
    assert f"Error: port {port} on 127.0.0.1 is in use (" in english.output
    assert "choose another port with --port" in english.output
    for said in (korean.output, english.output):
        assert said.count("\n") == 1, said  # the refusal alone: nothing created, nothing announced
    assert not (env / "keys").exists()
