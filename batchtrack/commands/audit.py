"""`batchtrack audit`: verify the records, write checkpoints, and look after the checkpoint signing key."""

from __future__ import annotations

import contextlib
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from batchtrack.commands import context, language
from batchtrack.commands.language import Refused, say
from batchtrack.i18n import numbers
from batchtrack.i18n.text import _

if TYPE_CHECKING:
    from batchtrack.audit.verdict import Verdict

# Chains shorter than this verify in a moment: no progress bar.
_VERIFY_PROGRESS_FROM = 200_000


@click.group(cls=language.Group)
def audit() -> None:
    """Verify the audit trail and anchor it outside the database (checkpoints, signing key)."""


@audit.command("verify")
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Worker processes reading the chain in parallel [default: one per CPU, for long chains].")
@click.option("--since-checkpoint", is_flag=True,
              help="Walk the chain from the newest checkpoint only (routine runs); every other check still runs.")
@click.option("--chain-only", is_flag=True,
              help="Skip the signature, state and custody checks (the chain and its checkpoints only).")
def audit_verify(jobs: int | None, since_checkpoint: bool, chain_only: bool) -> None:
    """Verify the records against their proofs; exit 1 naming everything that disagrees.

    \b
    - the hash chain: every entry follows its predecessor and matches its own hash (the first break is named);
    - the checkpoint log (every folder of BATCHTRACK_CHECKPOINT_DIRS): every line links to the one before and its
      signature verifies; the copies agree; every checkpoint's entry is still in the chain with the hash it
      signed; every checkpoint the chain records is in the log;
    - every electronic signature, recomputed over the current record and compared with its audit entry;
    - every state column against the state its last audited transition set, every custody event against its
      audit entry.

    The chain is verified as it stood when the command started. Long chains show progress on stderr.
    """
    from batchtrack.audit import service as audit_service
    from batchtrack.audit import verdict as verdicts

    settings = context.settings()
    database = context.database(settings)
    context.require_current_schema(database)
    started = time.perf_counter()
    total = audit_service.head_seq(database)
    bar = (click.progressbar(length=total, file=sys.stderr,
                             label=language.shown(_("Verifying {count} audit entries", count=numbers.shown(total))))
           if total >= _VERIFY_PROGRESS_FROM else None)
    try:
        with bar or contextlib.nullcontext():
            found = verdicts.verify_all(database, folders=settings.checkpoint_folders, jobs=jobs,
                                        since_checkpoint=since_checkpoint, records=not chain_only,
                                        progress=bar.update if bar is not None else None)
    finally:
        database.dispose()
    elapsed = time.perf_counter() - started
    _report(found, elapsed, settings.checkpoint_folders)
    if not found.ok:
        sys.exit(1)


def _report(found: Verdict, elapsed: float, folders: list[Path]) -> None:
    result = found.chain
    walked = result.count - found.walked_from + 1 if result.ok else 0
    seconds = numbers.grouped(elapsed, 2)
    rate = _("{count} entries/s", count=numbers.shown(round(walked / elapsed))) if elapsed > 0 else "-"
    listed = ", ".join(str(f) for f in folders)
    if found.walked_from == 1:
        say(_("chain: {count} entries, head {head}", count=numbers.shown(result.count), head=result.head_hash))
    else:
        say(_("chain: {count} entries, head {head} (walked from checkpointed entry #{seq})",
              count=numbers.shown(result.count), head=result.head_hash, seq=found.walked_from))
    if found.log_lines:
        say(_("checkpoints: {count} standing, in a log of {lines} lines ({folders})",
              count=numbers.shown(found.checkpoints), lines=numbers.shown(found.log_lines), folders=listed))
    else:
        say(_("checkpoints: none in {folders}: the chain is anchored nowhere outside the database", folders=listed),
            err=True)
    say(_("signatures, states and custody: checked") if found.signatures_and_states_checked
        else _("signatures, states and custody: not checked (--chain-only)"))
    if found.ok:
        say(_("OK: {count} entries, head {head} ({seconds} s, {rate})", count=numbers.shown(result.count),
              head=result.head_hash, seconds=seconds, rate=rate))
        return
    say(_("FAILED: {count} finding(s) ({seconds} s)", count=numbers.shown(len(found.findings)), seconds=seconds),
        err=True)
    for finding in found.findings:
        click.echo(f"  {language.shown(finding.text())}", err=True)


