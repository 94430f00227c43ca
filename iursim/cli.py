"""The ``iursim`` command line: ``iursim run`` and the subcommands of other modules.

Every message goes through the message catalogue (``i18n/cli.LANG.toml``) in the language
chosen by ``--lang`` or the ``IURSIM_LANG`` environment variable (default ``zh``). ``--lang``
is taken out of the arguments before parsing, so it works in any position and for every
subcommand, and each handler finds it as ``args.lang``. Input errors end with one message in
that language on stderr and a non-zero exit status, never a traceback.

Adding a subcommand: write a module with a function ``register(subparsers) -> None`` that
calls :func:`add_command` (or ``subparsers.add_parser``), adds its arguments with help texts
from the catalogue in ``parser.lang``, and calls ``parser.set_defaults(handler=...)``. The
handler takes the parsed arguments and returns the exit status. For errors the user can fix
it raises :class:`CliError` (with a catalogue key) or :class:`~iursim.scenario.ScenarioError`,
and :func:`main` prints either as one message. Subcommands must not define ``--lang``
themselves. Then append the module's name to :data:`COMMAND_MODULES`. Modules are imported
when the parser is built, so they should import heavy dependencies (Dask, Optuna, plotly)
inside their handlers.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Sequence
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iursim.i18n import DEFAULT_LANG, LANGS, Lang, check_lang, t
from iursim.scenario import ScenarioError, load_scenario

if TYPE_CHECKING:
    from rich.console import Console

    from iursim.runner import RunResult

__all__ = ["COMMAND_MODULES", "CliError", "CliParser", "add_command", "build_parser", "main"]

# Modules whose register(subparsers) adds further subcommands, in the order they are listed in
# the help. `run` is built in.
COMMAND_MODULES: tuple[str, ...] = (
    "iursim.experiments.commands",
    "iursim.calibration",
    "iursim.validation",
)

LANG_ENV = "IURSIM_LANG"
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An error the user can fix, rendered from the message catalogue in the chosen language.

    Args:
        key: Catalogue key of the message, e.g. ``cli.error.unwritable_out``.
        exit_code: Exit status of the command.
        **values: Values filled into the message's placeholders.
    """

    def __init__(self, key: str, exit_code: int = 1, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.exit_code = exit_code
        self.values = values

    def message(self, lang: Lang) -> str:
        """Render the error in ``lang``."""
        return t(self.key, lang, **self.values)


class _BadLang(Exception):
    def __init__(self, value: str, source: str) -> None:
        super().__init__(value)
        self.value = value
        self.source = source


def _help_text(text: str) -> str:
    """Escape percent signs so argparse's %-formatting of help texts prints them as written.

    Texts that use argparse's own placeholders, such as ``%(default)s``, are left as they are.
    """
    return text if "%(" in text else text.replace("%", "%%")


class _Formatter(argparse.HelpFormatter):
    """Help formatter whose "usage:" prefix is translated."""

    def __init__(self, prog: str, *, lang: Lang = DEFAULT_LANG) -> None:
        super().__init__(prog, max_help_position=32)
        self._lang = lang

    def add_usage(self, usage: str | None, actions: Any, groups: Any,
                  prefix: str | None = None) -> None:
        """Add the usage line with the translated prefix."""
        super().add_usage(usage, actions, groups,
                          prefix if prefix is not None else t("cli.usage_prefix", self._lang))


class CliParser(argparse.ArgumentParser):
    """Argument parser whose help headings and errors are in one language.

    Parse errors raise :class:`CliError` instead of printing argparse's English usage text,
    so :func:`main` reports them like every other error.
    """

    def __init__(self, *args: Any, lang: Lang = DEFAULT_LANG, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", partial(_Formatter, lang=lang))
        kwargs["add_help"] = False
        # Without abbreviations, "--la en" cannot reach --lang behind main()'s back.
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)
        self.lang = lang
        # argparse offers no public way to rename its two default groups.
        self._positionals.title = t("cli.positionals", lang)
        self._optionals.title = t("cli.options", lang)
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help=t("cli.help.help", lang))
        # Listed for --help only: main() takes --lang out of the arguments before parsing.
        self.add_argument("--lang", choices=LANGS, default=lang, help=t("cli.help.lang", lang))

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """Add an argument; a literal ``%`` in its help text, e.g. "95%", is kept as written."""
        if isinstance(kwargs.get("help"), str):
            kwargs["help"] = _help_text(kwargs["help"])
        return super().add_argument(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        """Raise a usage error; argparse's own text is kept as the detail."""
        raise CliError("cli.error.usage", EXIT_USAGE, detail=message, prog=self.prog)


def add_command(subparsers: Any, name: str, help_key: str,
                description_key: str | None = None) -> CliParser:
    """Add a subcommand whose help texts come from the catalogue, and return its parser.

    Args:
        subparsers: The object passed to ``register``.
        name: Name of the subcommand, e.g. ``sweep``.
        help_key: Catalogue key of the one-line help shown in ``iursim --help``.
        description_key: Catalogue key of the description shown in ``iursim NAME --help``;
            defaults to ``help_key``.
    """
    lang: Lang = subparsers.lang
    return subparsers.add_parser(name, help=_help_text(t(help_key, lang)),
                                 description=t(description_key or help_key, lang))


def _register_run(subparsers: Any) -> None:
    parser = add_command(subparsers, "run", "cli.run.help", "cli.run.description")
    lang = parser.lang
    parser.add_argument("scenario", metavar="SCENARIO", help=t("cli.run.scenario", lang))
    parser.add_argument("--seed", type=int, metavar="N", help=t("cli.run.seed", lang))
    parser.add_argument("--steps", type=int, metavar="N", help=t("cli.run.steps", lang))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="overrides", help=t("cli.run.set", lang))
    parser.add_argument("--out", metavar="DIR", help=t("cli.run.out", lang))
    parser.set_defaults(handler=run_command)


