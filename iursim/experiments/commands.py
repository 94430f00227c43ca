"""The ``iursim sweep``, ``iursim summarize`` and ``iursim sensitivity`` subcommands.

Each handler returns the exit status: 0 when every run finished, 1 when any run failed (the
others are still stored), 2 for input errors such as an invalid experiment file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from iursim.i18n import Lang, t

__all__ = ["register", "sensitivity_command", "summarize_command", "sweep_command"]

EXIT_FAILED_RUNS = 1
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    """Add the experiment subcommands to the ``iursim`` parser."""
    from iursim.cli import add_command

    lang: Lang = subparsers.lang

    sweep = add_command(subparsers, "sweep", "experiments.cli.sweep.help",
                        "experiments.cli.sweep.description")
    sweep.add_argument("experiment", metavar="EXPERIMENT",
                       help=t("experiments.cli.experiment", lang))
    _add_run_options(sweep, lang, "results/sweeps/NAME")
    sweep.set_defaults(handler=sweep_command)

    summarize = add_command(subparsers, "summarize", "experiments.cli.summarize.help",
                            "experiments.cli.summarize.description")
    summarize.add_argument("folder", metavar="DIR", help=t("experiments.cli.folder", lang))
    summarize.add_argument("--out", metavar="DIR", help=t("experiments.cli.summary_out", lang))
    summarize.add_argument("--png", action="store_true", help=t("experiments.cli.png", lang))
    summarize.set_defaults(handler=summarize_command)

    sensitivity = add_command(subparsers, "sensitivity", "experiments.cli.sensitivity.help",
                              "experiments.cli.sensitivity.description")
    sensitivity.add_argument("experiment", metavar="EXPERIMENT",
                             help=t("experiments.cli.experiment", lang))
    _add_run_options(sensitivity, lang, "results/sensitivity/NAME")
    sensitivity.set_defaults(handler=sensitivity_command)


def _add_run_options(parser: argparse.ArgumentParser, lang: Lang, default_out: str) -> None:
    parser.add_argument("--out", metavar="DIR",
                        help=t("experiments.cli.out", lang, default=default_out))
    parser.add_argument("--workers", type=int, metavar="N",
                        help=t("experiments.cli.workers", lang))
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help=t("experiments.cli.scheduler", lang))
    parser.add_argument("--resume", action="store_true", help=t("experiments.cli.resume", lang))


def _fail(message: str, exit_code: int = EXIT_USAGE) -> Exception:
    from iursim.cli import CliError

    return CliError("experiments.error.message", exit_code, message=message)


def _load(path: str, lang: Lang) -> tuple[Any, str]:
    from iursim.experiments.design import ExperimentError, load_experiment

    try:
        experiment = load_experiment(path)
    except ExperimentError as exc:
        raise _fail(exc.message(lang)) from None
    return experiment, Path(path).read_text(encoding="utf-8")


def _run(args: argparse.Namespace, experiment: Any, text: str, folder: Path) -> Any:
    """Run the sweep of ``experiment`` into ``folder`` and print its outcome."""
    from iursim.experiments.storage import SweepFolderError
    from iursim.experiments.sweep import run_sweep

    lang: Lang = args.lang
    if args.workers is not None and args.workers < 1:
        raise _fail(t("experiments.error.workers", lang, value=args.workers))
    try:
        report = run_sweep(experiment, folder, workers=args.workers, scheduler=args.scheduler,
                           resume=args.resume, experiment_text=text, lang=lang)
    except SweepFolderError as exc:
        raise _fail(t(f"experiments.error.folder.{exc.kind}", lang, folder=exc.folder)) from None
    except OSError as exc:
        if args.scheduler:
            raise _fail(t("experiments.error.scheduler", lang, address=args.scheduler,
                          detail=str(exc))) from None
        raise
    print(t("experiments.sweep.finished", lang, done=report.done, failed=report.failed,
            skipped=report.skipped, total=report.total, seconds=report.seconds,
            folder=str(report.folder)))
    if report.failed:
        print(t("experiments.sweep.failed_hint", lang,
                manifest=str(report.folder / "manifest.jsonl"), folder=str(report.folder),
                experiment=args.experiment))
    return report


def _announce(experiment: Any, folder: Path, lang: Lang) -> None:
    points = len(experiment.design_points())
    print(t("experiments.sweep.start", lang, name=experiment.name, points=points,
            replications=experiment.replications, runs=points * experiment.replications,
            folder=str(folder)), flush=True)


def sweep_command(args: argparse.Namespace) -> int:
    """Run an experiment's sweep; return 1 if any run failed."""
    lang: Lang = args.lang
    experiment, text = _load(args.experiment, lang)
    folder = Path(args.out) if args.out else Path("results") / "sweeps" / experiment.name
    _announce(experiment, folder, lang)
    report = _run(args, experiment, text, folder)
    return EXIT_FAILED_RUNS if report.failed else 0


