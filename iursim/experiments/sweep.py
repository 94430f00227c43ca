"""Run every run of an experiment, store each as it finishes, and resume after a kill.

The driver builds the runs lazily, hands them to an executor (the local spawn pool or a Dask
cluster), writes each finished run to the sweep folder at once and shows a progress bar. A run
that fails is recorded with its error and the sweep goes on; the caller turns any failure into
a non-zero exit code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from iursim.experiments.design import Experiment, RunSpec
from iursim.experiments.executors import (
    DaskExecutor,
    Executor,
    LocalExecutor,
    RunFunction,
    RunTask,
)
from iursim.experiments.storage import SweepStore
from iursim.i18n import Lang, t

__all__ = ["SweepReport", "run_sweep", "pending_runs"]

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    """Counts and timing of one sweep call.

    Attributes:
        folder: The sweep folder.
        total: Runs in the experiment.
        skipped: Runs already finished before this call (resume).
        done: Runs finished by this call.
        failed: Runs that failed in this call.
        seconds: Wall time of this call.
        workers: Worker processes or threads used.
    """

    folder: Path
    total: int
    skipped: int
    done: int
    failed: int
    seconds: float
    workers: int


def pending_runs(experiment: Experiment, store: SweepStore) -> list[RunSpec]:
    """Return the runs of the experiment that have no finished file in the folder."""
    finished = store.finished_ids()
    return [spec for spec in experiment.runs() if spec.run_id not in finished]


def run_sweep(experiment: Experiment, folder: str | Path, *, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False,
              run_function: RunFunction | None = None, experiment_text: str | None = None,
              progress: bool = True, lang: Lang = "zh",
              console: Console | None = None) -> SweepReport:
    """Run the experiment's runs that are not finished yet and store each one.

    Args:
        experiment: A validated experiment.
        folder: Sweep folder; created if missing.
        workers: Local worker processes; None uses every CPU this process may use. Ignored
            with ``scheduler``.
        scheduler: Address of a Dask distributed scheduler to run on instead of local
            processes.
        resume: Continue the sweep already in ``folder``: run only missing or failed runs.
        run_function: Replacement for the model run (tests); must be picklable.
        experiment_text: The experiment file's text, copied into the folder.
        progress: Show a progress bar on ``console``.
        lang: Language of the progress bar's labels.
        console: Where the progress bar goes; standard error by default.

    Raises:
        SweepFolderError: If the folder already contains a sweep and ``resume`` is false,
            contains a different experiment, or another process is writing it.
    """
    store = SweepStore(folder)
    start = time.perf_counter()
    with store.lock():
        if resume:
            store.check_resumable(experiment)
            store.clean_tmp()
            _recover_unrecorded(store)
        else:
            store.create(experiment, experiment_text)
        todo = pending_runs(experiment, store)
        total = len(experiment.runs())
        skipped = total - len(todo)
        if not todo:
            return SweepReport(store.folder, total, skipped, 0, 0, 0.0, 0)

        executor: Executor
        if scheduler:
            executor = DaskExecutor(scheduler)
        else:
            executor = LocalExecutor(min(workers or _cpu_count(), len(todo)))
        logger.info("sweep %s: %d runs to do, %d already finished, %d workers",
                    experiment.name, len(todo), skipped, executor.workers)
        done = failed = 0
        try:
            bar = _progress_bar(progress, lang, console)
            with bar:
                task_id = bar.add_task(t("experiments.sweep.progress", lang),
                                       total=len(todo), failed=0)
                for outcome in executor.run(_tasks(experiment, todo, run_function)):
                    if outcome.ok:
                        assert outcome.table is not None
                        store.write_run(outcome.run_id, outcome.table)
                        store.record(outcome.run_id, "done", outcome.seconds)
                        done += 1
                    else:
                        store.record(outcome.run_id, "failed", outcome.seconds, outcome.error)
                        logger.error("run %d failed: %s", outcome.run_id,
                                     outcome.error.strip().splitlines()[-1:])
                        failed += 1
                    bar.update(task_id, advance=1, failed=failed)
        finally:
            executor.close()
    return SweepReport(store.folder, total, skipped, done, failed,
                       time.perf_counter() - start, executor.workers)


def _tasks(experiment: Experiment, specs: list[RunSpec],
           run_function: RunFunction | None) -> Iterator[RunTask]:
    # Scenarios are built one at a time as the executor requests them, which keeps memory
    # flat for designs with many thousands of runs.
    design_keys = tuple(experiment.design_keys())
    with_label = experiment.has_labels()
    for spec in specs:
        scenario = experiment.scenario_for(spec).model_dump(mode="json")
        yield RunTask(spec, scenario, experiment.outputs, design_keys, with_label,
                      run_function)


def _recover_unrecorded(store: SweepStore) -> None:
    """Record runs whose file was stored but whose manifest line a kill prevented."""
    statuses = store.statuses()
    for run_id in sorted(store.finished_ids()):
        if statuses.get(run_id, {}).get("status") != "done":
            store.record(run_id, "done", 0.0, "")


def _cpu_count() -> int:
    from iursim.experiments.executors import default_workers

    return default_workers()


def _progress_bar(enabled: bool, lang: Lang, console: Console | None) -> Progress:
    failed_label = t("experiments.sweep.failed", lang)
    eta_label = t("experiments.sweep.eta", lang)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(f"{failed_label} {{task.fields[failed]}}"),
        TimeElapsedColumn(),
        TextColumn(eta_label),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        disable=not enabled,
        transient=False,
    )
