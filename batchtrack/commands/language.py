"""The command line in its reader's language: which one (`--language`, else the shell's, else the site's: see
`batchtrack.i18n.terminal`), help pages translated as they are shown, and messages and refusals printed in it.

Help stays written in English where click reads it (docstrings, `help=`), and is looked up in the catalogs when a
help page is formatted, the language being known only then; tests/cli/test_cli_language.py checks that every help
text of every command has its Korean. Messages the commands print are `_()` texts, shown with `say`.

What click itself writes to people (a usage error, "Try 'batchtrack --help' for help.", "Aborted!", a prompt's
complaint) it looks up with `gettext` bound in its own modules: those modules are given this run's catalog instead,
which holds click's messages as well as ours (parts/cli_services.po).
"""

from __future__ import annotations

import gettext
import inspect
import os
import re
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from importlib import metadata
from types import ModuleType
from typing import Any

import click
import click._termui_impl
import click.core
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types

from batchtrack.config import get_settings
from batchtrack.i18n import catalogs, terminal
from batchtrack.i18n.negotiation import LANGUAGES
from batchtrack.i18n.text import Text, _, shown_str

# Where the language asked for on the command line is kept: `ctx.meta` is shared by a command and its subcommands.
_ASKED = "batchtrack.language"
# Follows each wide character while a help page is wrapped, so that click, which counts characters, counts the two
# columns it takes; taken out of the finished page.
_SECOND_COLUMN = "\x00"
# The language asked for, and whether the command is running, for what click writes once the command's context is gone
# (a usage error, "Aborted!"): set for the run of the command (`Group.main`), unset outside it.
_ASKED_IN_RUN: ContextVar[str | None] = ContextVar("batchtrack_language_asked", default=None)
_IN_RUN: ContextVar[bool] = ContextVar("batchtrack_command_running", default=False)


def _remember(ctx: click.Context, _param: click.Parameter | None, value: str | None) -> None:
    if value is not None:
        ctx.meta[_ASKED] = value.lower()
        _ASKED_IN_RUN.set(value.lower())


def _asked_in(args: Sequence[str]) -> str | None:
    """The value of `--language` among a command line's arguments, read as they stand (for a command line click
    refuses before the option is read: its usage error speaks the language asked for all the same)."""
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--language" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--language="):
            return arg.partition("=")[2]
    return None


language_option = click.option(
    "--language", type=click.Choice(LANGUAGES, case_sensitive=False), is_eager=True, expose_value=False,
    callback=_remember,
    help="The language of help and messages [default: BATCHTRACK_LANGUAGE, else the shell's locale (LANG), "
         "else the site's BATCHTRACK_DEFAULT_LANGUAGE].")


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    say(_("{program}, version {version}", program=ctx.find_root().info_name or "batchtrack",
          version=metadata.version("batchtrack")))
    ctx.exit()


# click's own --version writes its line in English, read once when the command is declared.
version_option = click.option("--version", is_flag=True, is_eager=True, expose_value=False, callback=_show_version,
                              help="Show the version and exit.")


def _site_default() -> str:
    try:
        return get_settings().default_language
    except ValueError:
        # Wrong settings are refused by the command that reads them; help and that refusal need a language first.
        return LANGUAGES[-1]


def chosen() -> str:
    """The language of this run of the command."""
    ctx = click.get_current_context(silent=True)
    asked = ctx.meta.get(_ASKED) if ctx is not None else _ASKED_IN_RUN.get()
    return terminal.choose(asked=asked, environ=os.environ, default=_site_default())


def translations() -> gettext.NullTranslations:
    """The catalog of this run's language."""
    return catalogs.translations(chosen())


def shown(message: str | Text) -> str:
    """`message` in this run's language (plain text, not marked for translation, as it is)."""
    return shown_str(message, translations())


def say(message: Text, *, err: bool = False, nl: bool = True) -> None:
    """Print `message` in this run's language (on stderr with `err`)."""
    click.echo(shown(message), err=err, nl=nl)


class Refused(click.ClickException):
    """The command refuses, and says why in its reader's language; it ends with status 1, as click's errors do."""

    def __init__(self, message: str | Text) -> None:
        # Shown now: by the time click prints the error, the command's context (and its language) is gone.
        super().__init__(shown(message))
        self.shown_error = shown(_("Error: {message}", message=message))

    def show(self, file: Any = None) -> None:
        """Print the refusal on stderr."""
        click.echo(self.shown_error, file=file, err=file is None, color=self.show_color)


_VERBATIM = "\b\n"  # click's mark of a paragraph shown with its lines as they are, not rewrapped


def _paragraphs(source: str | None) -> list[tuple[bool, str]]:
    # As click shows a help text (dedented, up to a form feed): each paragraph, whether it is shown verbatim, and
    # its text as the catalogs hold it (on one line, unless verbatim).
    english = inspect.cleandoc(source).partition("\f")[0] if source else ""
    return [(True, paragraph.removeprefix(_VERBATIM)) if paragraph.startswith(_VERBATIM)
            else (False, " ".join(paragraph.split()))
            for paragraph in english.split("\n\n") if paragraph.strip()]


def help_paragraphs(source: str | None) -> list[str]:
    """The paragraphs of a help text (a docstring, an option's `help`) as the catalogs translate them."""
    return [text for _verbatim, text in _paragraphs(source)]


def _help(source: str | None) -> str:
    catalog = translations()
    return "\n\n".join(_VERBATIM * verbatim + catalog.gettext(text) for verbatim, text in _paragraphs(source))


