"""The iursim command line, run in subprocesses: input errors, languages, a small real run."""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from run_support import (
    BASELINE,
    CLI_COMMAND,
    REPO,
    REQUIRED_METRICS,
    REQUIRED_SUMMARY,
    CliRunner,
    Completed,
    SmallRun,
    run_cli_process,
)

from iursim.chain import Barrier, Channel, CooperationForm
from iursim.chain import Path as EntryPath
from iursim.cli import COMMAND_MODULES, build_parser, default_out_dir, main
from iursim.results import OUTPUT_FILES

FIX = {"zh": "解决办法", "en": "Fix:"}
PREFIX = {"zh": "错误：", "en": "error: "}

# name: (scenario file text or None for a missing file, extra arguments, texts the message
# must contain besides the file name and the fix). The allowed ranges are those declared in
# iursim/scenario.py.
BAD_INPUTS: dict[str, tuple[str | None, tuple[str, ...], tuple[str, ...]]] = {
    "missing_file": (None, (), ("scenarios/baseline.toml",)),
    "syntax_error": ("[policy]\nsubsidy_rate = = 0.3\n", (), ("line 2",)),
    "unknown_key": ("[policy]\nsubsidy_rat = 0.3\n", (),
                    ("policy.subsidy_rat", "0.3", "subsidy_rate", "policy.subsidy_rate")),
    "wrong_type": ("[population]\nsmes = \"many\"\n", (),
                   ("population.smes", "'many'", "0 <= value <= 1e+06 (int)")),
    "smes_negative": ("[population]\nsmes = -5\n", (),
                      ("population.smes", "-5", "0 <= value <= 1e+06")),
    "subsidy_too_high": ("[policy]\nsubsidy_rate = 1.5\n", (),
                         ("policy.subsidy_rate", "1.5", "0 <= value <= 1")),
}
# Errors in command-line overrides name --set instead of a file.
BAD_OVERRIDES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "set_unknown_key": (("--set", "policy.subsidy_rat=0.3"),
                        ("--set", "policy.subsidy_rat", "policy.subsidy_rate")),
    "set_out_of_range": (("--set", "policy.subsidy_rate=1.5"),
                         ("--set", "policy.subsidy_rate", "1.5", "0 <= value <= 1")),
    "set_without_value": (("--set", "policy.subsidy_rate"), ("--set", "policy.subsidy_rate")),
    "steps_negative": (("--steps", "-3"), ("run.steps", "-3", "0 <= value <= 1200")),
}


# (case name, language) -> (scenario file named in the message, finished process)
BadRuns = dict[tuple[str, str], tuple[str, Completed]]


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> BadRuns:
    """Run every bad input in both languages, several processes at a time."""
    folder = tmp_path_factory.mktemp("bad")
    jobs: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for name, (text, extra, _) in BAD_INPUTS.items():
        path = folder / f"{name}.toml"
        if text is not None:
            path.write_text(text, encoding="utf-8")
        for lang in ("zh", "en"):
            jobs[name, lang] = (str(path), ["run", str(path), *extra, "--lang", lang,
                                            "--out", str(folder / "out")])
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {key: (source, pool.submit(run_cli_process, args))
                   for key, (source, args) in jobs.items()}
        return {key: (source, future.result()) for key, (source, future) in futures.items()}


def _check_one_message(process: Completed, lang: str) -> str:
    assert process.returncode == 2
    assert "Traceback" not in process.stderr + process.stdout
    assert process.stdout == ""
    lines = _lines(process.stderr)
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith(PREFIX[lang])
    assert FIX[lang] in lines[0]
    return lines[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_scenario_file(bad_runs: BadRuns, name: str, lang: str) -> None:
    source, process = bad_runs[name, lang]
    message = _check_one_message(process, lang)
    assert source in message
    for text in BAD_INPUTS[name][2]:
        assert text in message, text


def _main_in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> Completed:
    status = main(args)
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, status, captured.out, captured.err)


