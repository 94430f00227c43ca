"""The benchmark command: its quick mode runs end to end and writes a complete record.

No timing is asserted: the numbers depend on the machine and its load. These tests only check
that the command works, so a broken benchmark is noticed before someone needs it.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "run.py"

REQUIRED_KEYS = ("ratio_vs_boltzmann_10k", "time_ratio_100k_to_10k", "peak_rss_mb_100k",
                 "sweep_speedup_2_workers")
CPU_KEYS = ("cpu_ratio_vs_boltzmann_10k", "cpu_time_ratio_100k_to_10k")


@pytest.fixture(scope="module")
def quick_record(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    """Run ``benchmarks/run.py --quick --json FILE`` once; return the record and stdout."""
    path = tmp_path_factory.mktemp("bench") / "record.json"
    process = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json", str(path)],
                             capture_output=True, text=True, cwd=REPO, timeout=900)
    assert process.returncode == 0, process.stderr
    return json.loads(path.read_text(encoding="utf-8")), process.stdout


@pytest.mark.slow
def test_quick_record_has_target_keys(quick_record: tuple[dict, str]) -> None:
    record, _ = quick_record
    for key in REQUIRED_KEYS:
        assert key in record, key
        assert math.isfinite(record[key]), key
        assert record[key] > 0, key
        assert key in record["targets"], key
        assert isinstance(record["targets"][key]["held"], bool), key
    for key in CPU_KEYS:
        assert math.isfinite(record[key]), key
        assert record[key] > 0, key


@pytest.mark.slow
def test_quick_record_has_raw_timings(quick_record: tuple[dict, str]) -> None:
    record, _ = quick_record
    sizes = record["plan"]["sizes"]
    assert sizes == sorted(sizes)
    for size in sizes:
        runs = record["runs"][f"iursim_{size}"]
        assert runs, size
        assert all(run["seconds"] > 0 for run in runs), size
        assert all(run["peak_rss_mb"] > 0 for run in runs), size
        assert all(run["cpu_seconds"] > 0 for run in runs), size
    reference = record["runs"][f"boltzmann_{record['plan']['boltzmann_agents']}"]
    assert len(reference) == record["plan"]["pairs"]
    assert len(record["pair_ratios"]) == record["plan"]["pairs"]
    assert set(record["sweep"]) == {"1", "2"}
    assert all(run["runs"] > 0 for runs in record["sweep"].values() for run in runs)
    assert record["quick"] is True


@pytest.mark.slow
def test_quick_record_names_machine(quick_record: tuple[dict, str]) -> None:
    record, stdout = quick_record
    machine = record["machine"]
    for key in ("cpu", "cores", "python", "numpy", "mesa"):
        assert machine[key], key
    assert machine["mesa"].startswith("3.5")
    assert f"Mesa {machine['mesa']}" in stdout
    assert "ratio_vs_boltzmann_10k" in stdout


def test_scaled_overrides_keep_baseline_proportions() -> None:
    # Baseline: 3,000 SMEs, 60 universities, 15 intermediaries, so 10,000 SMEs scale to
    # 10,000 * 60 / 3,000 = 200 universities and 10,000 * 15 / 3,000 = 50 intermediaries.
    spec = importlib.util.spec_from_file_location("iursim_benchmark_run", SCRIPT)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up in sys.modules while the module executes.
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    assert bench.scaled_overrides(10_000) == ["population.smes=10000",
                                              "population.universities=200",
                                              "population.intermediaries=50"]
    assert bench.scaled_overrides(100) == ["population.smes=100", "population.universities=2",
                                           "population.intermediaries=1"]


def test_zero_repeats_rejected() -> None:
    process = subprocess.run([sys.executable, str(SCRIPT), "--repeats", "0"],
                             capture_output=True, text=True, cwd=REPO, timeout=120)
    assert process.returncode == 2
    assert "--repeats must be at least 1, got 0" in process.stderr