def summarize_command(args: argparse.Namespace) -> int:
    """Write the summary tables and charts of a sweep folder."""
    from iursim.experiments.storage import SweepFolderError
    from iursim.experiments.summarize import summarize_folder

    lang: Lang = args.lang
    try:
        files = summarize_folder(args.folder, args.out, lang=lang, png=args.png)
    except SweepFolderError as exc:
        raise _fail(t(f"experiments.error.folder.{exc.kind}", lang, folder=exc.folder)) from None
    except FileNotFoundError:
        raise _fail(t("experiments.error.no_runs", lang, folder=args.folder)) from None
    print(t("experiments.summary.written", lang, table=str(files.table), csv=str(files.csv)))
    if files.effects is not None:
        print(t("experiments.summary.effects", lang, path=str(files.effects)))
    if files.charts is not None:
        print(t("experiments.summary.charts", lang, path=str(files.charts),
                count=len(files.figures)))
    return 0


def sensitivity_command(args: argparse.Namespace) -> int:
    """Run a sensitivity design and analyse it; return 1 if any run failed."""
    from iursim.experiments.sensitivity import (
        IncompleteSweepError,
        analyze_folder,
        count_runs,
    )

    lang: Lang = args.lang
    experiment, text = _load(args.experiment, lang)
    if experiment.sensitivity is None:
        raise _fail(t("experiments.error.no_sensitivity", lang, experiment=args.experiment))
    folder = Path(args.out) if args.out else Path("results") / "sensitivity" / experiment.name
    spec = experiment.sensitivity
    print(t("experiments.sensitivity.start", lang, name=experiment.name, method=spec.method,
            parameters=len(spec.parameters), points=spec.count_points(),
            replications=experiment.replications, runs=count_runs(experiment),
            folder=str(folder)), flush=True)
    report = _run(args, experiment, text, folder)
    try:
        files = analyze_folder(experiment, folder, lang=lang)
    except IncompleteSweepError as exc:
        raise _fail(t("experiments.error.incomplete", lang, missing=exc.missing,
                      experiment=args.experiment, folder=str(folder)),
                    EXIT_FAILED_RUNS) from None
    print(t("experiments.sensitivity.written", lang, table=str(files.table),
            csv=str(files.csv), charts=str(files.charts)))
    if not files.indices.empty:
        from iursim.experiments.static import save_sensitivity

        outputs = list(dict.fromkeys(files.indices["output"]))
        png = folder / "sensitivity" / f"indices.{lang}.png"
        save_sensitivity(files.indices, outputs, spec.method, png, lang)
        print(t("experiments.sensitivity.png", lang, path=str(png)))
    _print_ranking(files.indices, spec.method, lang)
    return EXIT_FAILED_RUNS if report.failed else 0


def _print_ranking(indices: Any, method: str, lang: Lang) -> None:
    """Print the three most influential parameters of each output."""
    from iursim.experiments.summarize import display_name

    measure = "mu_star" if method == "morris" else "ST"
    for output, rows in indices.groupby("output", sort=False):
        top = rows.sort_values(measure, ascending=False).head(3)
        names = ", ".join(f"{display_name(row.parameter, lang)} ({getattr(row, measure):.3g})"
                          for row in top.itertuples())
        print(t("experiments.sensitivity.top", lang, output=display_name(output, lang),
                measure=measure, names=names))
