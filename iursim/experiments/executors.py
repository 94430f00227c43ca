"""Run execution: one run as a picklable task, a local spawn process pool and Dask distributed.

Both executors yield outcomes as runs finish and keep at most a fixed number of runs in flight,
so the driver's memory does not grow with the number of runs. A run that raises inside a
worker comes back as a failed outcome carrying its traceback; the sweep records it and goes on.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol

import numpy as np
import pandas as pd

from iursim.experiments.design import OutputSpec, RunSpec
from iursim.scenario import Scenario, parameter_spec, scenario_from_dict

__all__ = [
    "DaskExecutor",
    "LocalExecutor",
    "RunOutcome",
    "RunTask",
    "default_workers",
    "execute_run",
    "run_rows",
]

logger = logging.getLogger(__name__)

RunFunction = Callable[[Scenario], Any]

# Environment variables that stop numeric libraries in each worker from starting one thread
# per core. Each worker already has a core to itself, so extra threads only compete.
_SINGLE_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run; small and picklable.

    Attributes:
        spec: The run's design point, replication and seed.
        scenario: The validated scenario as plain data, ``run.seed`` already set.
        outputs: Which months and outputs to keep.
        design_keys: Dotted keys written as design columns, in order.
        with_label: Whether to write the design point's label column.
        run_function: Callable taking a Scenario and returning an object with ``metrics`` (a
            DataFrame with a ``step`` column) and ``summary`` (a mapping); None runs the model.
    """

    spec: RunSpec
    scenario: dict[str, Any]
    outputs: OutputSpec
    design_keys: tuple[str, ...]
    with_label: bool = False
    run_function: RunFunction | None = None


@dataclass
class RunOutcome:
    """The result of one run as the driver receives it.

    Attributes:
        run_id: The run's id.
        table: Rows to store, None if the run failed.
        error: Traceback text of the failure, empty on success.
        seconds: Wall time the run took in its worker.
    """

    run_id: int
    table: pd.DataFrame | None
    error: str
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether the run finished without error."""
        return self.table is not None


@dataclass
class ModelOutputs:
    """The two outputs of a model run that sweeps keep."""

    metrics: pd.DataFrame
    summary: dict[str, Any]


def run_model(scenario: Scenario) -> ModelOutputs:
    """Run the model as ``iursim.runner.run_scenario`` does, keeping metrics and summary only.

    Sweeps skip the per-agent tables and the network that ``run_scenario`` also collects,
    which saves time and memory in every worker.
    """
    # Imported inside the worker so that importing this module stays cheap.
    from iursim.model import IURModel

    model = IURModel(scenario)
    model.run()
    return ModelOutputs(model.metrics_frame(), model.summary())


def execute_run(task: RunTask) -> RunOutcome:
    """Run one task and return its rows, or the traceback of any exception it raised."""
    start = time.perf_counter()
    try:
        scenario = scenario_from_dict(task.scenario, f"run {task.spec.run_id}")
        run_function = task.run_function or run_model
        result = run_function(scenario)
        table = run_rows(task, result.metrics, result.summary)
    except Exception:  # noqa: BLE001 - any error of the model is recorded as a failed run
        return RunOutcome(task.spec.run_id, None, traceback.format_exc(),
                          time.perf_counter() - start)
    return RunOutcome(task.spec.run_id, table, "", time.perf_counter() - start)


def run_rows(task: RunTask, metrics: pd.DataFrame, summary: Mapping[str, Any]) -> pd.DataFrame:
    """Build the stored rows of one run: identity columns, design columns, outputs.

    Every output column is float64 and every identity column int64, so the per-run files of
    a sweep share one schema and read back as one table. A summary entry whose name is also
    a metric column is stored as ``summary.NAME``.

    Raises:
        KeyError: If a requested metric or summary entry is not among the run's outputs.
    """
    spec = task.spec
    outputs = task.outputs
    if "step" not in metrics.columns:
        raise KeyError("the run's metrics table has no 'step' column")
    steps = metrics["step"].astype("int64")
    last = int(steps.iloc[-1])
    if outputs.every == 0:
        keep = steps == last
    else:
        keep = (steps % outputs.every == 0) | (steps == last)
    kept = metrics.loc[keep.to_numpy()]

    metric_names = list(outputs.metrics) or [name for name in metrics.columns if name != "step"]
    missing = [name for name in metric_names if name not in metrics.columns]
    if missing:
        raise KeyError(f"metric {missing[0]!r} is not in the run's metrics; available: "
                       f"{', '.join(str(name) for name in metrics.columns)}")
    summary_values = flatten_summary(summary, outputs.summary)

    n = len(kept)
    columns: dict[str, Any] = {
        "run_id": np.full(n, spec.run_id, dtype="int64"),
        "point_id": np.full(n, spec.point_id, dtype="int64"),
        "seed": np.full(n, spec.seed, dtype="int64"),
        "replication": np.full(n, spec.replication, dtype="int64"),
        "step": kept["step"].to_numpy(dtype="int64"),
    }
    if task.with_label:
        columns["label"] = pd.array([spec.label] * n, dtype="string")
    for key in task.design_keys:
        columns[key] = _design_column(key, spec.overrides[key], n)
    for name in metric_names:
        columns[name] = pd.to_numeric(kept[name], errors="coerce").to_numpy(dtype="float64")
    for name, value in summary_values.items():
        # Summary entries named like a metric (projects_started: monthly in the metrics, a
        # total in the summary) keep both, the summary's under a prefix.
        column = f"summary.{name}" if name in columns else name
        columns[column] = np.full(n, value, dtype="float64")
    return pd.DataFrame(columns)


def _design_column(key: str, value: Any, n: int) -> Any:
    kind = parameter_spec(key).kind
    if kind == "bool":
        return np.full(n, bool(value), dtype="bool")
    if kind == "int":
        return np.full(n, int(value), dtype="int64")
    if kind == "float":
        return np.full(n, float(value), dtype="float64")
    return pd.array([str(value)] * n, dtype="string")


def flatten_summary(summary: Mapping[str, Any], wanted: Iterable[str] = ()) -> dict[str, float]:
    """Return the numeric entries of a run summary, one level of mappings flattened.

    ``{"form_share": {"joint_development": 0.2}}`` becomes ``form_share.joint_development``.
    With ``wanted`` empty, every numeric entry is kept and text or list entries are skipped.
    A name in ``wanted`` that is missing or not numeric raises KeyError.
    """
    wanted = list(wanted)
    names = wanted or list(summary)
    values: dict[str, float] = {}
    for name in names:
        if name not in summary:
            raise KeyError(f"summary entry {name!r} is not in the run's summary; available: "
                           f"{', '.join(summary)}")
        value = summary[name]
        if isinstance(value, Mapping):
            for inner, item in value.items():
                if _is_number(item):
                    values[f"{name}.{inner}"] = float(item)
        elif _is_number(value) or value is None:
            values[name] = float("nan") if value is None else float(value)
        elif wanted:
            raise KeyError(f"summary entry {name!r} is not a number or a mapping of numbers")
    return values


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, str)


def default_workers() -> int:
    """Return the number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not available on macOS or Windows
        return max(1, os.cpu_count() or 1)