@audit.command("checkpoint")
@click.option("--reason", default="on demand", show_default=True, help="Why, as the log and the chain record it.")
def audit_checkpoint(reason: str) -> None:
    """Write a signed checkpoint of the audit chain's head to the checkpoint log now.

    Servers also write one every BATCHTRACK_CHECKPOINT_EVERY_ENTRIES entries and BATCHTRACK_CHECKPOINT_EVERY_MINUTES
    minutes, at every backup, release decision and infusion, and for every printed record.
    """
    from batchtrack.audit import anchoring, keys
    from batchtrack.audit.checkpoint_files import LogUnavailable

    settings = context.settings()
    database = context.database(settings)
    context.require_current_schema(database)
    try:
        made = anchoring.Anchor.from_settings(settings, database).checkpoint(reason)
    except (keys.KeyProblem, LogUnavailable) as exc:
        raise Refused(_("no checkpoint written: {problem}", problem=exc.text)) from exc
    finally:
        database.dispose()
    assert made is not None
    say(_("checkpoint {n}: entry #{seq}, hash {hash}, signed with key {key}", n=made.n, seq=made.seq, hash=made.hash,
          key=made.key_id))


@audit.group("key")
def audit_key() -> None:
    """The checkpoint signing key (BATCHTRACK_CHECKPOINT_KEY_FILE): create, rotate, export the public keys."""


@audit_key.command("create")
def key_create() -> None:
    """Create the signing key (owner-only permissions) and print its public key; never overwrites a key."""
    from batchtrack.audit import keys

    settings = context.settings()
    path = settings.checkpoint_key_path
    try:
        made = keys.create(path)
    except keys.KeyProblem as exc:
        raise Refused(exc.text) from exc
    say(_("signing key {key} written to {path} (readable by its owner only)", key=made.public.id, path=str(path)))
    say(_("Its public key (give a copy to QA and to inspectors; it verifies every checkpoint it signs):"))
    click.echo(made.public.pem(), nl=False)


@audit_key.command("rotate")
def key_rotate() -> None:
    """Put a new signing key in force: the old key signs the new one into the log, then is destroyed.

    Checkpoints signed by the old key stay verifiable: its public key stays in the log (see `export`).
    """
    from batchtrack.audit import key_rotation, keys
    from batchtrack.audit.checkpoint_files import LogUnavailable

    settings = context.settings()
    try:
        old, new = key_rotation.rotate(settings.checkpoint_key_path, settings.checkpoint_folders)
    except (keys.KeyProblem, LogUnavailable) as exc:
        raise Refused(_("key not rotated: {problem}", problem=exc.text)) from exc
    say(_("key {key} is in force (endorsed by {old}, whose private key was destroyed)", key=new.id, old=old.id))
    click.echo(new.pem(), nl=False)


@audit_key.command("export")
@click.option("--out", "out_dir", type=language.Path(file_okay=False, path_type=Path), default=None,
              help="Also write each public key to DIR/<key id>.pem.")
def key_export(out_dir: Path | None) -> None:
    """Print every public key the checkpoint log holds (old and in force), as PEM, for inspectors."""
    from batchtrack.audit.checkpoint_files import CheckpointFiles

    settings = context.settings()
    reading, findings = CheckpointFiles(settings.checkpoint_folders).read()
    for finding in findings:
        say(_("warning: {finding}", finding=finding.text()), err=True)
    if not reading.keys:
        raise Refused(_("the checkpoint log holds no key yet (it gets one at its first checkpoint)"))
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    for key_id, public in reading.keys.items():
        say(_("# key {key} (in force)", key=key_id) if key_id == reading.current_key
            else _("# key {key} (retired)", key=key_id))
        click.echo(public.pem(), nl=False)
        if out_dir is not None:
            (out_dir / f"{key_id}.pem").write_text(public.pem(), encoding="ascii")
    if out_dir is not None:
        say(_("written to {folder} at {time}", folder=str(out_dir),
              time=context.local_time(datetime.now(UTC), settings)), err=True)
