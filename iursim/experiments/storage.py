"""The on-disk layout of a sweep, written so that a killed sweep loses no finished run.

A sweep folder contains:

- ``runs/run-NNNNNN.parquet``: one file per finished run. Each is written to ``tmp/`` first,
  flushed to disk, then renamed into ``runs/``, so ``runs/`` never contains a partial file and
  ``pandas.read_parquet(folder / "runs")`` reads every finished run as one table.
- ``manifest.jsonl``: an append-only log with one JSON line per finished or failed run. A line
  cut short by a kill is ignored when read. The files in ``runs/`` are the ground truth for
  which runs are done; the manifest adds failures, errors and timings.
- ``sweep.json``: the experiment's fingerprint and design, written once when the sweep starts;
  ``--resume`` refuses a folder whose fingerprint differs from the experiment's.
- ``experiment.toml``: a copy of the experiment file, for the record.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iursim.experiments.design import Experiment

__all__ = ["SweepFolderError", "SweepStore"]

logger = logging.getLogger(__name__)

_RUN_FILE = re.compile(r"^run-(\d+)\.parquet$")


@dataclass
class SweepFolderError(Exception):
    """A sweep folder that cannot be used as asked.

    Attributes:
        kind: Message key suffix under ``error.sweep``: ``exists``, ``not_a_sweep``,
            ``changed``, ``locked``.
        folder: The folder.
    """

    kind: str
    folder: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.folder}"


class SweepStore:
    """Reads and writes one sweep folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.runs_dir = self.folder / "runs"
        self.tmp_dir = self.folder / "tmp"
        self.manifest_path = self.folder / "manifest.jsonl"
        self.meta_path = self.folder / "sweep.json"

    # ----------------------------------------------------------------------------------------
    # Creating and opening

    def exists(self) -> bool:
        """Return whether the folder already contains a sweep."""
        return self.meta_path.is_file()

    def create(self, experiment: Experiment, experiment_text: str | None) -> None:
        """Start a new sweep in the folder.

        Raises:
            SweepFolderError: ``exists`` if the folder already contains a sweep.
        """
        if self.exists():
            raise SweepFolderError("exists", str(self.folder))
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(exist_ok=True)
        if experiment_text is not None:
            (self.folder / "experiment.toml").write_text(experiment_text, encoding="utf-8")
        _write_atomic(self.meta_path, json.dumps(_meta(experiment), indent=1,
                                                 ensure_ascii=False, default=str))

    def check_resumable(self, experiment: Experiment) -> None:
        """Check that the folder contains a sweep of this very experiment.

        Raises:
            SweepFolderError: ``not_a_sweep`` if there is no sweep, ``changed`` if the
                experiment differs from the one that started it.
        """
        if not self.exists():
            raise SweepFolderError("not_a_sweep", str(self.folder))
        stored = self.meta()
        if stored.get("fingerprint") != experiment.fingerprint():
            raise SweepFolderError("changed", str(self.folder))
        self.runs_dir.mkdir(exist_ok=True)
        self.tmp_dir.mkdir(exist_ok=True)

    def meta(self) -> dict[str, Any]:
        """Return the stored ``sweep.json``.

        Raises:
            SweepFolderError: ``not_a_sweep`` if the folder contains no sweep.
        """
        if not self.exists():
            raise SweepFolderError("not_a_sweep", str(self.folder))
        return json.loads(self.meta_path.read_text(encoding="utf-8"))

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the folder so two sweeps cannot write it at once.

        Raises:
            SweepFolderError: ``locked`` if another process holds the lock.
        """
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks, run without one
            yield
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SweepFolderError("locked", str(self.folder)) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ----------------------------------------------------------------------------------------
    # Runs and the manifest

    def run_path(self, run_id: int) -> Path:
        """Return the file of one run."""
        return self.runs_dir / f"run-{run_id:06d}.parquet"

    def write_run(self, run_id: int, table: pd.DataFrame) -> None:
        """Store one run's rows; the file appears in ``runs/`` complete or not at all."""
        tmp = self.tmp_dir / f"run-{run_id:06d}.{os.getpid()}.parquet"
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False), tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.run_path(run_id))
        _fsync_dir(self.runs_dir)

    def record(self, run_id: int, status: str, seconds: float, error: str = "") -> None:
        """Append one run's status (``done`` or ``failed``) to the manifest, flushed to disk."""
        line = json.dumps({"run_id": run_id, "status": status, "seconds": round(seconds, 3),
                           "error": error, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
                          ensure_ascii=False)
        with open(self.manifest_path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def finished_ids(self) -> set[int]:
        """Return the ids of runs whose file is in ``runs/``."""
        if not self.runs_dir.is_dir():
            return set()
        ids = set()
        for path in self.runs_dir.iterdir():
            match = _RUN_FILE.match(path.name)
            if match:
                ids.add(int(match.group(1)))
        return ids

    def statuses(self) -> dict[int, dict[str, Any]]:
        """Return the last manifest record of each run, skipping lines cut short by a kill."""
        records: dict[int, dict[str, Any]] = {}
        if not self.manifest_path.is_file():
            return records
        with open(self.manifest_path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    record = json.loads(line)
                    records[int(record["run_id"])] = record
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    logger.warning("%s line %d is incomplete or invalid; ignored",
                                   self.manifest_path, number)
        return records

    def failed_ids(self) -> set[int]:
        """Return the ids of runs whose last record is a failure and that have no file."""
        finished = self.finished_ids()
        return {run_id for run_id, record in self.statuses().items()
                if record.get("status") == "failed" and run_id not in finished}

    def clean_tmp(self) -> None:
        """Delete partial files left in ``tmp/`` by a killed sweep."""
        if self.tmp_dir.is_dir():
            for path in self.tmp_dir.iterdir():
                path.unlink(missing_ok=True)

    def read_runs(self) -> pd.DataFrame:
        """Return every finished run's rows as one table, ordered by run and month."""
        table = pd.read_parquet(self.runs_dir)
        return table.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)


def _meta(experiment: Experiment) -> dict[str, Any]:
    points = experiment.design_points()
    return {
        "name": experiment.name,
        "description": experiment.description,
        "source": experiment.source,
        "scenario": str(experiment.scenario_path) if experiment.scenario_path else None,
        "fingerprint": experiment.fingerprint(),
        "seed": experiment.seed,
        "replications": experiment.replications,
        "runs": len(points) * experiment.replications,
        "design_keys": experiment.design_keys(),
        "axes": experiment.axes,
        "labelled": experiment.has_labels(),
        "points": [{"point_id": index, "label": label, "overrides": overrides}
                   for index, (label, overrides) in enumerate(points)],
        "sensitivity": None if experiment.sensitivity is None else {
            "method": experiment.sensitivity.method,
            "parameters": experiment.sensitivity.parameters,
            "samples": experiment.sensitivity.samples,
            "levels": experiment.sensitivity.levels,
            "second_order": experiment.sensitivity.second_order,
        },
        "outputs": {"metrics": list(experiment.outputs.metrics),
                    "summary": list(experiment.outputs.summary),
                    "every": experiment.outputs.every,
                    "charts": list(experiment.outputs.charts)},
    }


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # Makes a rename durable on POSIX file systems; opening a folder fails on Windows.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