def _summary(text: str, limit: int) -> str:
    """The first sentence of `text`'s first paragraph, shortened to `limit` columns."""
    paragraph = " ".join(text.split("\n\n", 1)[0].split())
    sentence = re.split(r"(?<=\.)\s", paragraph, maxsplit=1)[0]
    if terminal.columns(sentence) <= limit:
        return sentence
    words: list[str] = []
    for word in sentence.split():
        if terminal.columns(" ".join([*words, word])) + 3 > limit:
            break
        words.append(word)
    return " ".join(words) + "..."


def _widened(text: str) -> str:
    return "".join(c + _SECOND_COLUMN if terminal.columns(c) == 2 else c for c in text)


class ColumnsFormatter(click.HelpFormatter):
    """A help page wrapped by the columns its text takes on a terminal, where a Hangul syllable takes two."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """Write the usage line."""
        super().write_usage(_widened(prog), _widened(args), None if prefix is None else _widened(prefix))

    def write_text(self, text: str) -> None:
        """Write a paragraph of text, wrapped."""
        super().write_text(_widened(text))

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        """Write a definition list (options, commands)."""
        super().write_dl([(_widened(a), _widened(b)) for a, b in rows], col_max, col_spacing)

    def getvalue(self) -> str:
        """The page."""
        return super().getvalue().replace(_SECOND_COLUMN, "")


class Command(click.Command):
    """A command whose help page is in the command line's language."""

    def get_help(self, ctx: click.Context) -> str:
        """The help page, in this run's language."""
        formatter = ColumnsFormatter(width=ctx.terminal_width, max_width=ctx.max_content_width)
        self.format_help(ctx, formatter)
        return formatter.getvalue().rstrip("\n")

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the usage line, its prefix translated."""
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)),
                              prefix=shown(_("Usage:")) + " ")

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write what the command does, translated."""
        text = _help(self.help)
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the options, their help and its notes (default, required) translated."""
        rows = [row for param in self.get_params(ctx) if (row := _option_row(param, ctx)) is not None]
        if rows:
            with formatter.section(shown(_("Options"))):
                formatter.write_dl(rows)

    def get_short_help_str(self, limit: int = 45) -> str:
        """The command's one line in its group's list, translated."""
        return _help(self.short_help) or _summary(_help(self.help), limit)


def _option_row(param: click.Parameter, ctx: click.Context) -> tuple[str, str] | None:
    if not isinstance(param, click.Option) or param.hidden:
        return None
    extra = param.get_help_extra(ctx)
    notes = []
    if "envvars" in extra:
        notes.append(shown(_("env var: {var}", var=", ".join(extra["envvars"]))))
    if "default" in extra:
        notes.append(shown(_("default: {default}", default=extra["default"])))
    if "range" in extra:
        notes.append(extra["range"])
    if "required" in extra:
        notes.append(shown(_("required")))
    text = _help(param.help)
    if notes:
        text = f"{text}  [{'; '.join(notes)}]" if text else f"[{'; '.join(notes)}]"
    return param.get_help_spec(ctx), text


class Group(Command, click.Group):
    """A group of commands whose help page, and the list of its commands, are in the command line's language."""

    command_class = Command
    group_class = type  # its groups are of this class too

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Know the language asked for before any option is acted on: `--help --language ko` is a Korean page too
        (click acts on eager options in the order they are given)."""
        if any(param.name == "language" for param in self.params):
            try:
                opts, _rest, _order = self.make_parser(ctx).parse_args(args=list(args))
                asked = opts.get("language")
            except click.UsageError:
                asked = _asked_in(args)
            _remember(ctx, None, asked if isinstance(asked, str) else None)
        return super().parse_args(ctx, args)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line, click's own messages in its language too (see `speak_through_click`)."""
        running, asked = _IN_RUN.set(True), _ASKED_IN_RUN.set(None)
        try:
            return super().main(*args, **kwargs)
        finally:
            _ASKED_IN_RUN.reset(asked)
            _IN_RUN.reset(running)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the options, then the commands."""
        Command.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write each command with its one line, translated."""
        commands = [(name, command) for name in self.list_commands(ctx)
                    if (command := self.get_command(ctx, name)) is not None and not command.hidden]
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in commands)
        with formatter.section(shown(_("Commands"))):
            formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in commands])


def _click_gettext(message: str) -> str:
    # Outside a run of the command (click's modules read some texts once, when a command is declared: a type's
    # name, a default option's help), the English, as click wrote it.
    return translations().gettext(message) if _IN_RUN.get() else message


def _click_ngettext(singular: str, plural: str, count: int) -> str:
    # Korean has one form: each of click's two English forms is a message of its own in the catalogs.
    english = singular if count == 1 else plural
    return translations().gettext(english) if _IN_RUN.get() else english


class Path(click.Path):
    """click's path type, whose usage errors name what it wants (a file, a directory) in the command line's language:
    click names it once, when the command is declared."""

    @property
    def name(self) -> str:
        """What the path names: file, directory or path, in this run's language."""
        return _click_gettext(self._kind)

    @name.setter
    def name(self, kind: str) -> None:
        self._kind = kind

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        """The placeholder of a help page, as click writes it in any language (FILE, DIRECTORY), like the others."""
        return self._kind.upper()


# Where click writes what people read at run time with `_` and `ngettext` bound from `gettext` (its decorators module
# is left alone: it reads its texts once, when a command is declared).
CLICK_MODULES: tuple[ModuleType, ...] = (
    click.core, click.exceptions, click.parser, click.types, click.termui, click.formatting, click._termui_impl)


def speak_through_click() -> None:
    """Have click's own messages looked up in the catalog of the command line's language."""
    for module in CLICK_MODULES:
        names = vars(module)
        if names.get("_") is gettext.gettext:
            names["_"] = _click_gettext
        if names.get("ngettext") is gettext.ngettext:
            names["ngettext"] = _click_ngettext


speak_through_click()
