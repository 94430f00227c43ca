"""Write a run's outputs to a directory.

Files written by :func:`write_run`:

- ``metrics.parquet``, ``metrics.csv``: one row per month from month 0.
- ``summary.json``: end-of-run figures, keys sorted, NaN and infinities written as ``null``, no
  timestamps, so that two runs with the same seed give identical files.
- ``smes.parquet``, ``platforms.parquet``, ``projects.parquet``: agent and project tables.
- ``network.graphml``: the final collaboration network.
- ``report.html``: the self-contained HTML report.
- ``manifest.json``: the resolved scenario, seed, package versions, git commit, Python version,
  start and end times, and the size and SHA-256 of every other file written.

Each file is written to a temporary name in the same directory and renamed into place, so a
reader never sees half a file and an interrupted run leaves the previous file intact. Files in
the directory that are not listed above are left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import platform
import secrets
import subprocess
import sys
from collections.abc import Callable, Mapping
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from iursim.i18n import Lang
from iursim.runner import RunResult

__all__ = [
    "MANIFEST_PACKAGES",
    "OUTPUT_FILES",
    "atomic_write",
    "check_writable",
    "git_commit",
    "json_ready",
    "write_run",
]

OUTPUT_FILES: tuple[str, ...] = (
    "metrics.parquet",
    "metrics.csv",
    "summary.json",
    "smes.parquet",
    "platforms.parquet",
    "projects.parquet",
    "network.graphml",
    "report.html",
    "manifest.json",
)

MANIFEST_PACKAGES: tuple[str, ...] = (
    "iursim",
    "mesa",
    "numpy",
    "pandas",
    "networkx",
    "pydantic",
    "pyarrow",
    "plotly",
)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` by calling ``write`` on a temporary file, then renaming it into place.

    The temporary file lies in the same directory, so the rename is atomic on POSIX file
    systems. It is created with the usual permissions (0o666 less the umask), unlike
    ``tempfile.mkstemp``'s 0o600, and removed if ``write`` raises or the run is interrupted.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise


def check_writable(out_dir: Path) -> None:
    """Create ``out_dir`` if needed and check that files can be created in it.

    Raises:
        OSError: If the directory cannot be created or written to.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    probe = out_dir / f".iursim-probe.{os.getpid()}.{secrets.token_hex(4)}"
    os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    probe.unlink()


def json_ready(value: Any) -> Any:
    """Convert ``value`` to plain JSON types: NaN and infinities become None.

    NumPy scalars and arrays become Python numbers and lists, Enums their value, tuples and
    sets lists (sets sorted), and mapping keys strings.
    """
    if isinstance(value, Enum):
        return json_ready(value.value)
    if isinstance(value, Mapping):
        return {_json_key(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return [json_ready(item) for item in sorted(value, key=str)]
    if isinstance(value, list | tuple | np.ndarray):
        return [json_ready(item) for item in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if value is None or isinstance(value, str):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    raise TypeError(f"cannot write {type(value).__name__} value {value!r} as JSON")


def _json_key(key: Any) -> str:
    return str(key.value) if isinstance(key, Enum) else str(key)


def _json_text(data: Any) -> str:
    return json.dumps(json_ready(data), sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"


def _arrow_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with Enum members in object columns replaced by their values."""
    converted = frame
    for column in frame.columns:
        series = frame[column]
        if series.dtype == object and series.map(lambda item: isinstance(item, Enum)).any():
            if converted is frame:
                converted = frame.copy()
            converted[column] = series.map(
                lambda item: item.value if isinstance(item, Enum) else item
            )
    return converted


def git_commit(directory: Path | None = None) -> dict[str, Any] | None:
    """Return the commit and dirty flag of the git checkout holding ``directory``.

    ``directory`` defaults to the iursim package's folder. Returns None when it is not in a
    git checkout or git is not installed.
    """
    folder = directory or Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True,
            timeout=10, check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=folder,
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


def _package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in MANIFEST_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_manifest(result: RunResult, files: Mapping[str, Path], lang: Lang,
                   command: list[str] | None = None) -> dict[str, Any]:
    """Describe a run: what was run, with which software, when, and what it wrote."""
    return {
        "scenario": result.scenario.model_dump(mode="json"),
        "seed": result.scenario.run.seed,
        "steps": result.scenario.run.steps,
        "started": result.started,
        "finished": result.finished,
        "lang": lang,
        "command": command,
        "git": git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": _package_versions(),
        "files": {
            name: {"bytes": path.stat().st_size, "sha256": _sha256(path)}
            for name, path in sorted(files.items())
        },
    }


def write_run(result: RunResult, out_dir: str | Path, lang: Lang = "zh",
              command: list[str] | None = None) -> dict[str, Path]:
    """Write every output of ``result`` into ``out_dir``, creating it if needed.

    Args:
        result: The run to write.
        out_dir: Output directory; files in it other than :data:`OUTPUT_FILES` are kept.
        lang: Language of the report.
        command: Command line recorded in the manifest, if any.

    Returns:
        The path of each file written, keyed by file name.

    Raises:
        OSError: If the directory cannot be created or a file cannot be written.
    """
    # Imported here so that using json_ready or atomic_write does not load plotly.
    from iursim.report import render_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def put(name: str, write: Callable[[Path], None]) -> None:
        path = out / name
        atomic_write(path, write)
        files[name] = path

    metrics = _arrow_ready(result.metrics)
    put("metrics.parquet", lambda path: metrics.to_parquet(path, index=False))
    put("metrics.csv", lambda path: metrics.to_csv(path, index=False, lineterminator="\n"))
    put("summary.json",
        lambda path: path.write_text(_json_text(result.summary), encoding="utf-8"))
    for name, frame in (("smes", result.smes), ("platforms", result.platforms),
                        ("projects", result.projects)):
        table = _arrow_ready(frame)
        put(f"{name}.parquet", lambda path, table=table: table.to_parquet(path, index=False))
    put("network.graphml", lambda path: nx.write_graphml(result.graph, path))
    html = render_report(result, lang)
    put("report.html", lambda path: path.write_text(html, encoding="utf-8"))

    manifest = build_manifest(result, files, lang, command)
    put("manifest.json", lambda path: path.write_text(_json_text(manifest), encoding="utf-8"))
    return files
