"""Writing run outputs: every file, atomic replacement, JSON and manifest contents."""

from __future__ import annotations

import hashlib
import json
import re
from enum import Enum
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from run_support import make_fake_result

from iursim.chain import Channel
from iursim.results import (
    MANIFEST_PACKAGES,
    OUTPUT_FILES,
    atomic_write,
    check_writable,
    git_commit,
    json_ready,
    write_run,
)
from iursim.runner import RunResult

ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
COMMAND = ["iursim", "run", "x.toml"]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    """One synthetic result written once, for the tests that only read the files."""
    result = make_fake_result()
    out = tmp_path_factory.mktemp("written") / "out"
    write_run(result, out, "zh", command=COMMAND)
    return result, out


def test_write_run_writes_every_file(written: tuple[RunResult, Path]) -> None:
    _, out = written
    for name in OUTPUT_FILES:
        assert (out / name).stat().st_size > 0, name


def test_write_run_leaves_no_temporary_files(written: tuple[RunResult, Path]) -> None:
    _, out = written
    assert sorted(path.name for path in out.iterdir()) == sorted(OUTPUT_FILES)


def test_write_run_keeps_unrelated_files(fake_result: RunResult, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "summary.json").write_text("old", encoding="utf-8")
    write_run(fake_result, tmp_path, "zh")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "summary.json").read_text(encoding="utf-8") != "old"


def test_summary_json_nan_becomes_null(written: tuple[RunResult, Path]) -> None:
    text = (written[1] / "summary.json").read_text(encoding="utf-8")
    assert "NaN" not in text
    assert json.loads(text)["cost_per_successful_project"] is None


def test_summary_json_keys_sorted_no_timestamps(written: tuple[RunResult, Path]) -> None:
    text = (written[1] / "summary.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert list(data["channel_share"]) == sorted(data["channel_share"])
    assert ISO_TIME.search(text) is None


def test_rewrite_gives_identical_tables(fake_result: RunResult, tmp_path: Path) -> None:
    write_run(fake_result, tmp_path / "a", "en")
    write_run(fake_result, tmp_path / "b", "zh")
    for name in ("summary.json", "metrics.csv", "network.graphml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "metrics.parquet"),
                                  pd.read_parquet(tmp_path / "b" / "metrics.parquet"),
                                  check_exact=True)


def test_metrics_csv_matches_parquet(written: tuple[RunResult, Path]) -> None:
    fake_result, out = written
    parquet = pd.read_parquet(out / "metrics.parquet")
    csv = pd.read_csv(out / "metrics.csv")
    assert list(csv.columns) == list(fake_result.metrics.columns)
    pd.testing.assert_frame_equal(parquet, fake_result.metrics, check_exact=True)
    # CSV text round-trips floats through repr, which is exact for float64.
    pd.testing.assert_frame_equal(csv, fake_result.metrics, check_exact=True,
                                  check_dtype=False)


def test_agent_tables_round_trip(written: tuple[RunResult, Path]) -> None:
    fake_result, out = written
    for name, frame in (("smes", fake_result.smes), ("platforms", fake_result.platforms),
                        ("projects", fake_result.projects)):
        pd.testing.assert_frame_equal(pd.read_parquet(out / f"{name}.parquet"), frame,
                                      check_exact=True)


def test_graphml_round_trips(written: tuple[RunResult, Path]) -> None:
    fake_result, out = written
    graph = nx.read_graphml(out / "network.graphml")
    assert sorted(graph.nodes) == sorted(fake_result.graph.nodes)
    assert graph.edges["sme-1", "uni-0"]["strength"] == 0.5
    assert graph.nodes["uni-0"]["kind"] == "university"


def test_manifest_contents(written: tuple[RunResult, Path]) -> None:
    fake_result, out = written
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"] == fake_result.scenario.model_dump(mode="json")
    assert manifest["seed"] == fake_result.scenario.run.seed == 7
    assert manifest["started"] == fake_result.started
    assert manifest["finished"] == fake_result.finished
    assert manifest["command"] == COMMAND
    assert manifest["lang"] == "zh"
    assert re.fullmatch(r"3\.\d+\.\d+", manifest["python"])
    assert set(MANIFEST_PACKAGES) <= set(manifest["packages"])
    for name in ("mesa", "numpy", "pandas", "networkx", "pydantic", "pyarrow"):
        assert manifest["packages"][name], name
    # This test suite runs inside the project's git checkout.
    assert re.fullmatch(r"[0-9a-f]{40}", manifest["git"]["commit"])
    assert isinstance(manifest["git"]["dirty"], bool)


def test_manifest_hashes_match_files(written: tuple[RunResult, Path]) -> None:
    out = written[1]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == sorted(set(OUTPUT_FILES) - {"manifest.json"})
    for name, entry in manifest["files"].items():
        data = (out / name).read_bytes()
        assert entry["bytes"] == len(data), name
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), name


def test_git_commit_outside_checkout_is_none(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None


def test_atomic_write_failure_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "data.txt"
    target.write_text("old", encoding="utf-8")

    def fail(path: Path) -> None:
        path.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text(encoding="utf-8") == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["data.txt"]


def test_check_writable_rejects_file_in_the_way(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(OSError):
        check_writable(blocker)
    with pytest.raises(OSError):
        check_writable(blocker / "sub")


def test_check_writable_creates_directory(tmp_path: Path) -> None:
    check_writable(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()
    assert list((tmp_path / "a" / "b").iterdir()) == []


class _Colour(Enum):
    RED = "red"


@pytest.mark.parametrize(("value", "expected"), [
    (float("nan"), None),
    (float("inf"), None),
    (np.float64(-np.inf), None),
    (np.float32(0.5), 0.5),
    (np.int64(3), 3),
    (np.bool_(True), True),
    (_Colour.RED, "red"),
    ({Channel.PLATFORM: 1}, {"platform": 1}),
    ((1, 2.0), [1, 2.0]),
    (np.array([1.0, np.nan]), [1.0, None]),
    ({"b": {"a": float("nan")}}, {"b": {"a": None}}),
])
def test_json_ready_converts(value: object, expected: object) -> None:
    assert json_ready(value) == expected


def test_json_ready_rejects_unknown_type() -> None:
    with pytest.raises(TypeError):
        json_ready(object())