def build_parser(lang: Lang = DEFAULT_LANG, *, plugins: bool = True) -> CliParser:
    """Build the parser of every subcommand with help texts in ``lang``.

    Args:
        lang: Language of help texts and errors.
        plugins: Whether to import :data:`COMMAND_MODULES` and add their subcommands; without
            them only ``run`` is available.
    """
    parser = CliParser(prog="iursim", lang=lang, description=t("cli.description", lang),
                       epilog=t("cli.epilog", lang))
    parser.add_argument("--version", action="version", version=f"iursim {_version()}",
                        help=t("cli.help.version", lang))
    subparsers = parser.add_subparsers(title=t("cli.commands", lang), dest="command",
                                       metavar="COMMAND", required=True,
                                       parser_class=partial(CliParser, lang=lang))
    # add_command and the registered modules read the language from here.
    subparsers.lang = lang
    _register_run(subparsers)
    for module_name in COMMAND_MODULES if plugins else ():
        importlib.import_module(module_name).register(subparsers)
    return parser


def _command_name(argv: Sequence[str]) -> str | None:
    """Return the subcommand named in ``argv``: its first item that is not an option."""
    return next((item for item in argv if not item.startswith("-")), None)


def _version() -> str:
    try:
        return metadata.version("iursim")
    except metadata.PackageNotFoundError:
        return "unknown"


def _take_lang(argv: Sequence[str]) -> tuple[Lang, list[str]]:
    """Return the chosen language and ``argv`` without its ``--lang`` options.

    Raises:
        _BadLang: If ``--lang`` or ``IURSIM_LANG`` names no supported language.
    """
    chosen: tuple[str, str] | None = None
    rest: list[str] = []
    index = 0
    while index < len(argv):
        item = argv[index]
        if item == "--":
            rest.extend(argv[index:])
            break
        if item == "--lang":
            value = argv[index + 1] if index + 1 < len(argv) else ""
            chosen = (value, "--lang")
            index += 2
            continue
        if item.startswith("--lang="):
            chosen = (item.partition("=")[2], "--lang")
        else:
            rest.append(item)
        index += 1
    if chosen is None and os.environ.get(LANG_ENV):
        chosen = (os.environ[LANG_ENV], LANG_ENV)
    if chosen is None:
        return DEFAULT_LANG, rest
    try:
        return check_lang(chosen[0]), rest
    except ValueError:
        raise _BadLang(*chosen) from None


