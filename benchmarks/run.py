"""Benchmark iursim against Mesa's bundled Boltzmann wealth model, across sizes and workers.

Usage::

    python benchmarks/run.py [--quick] [--json FILE] [--repeats N] [--baseline-cli N]

One invocation measures, in this order:

1. iursim at the middle size and Boltzmann with 10,000 agents, alternating pair by pair, so
   slow drift of the machine's load affects both alike. The reported ratio is the median of
   the per-pair ratios.
2. iursim at the small and large sizes, for time, peak memory and the large-to-middle ratio.
3. Sweep throughput: the same small experiment with 1 and 2 local workers, alternating.
4. Optionally (``--baseline-cli N``), N runs of the ``iursim run`` command on
   ``scenarios/baseline.toml``, timed from process start to exit.

Every model run happens in a fresh child process, so its peak resident set size (RSS, from the
kernel's ``wait4`` accounting of that child) belongs to that run alone. A child reports the
wall time of building the model and stepping it to the end; interpreter start and imports are
excluded for both models. iursim populations scale with the SME count from the baseline
scenario's proportions (60 universities and 15 intermediaries per 3,000 SMEs). Regions,
platforms and every other parameter stay as in ``scenarios/baseline.toml``.

Nothing here asserts a time: the targets are printed and stored in the JSON record with
whether each held, and ``tests/test_benchmarks.py`` runs ``--quick`` only to check that the
command works.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"

# Populations per SME in the baseline scenario (3,000 SMEs, 60 universities, 15 intermediaries).
UNIVERSITIES_PER_SME = 60 / 3000
INTERMEDIARIES_PER_SME = 15 / 3000

# Targets of the performance work: iursim at 10,000 SMEs within 3x Boltzmann at 10,000 agents,
# 100,000 SMEs within 12x the 10,000 time and 1.5 GB peak RSS, 2 sweep workers at least 1.8x
# one worker.
TARGET_RATIO_VS_BOLTZMANN = 3.0
TARGET_SCALING_RATIO = 12.0
TARGET_PEAK_RSS_MB = 1536.0
TARGET_SWEEP_SPEEDUP = 1.8

# Boltzmann grid of the reference: 100 x 100 cells, as in the comparison the targets refer to.
BOLTZMANN_WIDTH = 100
BOLTZMANN_HEIGHT = 100
SEED = 42


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions of one benchmark invocation.

    Attributes:
        sizes: SME counts, small, middle and large; the middle one is compared with Boltzmann
            and the large-to-middle time ratio is reported.
        steps: Months of every iursim run and steps of every Boltzmann run.
        boltzmann_agents: Agents of the Boltzmann reference.
        pairs: Alternating iursim-Boltzmann pairs at the middle size.
        sweep_smes: SMEs per run of the sweep experiment.
        sweep_steps: Months per run of the sweep experiment.
        sweep_commissioners: Values of the sweep's commissioner axis, crossed with two
            subsidy rates.
        sweep_replications: Replications of each design point of the sweep.
        sweep_rounds: Alternating rounds of the sweep with 1 and 2 workers.
    """

    sizes: tuple[int, int, int]
    steps: int
    boltzmann_agents: int
    pairs: int
    sweep_smes: int
    sweep_steps: int
    sweep_commissioners: tuple[float, ...]
    sweep_replications: int
    sweep_rounds: int


# The sweep has 24 baseline-sized runs, so the worker pool's start (spawning interpreters and
# importing iursim) is a small part of its time and the speedup measures the runs.
FULL = Plan(sizes=(1_000, 10_000, 100_000), steps=120, boltzmann_agents=10_000, pairs=3,
            sweep_smes=3_000, sweep_steps=120, sweep_commissioners=(0.0, 8.0),
            sweep_replications=6, sweep_rounds=2)
QUICK = Plan(sizes=(100, 300, 1_000), steps=12, boltzmann_agents=300, pairs=1,
             sweep_smes=100, sweep_steps=6, sweep_commissioners=(4.0,),
             sweep_replications=1, sweep_rounds=1)


# --------------------------------------------------------------------------------------------
# Child processes: one model run each


def child_iursim(smes: int, steps: int) -> dict[str, float]:
    """Build and run iursim with ``smes`` SMEs for ``steps`` months; return the seconds taken."""
    from iursim.model import IURModel
    from iursim.scenario import load_scenario

    scenario = load_scenario(BASELINE, scaled_overrides(smes), seed=SEED, steps=steps)
    start, cpu_start = time.perf_counter(), time.process_time()
    model = IURModel(scenario)
    built = time.perf_counter()
    model.run()
    end, cpu_end = time.perf_counter(), time.process_time()
    return {"seconds": end - start, "cpu_seconds": cpu_end - cpu_start,
            "build_seconds": built - start, "projects_started": float(model.totals["started"])}