class Executor(Protocol):
    """Runs tasks and yields their outcomes in completion order."""

    workers: int

    def run(self, tasks: Iterable[RunTask]) -> Iterator[RunOutcome]:
        """Run every task, yielding each outcome as it finishes."""
        ...

    def close(self) -> None:
        """Release the workers."""
        ...


class LocalExecutor:
    """A pool of ``workers`` processes started with the spawn method.

    Spawn rather than fork: every worker starts from a clean interpreter, which behaves the
    same on Linux, macOS and Windows and does not inherit the driver's threads or locks.
    """

    def __init__(self, workers: int | None = None, in_flight_per_worker: int = 2) -> None:
        self.workers = workers or default_workers()
        self.max_in_flight = self.workers * in_flight_per_worker
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        saved = {name: os.environ.get(name) for name in _SINGLE_THREAD_ENV}
        for name in _SINGLE_THREAD_ENV:
            os.environ.setdefault(name, "1")
        try:
            pool = ProcessPoolExecutor(max_workers=self.workers,
                                       mp_context=multiprocessing.get_context("spawn"))
            # Start the workers now, while the variables are set; they inherit os.environ.
            pool.submit(int).result()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        return pool

    def run(self, tasks: Iterable[RunTask]) -> Iterator[RunOutcome]:
        """Run every task, yielding each outcome as it finishes."""
        pending: dict[Future[RunOutcome], RunTask] = {}
        queue = iter(tasks)
        if self._pool is None:
            self._pool = self._start()
        while True:
            for task in islice(queue, self.max_in_flight - len(pending)):
                pending[self._pool.submit(execute_run, task)] = task
            if not pending:
                return
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                task = pending.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool as exc:
                    broken = True
                    yield _lost(task, f"worker process died: {exc}")
            if broken:
                # A dead worker breaks the whole pool: every run still in it is lost.
                for task in pending.values():
                    yield _lost(task, "worker pool broke while this run was queued")
                pending.clear()
                logger.error("worker pool broke; starting a new one")
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start()

    def close(self) -> None:
        """Shut the pool down."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Runs tasks on an existing Dask distributed cluster.

    Args:
        address: Scheduler address, e.g. ``tcp://127.0.0.1:8786``.
        in_flight_per_thread: Runs submitted per worker thread at any time.
    """

    def __init__(self, address: str, in_flight_per_thread: int = 2) -> None:
        from distributed import Client

        self._client = Client(address, set_as_default=False)
        # Task keys name the run for the Dask dashboard; the token keeps them unique when
        # the same run is submitted again by a later resume.
        self._token = uuid.uuid4().hex[:8]
        threads = sum(self._client.nthreads().values()) or 1
        self.workers = threads
        self.max_in_flight = threads * in_flight_per_thread

    def run(self, tasks: Iterable[RunTask]) -> Iterator[RunOutcome]:
        """Run every task, yielding each outcome as it finishes."""
        from distributed import as_completed

        queue = iter(tasks)
        owners: dict[str, RunTask] = {}
        completed = as_completed(loop=self._client.loop)

        def submit(task: RunTask) -> None:
            key = f"iursim-run-{task.spec.run_id}-{self._token}"
            future = self._client.submit(execute_run, task, pure=False, key=key)
            owners[future.key] = task
            completed.add(future)

        for task in islice(queue, self.max_in_flight):
            submit(task)
        for future in completed:
            task = owners.pop(future.key)
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - lost workers, pickling errors
                outcome = _lost(task, f"Dask task failed: {exc!r}")
            future.release()
            next_task = next(queue, None)
            if next_task is not None:
                submit(next_task)
            yield outcome

    def close(self) -> None:
        """Disconnect from the scheduler; the cluster keeps running."""
        self._client.close()


def _lost(task: RunTask, reason: str) -> RunOutcome:
    return RunOutcome(task.spec.run_id, None, reason, 0.0)