# Overrides are checked in this process to keep the suite fast; the file errors above already
# show that the subprocess prints no traceback.
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(BAD_OVERRIDES))
def test_bad_override(name: str, lang: str, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IURSIM_LANG", raising=False)
    valid = tmp_path / "valid.toml"
    valid.write_text('name = "valid"\n', encoding="utf-8")
    extra = BAD_OVERRIDES[name][0]
    process = _main_in_process(["run", str(valid), *extra, "--lang", lang,
                                "--out", str(tmp_path / "out")], capsys)
    message = _check_one_message(process, lang)
    for text in BAD_OVERRIDES[name][1]:
        assert text in message, text
    assert not (tmp_path / "out").exists()


def test_bad_input_messages_differ_by_language(bad_runs: BadRuns) -> None:
    for name in BAD_INPUTS:
        assert bad_runs[name, "zh"][1].stderr != bad_runs[name, "en"][1].stderr, name


def test_bad_lang_option(run_cli: CliRunner) -> None:
    process = run_cli("run", "missing.toml", "--lang", "fr")
    assert process.returncode == 2
    assert "Traceback" not in process.stderr
    # The language is unknown, so the one message is given in both languages.
    lines = _lines(process.stderr)
    assert len(lines) == 2
    assert lines[0].startswith("错误：")
    assert "'fr'" in lines[0]
    assert lines[1].startswith("error: invalid language 'fr'")


def test_bad_lang_environment(run_cli: CliRunner) -> None:
    process = run_cli("run", "missing.toml", env={"IURSIM_LANG": "de"})
    assert process.returncode == 2
    assert "IURSIM_LANG" in process.stderr
    assert "'de'" in process.stderr
    assert "Traceback" not in process.stderr


def test_environment_sets_language(capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IURSIM_LANG", "en")
    process = _main_in_process(["run", "missing.toml"], capsys)
    assert process.returncode == 2
    assert process.stderr.startswith("error: ")
    assert "missing.toml" in process.stderr


def test_lang_option_beats_environment(capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IURSIM_LANG", "en")
    process = _main_in_process(["--lang", "zh", "run", "missing.toml"], capsys)
    assert process.stderr.startswith("错误：")
    process = _main_in_process(["run", "missing.toml", "--lang=zh"], capsys)
    assert process.stderr.startswith("错误：")


def test_default_language_is_chinese(capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IURSIM_LANG", raising=False)
    process = _main_in_process(["run", "missing.toml"], capsys)
    assert process.returncode == 2
    assert process.stderr.startswith("错误：")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_unwritable_out(tmp_path: Path, lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    # A regular file where the output directory should be; permission bits would not stop
    # root, which runs CI.
    blocker = tmp_path / "taken"
    blocker.write_text("", encoding="utf-8")
    scenario = tmp_path / "valid.toml"
    scenario.write_text('name = "valid"\n', encoding="utf-8")
    process = _main_in_process(["run", str(scenario), "--out", str(blocker / "out"),
                                "--lang", lang], capsys)
    assert process.returncode == 1
    assert "Traceback" not in process.stderr
    lines = _lines(process.stderr)
    assert len(lines) == 1
    assert lines[0].startswith(PREFIX[lang])
    assert str(blocker / "out") in lines[0]
    assert "--out" in lines[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_usage_error_is_one_message(lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    process = _main_in_process(["run", "--lang", lang], capsys)
    assert process.returncode == 2
    lines = _lines(process.stderr)
    assert len(lines) == 1
    assert lines[0].startswith(PREFIX[lang])
    assert "iursim run --help" in lines[0]


def test_help_in_both_languages(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as chinese_exit:
        main(["run", "--help"])
    chinese = capsys.readouterr().out
    with pytest.raises(SystemExit) as english_exit:
        main(["run", "--help", "--lang", "en"])
    english = capsys.readouterr().out
    assert chinese_exit.value.code == english_exit.value.code == 0
    assert chinese.startswith("用法：iursim run")
    assert "随机种子" in chinese
    assert english.startswith("usage: iursim run")
    assert "random seed" in english


def _command_names() -> list[str]:
    parser = build_parser("en")
    subparsers = next(action for action in parser._actions
                      if isinstance(action, argparse._SubParsersAction))
    return list(subparsers.choices)


def test_commands_include_registered_modules() -> None:
    names = _command_names()
    assert names[0] == "run"
    assert len(names) >= 1 + len(COMMAND_MODULES)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_command_help_renders(lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    # argparse %-formats help texts, so a stray "%" in a catalogue would crash --help.
    for command in [None, *_command_names()]:
        args = ["--help", "--lang", lang] if command is None else [command, "--help",
                                                                     "--lang", lang]
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        assert exit_info.value.code == 0, command
        shown = capsys.readouterr().out
        assert shown.startswith("用法：" if lang == "zh" else "usage: "), command


@pytest.fixture
def fake_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Replace the model run by the synthetic result; returns the steps reported as progress."""
    from run_support import make_fake_result

    import iursim.runner

    reported: list[int] = []

    def fake_run(scenario: object, progress: Callable[[int, int], None] | None = None) -> object:
        result = make_fake_result()
        for step in range(1, result.scenario.run.steps + 1):
            if progress is not None:
                progress(step, result.scenario.run.steps)
                reported.append(step)
        return result

    monkeypatch.setattr(iursim.runner, "run_scenario", fake_run)
    monkeypatch.delenv("IURSIM_LANG", raising=False)
    return reported


def test_run_writes_default_out_dir(fake_runs: list[int], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "tiny.toml").write_text('name = "tiny"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    process = _main_in_process(["run", "tiny.toml"], capsys)
    assert process.returncode == 0, process.stderr
    for name in OUTPUT_FILES:
        assert (tmp_path / "results" / "tiny" / name).is_file(), name
    assert fake_runs == list(range(1, 13))
    assert "70.97%" in process.stdout
    assert "曾开展产学研合作的中小企业占比" in process.stdout
    assert "结果已写入 results/tiny" in process.stderr


def test_run_reports_write_failure(fake_runs: list[int], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    import iursim.results

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(iursim.results, "write_run", full_disk)
    (tmp_path / "tiny.toml").write_text('name = "tiny"\n', encoding="utf-8")
    process = _main_in_process(["run", str(tmp_path / "tiny.toml"), "--out",
                                str(tmp_path / "out"), "--lang", "en"], capsys)
    assert process.returncode == 1
    lines = _lines(process.stderr)
    assert lines[-1].startswith("error: writing results to")
    assert "No space left on device" in lines[-1]
    assert "Traceback" not in process.stderr


def test_run_errors_skip_other_commands(tmp_path: Path) -> None:
    # Input errors of `iursim run` must not wait for SciPy, pandas or Mesa to load.
    code = ("import sys; from iursim.cli import main; status = main(['run', 'missing.toml']); "
            "print(status, sorted(name for name in ('scipy', 'pandas', 'mesa', "
            "'iursim.calibration', 'iursim.experiments.commands') if name in sys.modules))")
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=tmp_path, timeout=60, check=False)
    assert process.stdout.strip() == "2 []"


def test_default_out_dir_uses_file_name() -> None:
    assert default_out_dir("scenarios/baseline.toml") == Path("results/baseline")
    assert default_out_dir("/x/y/county_leader.toml") == Path("results/county_leader")


# --------------------------------------------------------------------------------------------
# A small real run: the baseline with 200 SMEs for 12 months (the session fixture small_run).


def test_small_run_succeeds(small_run: SmallRun) -> None:
    _, process = small_run
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stderr


def test_small_run_writes_every_file(small_run: SmallRun) -> None:
    out, _ = small_run
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name


def test_small_run_metrics(small_run: SmallRun) -> None:
    out, _ = small_run
    metrics = pd.read_parquet(out / "metrics.parquet")
    for column in REQUIRED_METRICS:
        assert column in metrics.columns, column
    # Month 0 is collected at construction, then one row per month.
    assert metrics["step"].tolist() == list(range(13))
    csv = pd.read_csv(out / "metrics.csv")
    assert list(csv.columns) == list(metrics.columns)
    assert len(csv) == 13


def test_small_run_summary(small_run: SmallRun) -> None:
    out, _ = small_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in REQUIRED_SUMMARY:
        assert key in summary, key
    names = {
        "channel_share": {channel.value for channel in Channel},
        "form_share": {form.value for form in CooperationForm},
        "barrier_share": {barrier.value for barrier in Barrier},
        "path_share": {path.value for path in EntryPath},
    }
    for mapping, allowed in names.items():
        assert set(summary[mapping]) <= allowed, mapping
        for key, share in summary[mapping].items():
            assert share is None or 0.0 <= share <= 1.0, (mapping, key, share)


def test_small_run_manifest(small_run: SmallRun,
                            small_scenario) -> None:
    out, _ = small_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"] == small_scenario.model_dump(mode="json")
    assert manifest["scenario"]["population"]["smes"] == 200
    assert manifest["steps"] == 12
    assert manifest["seed"] == small_scenario.run.seed
    assert manifest["lang"] == "en"
    assert manifest["started"] <= manifest["finished"]


def test_small_run_prints_survey_figures(small_run: SmallRun) -> None:
    _, process = small_run
    for figure in ("70.97%", "65.65%", "76.47%", "64.53%", "64.14%"):
        assert figure in process.stdout, figure
    for measure in ("SMEs that ever collaborated", "Commissioner coverage",
                    "Channel: industry association"):
        assert measure in process.stdout, measure


def test_small_run_report_in_english(small_run: SmallRun) -> None:
    out, _ = small_run
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<html lang='en'>" in page
    assert "Cooperation forms" in page


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_interrupt_exits_cleanly(tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "IURSIM_LANG"}
    process = subprocess.Popen(
        [*CLI_COMMAND, "run", str(BASELINE), "--out", str(tmp_path), "--lang", "en"],
        cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stderr is not None
    # The first line announces the run; the model is being built or stepped after it.
    first = process.stderr.readline()
    assert first.startswith("Running scenario")
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    stdout, rest = process.communicate(timeout=60)
    assert process.returncode == 130, first + rest
    assert "Traceback" not in rest
    assert "interrupted" in rest
    assert not (tmp_path / "summary.json").exists()