def child_boltzmann(agents: int, steps: int) -> dict[str, float]:
    """Build and run Mesa's Boltzmann wealth model headless; return the seconds taken."""
    from mesa.examples import BoltzmannWealth
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario

    start, cpu_start = time.perf_counter(), time.process_time()
    model = BoltzmannWealth(BoltzmannScenario(rng=SEED, n=agents, width=BOLTZMANN_WIDTH,
                                              height=BOLTZMANN_HEIGHT))
    built = time.perf_counter()
    for _ in range(steps):
        model.step()
    end, cpu_end = time.perf_counter(), time.process_time()
    return {"seconds": end - start, "cpu_seconds": cpu_end - cpu_start,
            "build_seconds": built - start}


def scaled_overrides(smes: int) -> list[str]:
    """Scenario overrides for ``smes`` SMEs with universities and intermediaries in proportion."""
    universities = max(1, round(smes * UNIVERSITIES_PER_SME))
    intermediaries = max(1, round(smes * INTERMEDIARIES_PER_SME))
    return [f"population.smes={smes}", f"population.universities={universities}",
            f"population.intermediaries={intermediaries}"]


def run_child(kind: str, size: int, steps: int) -> dict[str, float]:
    """Run one model in a fresh interpreter; return its timings and peak RSS in MB."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(size),
               str(steps)]
    output, peak_mb, _ = measure_process(command, capture=True)
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_rss_mb"] = peak_mb
    return result


def measure_process(command: list[str], capture: bool = False,
                    cwd: Path | None = None) -> tuple[str, float, float]:
    """Run ``command`` to its end; return its output, peak RSS in MB and wall seconds.

    The peak RSS comes from ``os.wait4``, which reports the maximum resident set size of the
    child (and of any grandchildren it waited for), in kilobytes on Linux.

    Raises:
        RuntimeError: If the command exits with a non-zero status.
    """
    with tempfile.TemporaryFile("w+") as sink, tempfile.TemporaryFile("w+") as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=sink if capture else subprocess.DEVNULL,
                                   stderr=errors, cwd=cwd, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"benchmark command failed with exit code {process.returncode}: "
                               f"{' '.join(command)}\n{errors.read()[-4000:]}")
        sink.seek(0)
        return sink.read(), usage.ru_maxrss / 1024.0, seconds


# --------------------------------------------------------------------------------------------
# Sweep throughput


def sweep_experiment(plan: Plan) -> dict[str, Any]:
    """Return a small experiment (subsidy rate x commissioners per 100 SMEs) as TOML data."""
    return {
        "experiment": {"name": "benchmark", "scenario": str(BASELINE),
                       "replications": plan.sweep_replications, "seed": SEED},
        "set": {"population.smes": plan.sweep_smes,
                "population.universities": max(1, round(plan.sweep_smes
                                                        * UNIVERSITIES_PER_SME)),
                "population.intermediaries": max(1, round(plan.sweep_smes
                                                          * INTERMEDIARIES_PER_SME)),
                "run.steps": plan.sweep_steps},
        "axes": {"policy.subsidy_rate": [0.0, 0.6],
                 "policy.commissioners_per_100_smes": list(plan.sweep_commissioners)},
        "outputs": {"every": "final"},
    }


def time_sweep(plan: Plan, workers: int) -> dict[str, float]:
    """Run the sweep experiment with ``workers`` local processes; return seconds and runs."""
    from iursim.experiments.design import parse_experiment
    from iursim.experiments.sweep import run_sweep

    experiment = parse_experiment(sweep_experiment(plan), "benchmark-sweep.toml", REPO)
    folder = Path(tempfile.mkdtemp(prefix="iursim-bench-sweep-"))
    try:
        start = time.perf_counter()
        report = run_sweep(experiment, folder / "sweep", workers=workers, progress=False)
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if report.failed:
        raise RuntimeError(f"benchmark sweep with {workers} workers: {report.failed} runs failed")
    return {"seconds": seconds, "runs": float(report.done),
            "runs_per_minute": 60.0 * report.done / seconds}


# --------------------------------------------------------------------------------------------
# The benchmark


def machine() -> dict[str, Any]:
    """CPU model, cores, load, and the versions of Python, numpy and Mesa."""
    import mesa
    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "load_average_1m": os.getloadavg()[0],
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }


def median(values: list[float]) -> float:
    """Median of a non-empty list."""
    return float(statistics.median(values))


def run_benchmark(plan: Plan, baseline_cli_runs: int, log: Any = print) -> dict[str, Any]:
    """Run every measurement of ``plan`` and return the JSON record."""
    small, middle, large = plan.sizes
    record: dict[str, Any] = {"plan": plan.__dict__ | {"sizes": list(plan.sizes)},
                              "machine": machine(), "load_average_1m_before": os.getloadavg()[0]}
    runs: dict[str, list[dict[str, float]]] = {f"iursim_{size}": [] for size in plan.sizes}
    runs[f"boltzmann_{plan.boltzmann_agents}"] = []
    pair_ratios = []

    for pair in range(plan.pairs):
        ours = run_child("iursim", middle, plan.steps)
        reference = run_child("boltzmann", plan.boltzmann_agents, plan.steps)
        runs[f"iursim_{middle}"].append(ours)
        runs[f"boltzmann_{plan.boltzmann_agents}"].append(reference)
        pair_ratios.append(ours["seconds"] / reference["seconds"])
        log(f"pair {pair + 1}/{plan.pairs}: iursim {middle:,} SMEs {ours['seconds']:.2f} s, "
            f"Boltzmann {plan.boltzmann_agents:,} agents {reference['seconds']:.2f} s")

    for size in (small, large):
        result = run_child("iursim", size, plan.steps)
        runs[f"iursim_{size}"].append(result)
        log(f"iursim {size:,} SMEs: {result['seconds']:.2f} s, "
            f"peak RSS {result['peak_rss_mb']:.0f} MB")

    sweep: dict[str, list[dict[str, float]]] = {"1": [], "2": []}
    for round_ in range(plan.sweep_rounds):
        for workers in (1, 2):
            result = time_sweep(plan, workers)
            sweep[str(workers)].append(result)
            log(f"sweep round {round_ + 1}/{plan.sweep_rounds}, {workers} worker(s): "
                f"{result['runs']:.0f} runs in {result['seconds']:.2f} s")

    cli: list[dict[str, float]] = []
    for index in range(baseline_cli_runs):
        cli.append(time_baseline_cli())
        log(f"iursim run baseline {index + 1}/{baseline_cli_runs}: {cli[-1]['seconds']:.2f} s, "
            f"peak RSS {cli[-1]['peak_rss_mb']:.0f} MB")

    middle_seconds = median([r["seconds"] for r in runs[f"iursim_{middle}"]])
    large_seconds = median([r["seconds"] for r in runs[f"iursim_{large}"]])
    sweep_one = median([r["seconds"] for r in sweep["1"]])
    sweep_two = median([r["seconds"] for r in sweep["2"]])
    record.update({
        "ratio_vs_boltzmann_10k": median(pair_ratios),
        "time_ratio_100k_to_10k": large_seconds / middle_seconds,
        "peak_rss_mb_100k": max(r["peak_rss_mb"] for r in runs[f"iursim_{large}"]),
        "sweep_speedup_2_workers": sweep_one / sweep_two,
        "median_seconds": {name: median([r["seconds"] for r in values])
                           for name, values in runs.items()},
        # CPU time of the child process: on a machine shared with other work it stays close
        # to the wall time an idle machine would show, while wall time stretches with load.
        "median_cpu_seconds": {name: median([r["cpu_seconds"] for r in values])
                               for name, values in runs.items()},
        "cpu_ratio_vs_boltzmann_10k": median([ours["cpu_seconds"] / reference["cpu_seconds"]
                                              for ours, reference in zip(
                                                  runs[f"iursim_{middle}"],
                                                  runs[f"boltzmann_{plan.boltzmann_agents}"],
                                                  strict=True)]),
        "cpu_time_ratio_100k_to_10k": (
            median([r["cpu_seconds"] for r in runs[f"iursim_{large}"]])
            / median([r["cpu_seconds"] for r in runs[f"iursim_{middle}"]])),
        "pair_ratios": pair_ratios,
        "runs": runs,
        "sweep": sweep,
        "load_average_1m_after": os.getloadavg()[0],
    })
    if cli:
        record["baseline_cli"] = {
            "command": "iursim run scenarios/baseline.toml --out DIR",
            "median_seconds": median([r["seconds"] for r in cli]),
            "max_peak_rss_mb": max(r["peak_rss_mb"] for r in cli),
            "runs": cli,
        }
    record["targets"] = {
        "ratio_vs_boltzmann_10k": {"limit": TARGET_RATIO_VS_BOLTZMANN,
                                   "held": record["ratio_vs_boltzmann_10k"]
                                   <= TARGET_RATIO_VS_BOLTZMANN},
        "time_ratio_100k_to_10k": {"limit": TARGET_SCALING_RATIO,
                                   "held": record["time_ratio_100k_to_10k"]
                                   <= TARGET_SCALING_RATIO},
        "peak_rss_mb_100k": {"limit": TARGET_PEAK_RSS_MB,
                             "held": record["peak_rss_mb_100k"] <= TARGET_PEAK_RSS_MB},
        "sweep_speedup_2_workers": {"limit": TARGET_SWEEP_SPEEDUP,
                                    "held": record["sweep_speedup_2_workers"]
                                    >= TARGET_SWEEP_SPEEDUP},
    }
    return record


def time_baseline_cli() -> dict[str, float]:
    """Run ``iursim run scenarios/baseline.toml`` once; return wall seconds and peak RSS."""
    executable = shutil.which("iursim", path=str(Path(sys.executable).parent)) or "iursim"
    with tempfile.TemporaryDirectory(prefix="iursim-bench-cli-") as folder:
        _, peak_mb, seconds = measure_process(
            [executable, "run", str(BASELINE), "--out", folder, "--lang", "en"], cwd=REPO)
    return {"seconds": seconds, "peak_rss_mb": peak_mb}


def print_report(record: dict[str, Any], plan: Plan, quick: bool) -> None:
    """Print the machine, the medians and the targets as a short table."""
    info = record["machine"]
    small, middle, large = plan.sizes

    print()
    print(f"machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
          f"load {record['load_average_1m_before']:.1f} before and "
          f"{record['load_average_1m_after']:.1f} after")
    print(f"versions: Python {info['python']}, numpy {info['numpy']}, Mesa {info['mesa']}")
    print(f"{'measure':<42} {'value':>12}")
    for size in plan.sizes:
        values = record["runs"][f"iursim_{size}"]
        print(f"{f'iursim {size:,} SMEs x {plan.steps} months, median s':<42} "
              f"{record['median_seconds'][f'iursim_{size}']:>12.2f}")
        print(f"{'  median CPU s':<42} {record['median_cpu_seconds'][f'iursim_{size}']:>12.2f}")
        print(f"{'  peak RSS, MB':<42} {max(v['peak_rss_mb'] for v in values):>12.0f}")

    key = f"boltzmann_{plan.boltzmann_agents}"
    label = f"Boltzmann {plan.boltzmann_agents:,} x {plan.steps}, median s"
    print(f"{label:<42} {record['median_seconds'][key]:>12.2f}")
    print(f"{'  median CPU s':<42} {record['median_cpu_seconds'][key]:>12.2f}")

    for name, value in (("ratio_vs_boltzmann_10k", record["ratio_vs_boltzmann_10k"]),
                        ("time_ratio_100k_to_10k", record["time_ratio_100k_to_10k"]),
                        ("peak_rss_mb_100k", record["peak_rss_mb_100k"]),
                        ("sweep_speedup_2_workers", record["sweep_speedup_2_workers"])):
        target = record["targets"][name]
        state = "held" if target["held"] else "MISSED"
        print(f"{name:<42} {value:>12.2f}  (limit {target['limit']:g}: {state})")
    for name in ("cpu_ratio_vs_boltzmann_10k", "cpu_time_ratio_100k_to_10k"):
        print(f"{name:<42} {record[name]:>12.2f}  (CPU time of the runs, less sensitive to load)")

    if "baseline_cli" in record:
        cli = record["baseline_cli"]
        print(f"{'iursim run baseline, median s':<42} {cli['median_seconds']:>12.2f}")
        print(f"{'  peak RSS, MB':<42} {cli['max_peak_rss_mb']:>12.0f}")
    if quick:
        print(f"(quick mode: the sizes {small:,} / {middle:,} / {large:,} stand in for "
              "1,000 / 10,000 / 100,000; the numbers say nothing about the targets)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description="Time iursim against Mesa's Boltzmann wealth model, at three sizes and "
                    "with 1 and 2 sweep workers.")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few months, to check that the benchmark works "
                             "(seconds, not minutes)")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="write the full record, raw timings included, to FILE")
    parser.add_argument("--repeats", type=int, metavar="N",
                        help="alternating iursim-Boltzmann pairs at the middle size "
                             "(default 3, or 1 with --quick)")
    parser.add_argument("--baseline-cli", type=int, default=0, metavar="N",
                        help="also time N runs of 'iursim run scenarios/baseline.toml' "
                             "(default 0)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "SIZE", "STEPS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.baseline_cli < 0:
        parser.error(f"--baseline-cli must be 0 or more, got {args.baseline_cli}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its table and optionally write the JSON record."""
    args = parse_args(argv)
    if args.child:
        kind, size, steps = args.child[0], int(args.child[1]), int(args.child[2])
        runner = child_iursim if kind == "iursim" else child_boltzmann
        print(json.dumps(runner(size, steps)))
        return 0

    plan = QUICK if args.quick else FULL
    if args.repeats is not None:
        plan = Plan(**(plan.__dict__ | {"pairs": args.repeats}))
    record = run_benchmark(plan, args.baseline_cli, log=lambda line: print(line, flush=True))
    record["quick"] = bool(args.quick)
    record["command"] = " ".join(["python", "benchmarks/run.py", *(argv or sys.argv[1:])])
    print_report(record, plan, args.quick)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