def _print_error(message: str, lang: Lang) -> None:
    # Plain print, not rich: scenario messages contain [brackets] that rich reads as markup.
    print(t("cli.error.prefix", lang) + message, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    raw = list(sys.argv[1:] if argv is None else argv)
    try:
        lang, rest = _take_lang(raw)
    except _BadLang as exc:
        # The user's language is unknown, so the message is given in both.
        for each in LANGS:
            _print_error(t("cli.error.bad_lang", each, value=exc.value, source=exc.source), each)
        return EXIT_USAGE

    try:
        # `iursim run` skips importing the other commands' modules, some of which load SciPy,
        # so that its input errors are reported at once.
        parser = build_parser(lang, plugins=_command_name(rest) != "run")
        args = parser.parse_args(rest)
        args.lang = lang
        args.command_line = ["iursim", *raw]
        return int(args.handler(args) or 0)
    except ScenarioError as exc:
        _print_error(exc.message(lang), lang)
        return EXIT_USAGE
    except CliError as exc:
        _print_error(exc.message(lang), lang)
        return exc.exit_code
    except KeyboardInterrupt:
        _print_error(t("cli.error.interrupted", lang), lang)
        return EXIT_INTERRUPTED


# --------------------------------------------------------------------------------------------
# iursim run


def default_out_dir(scenario_path: str) -> Path:
    """Return ``results/`` followed by the scenario file's name without its suffix."""
    return Path("results") / Path(scenario_path).stem


def run_command(args: argparse.Namespace) -> int:
    """Run one scenario, write its outputs and print the summary; return the exit status."""
    lang: Lang = args.lang
    scenario = load_scenario(args.scenario, args.overrides, seed=args.seed, steps=args.steps)
    out = Path(args.out) if args.out else default_out_dir(args.scenario)

    # Imported after validation so that input errors are reported without waiting for pandas,
    # networkx and Mesa to load.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    from iursim.results import check_writable, write_run
    from iursim.runner import run_scenario

    try:
        check_writable(out)
    except OSError as exc:
        raise CliError("cli.error.unwritable_out", path=str(out),
                       detail=exc.strerror or str(exc)) from None

    stderr = Console(stderr=True, highlight=False)
    stderr.print(Text(t("cli.run.start", lang, name=scenario.name,
                        smes=f"{scenario.population.smes:,}", steps=scenario.run.steps,
                        seed=scenario.run.seed, out=str(out))), soft_wrap=True)
    clock = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=stderr) as progress:
        task = progress.add_task(t("cli.run.progress", lang), total=scenario.run.steps)
        result = run_scenario(
            scenario, progress=lambda done, total: progress.update(task, completed=done,
                                                                   total=total))
    try:
        with stderr.status(t("cli.run.writing", lang)):
            files = write_run(result, out, lang, command=args.command_line)
    except OSError as exc:
        raise CliError("cli.error.write_failed", path=str(out),
                       detail=exc.strerror or str(exc)) from None

    print_summary(result, lang, Console(highlight=False))
    stderr.print(Text(t("cli.run.written", lang, out=str(out), report=str(files["report.html"]),
                        seconds=time.perf_counter() - clock)), soft_wrap=True)
    return 0


def print_summary(result: RunResult, lang: Lang, console: Console) -> None:
    """Print the run's headline figures next to the survey's figures for the same measures."""
    from rich.table import Table
    from rich.text import Text

    from iursim.report import format_share, format_value, headline_figures, label, survey_comparison

    scenario = result.scenario
    none = t("cli.summary.none", lang)
    table = Table(title=t("cli.summary.title", lang, steps=scenario.run.steps,
                          name=scenario.name, seed=scenario.run.seed),
                  title_justify="left")
    table.add_column(t("cli.summary.measure", lang))
    table.add_column(t("cli.summary.model", lang), justify="right")
    table.add_column(t("cli.summary.survey", lang), justify="right")
    table.add_column(t("cli.summary.gap", lang), justify="right")
    for row in survey_comparison(result.summary):
        gap = none if row.gap_points is None else f"{row.gap_points:+.1f}"
        table.add_row(Text(label("metric", row.key, lang)), format_share(row.model, lang),
                      format_share(row.survey, lang), gap)
    table.add_section()
    for figure in headline_figures(result):
        table.add_row(Text(label("metric", figure.key, lang)),
                      format_value(figure.key, figure.value, lang), none, none)
    console.print(table)
    console.print(Text(t("cli.summary.note", lang)), soft_wrap=True)
