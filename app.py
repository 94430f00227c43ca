"""The iursim dashboard: ``python -m iursim.dashboard`` or ``solara run app.py``.

Thin by design: the components live in :mod:`iursim.dashboard`, the parameters in
:mod:`iursim.scenario`, and the presets are the files of ``scenarios/`` beside this file.
"""

from pathlib import Path

import solara

import iursim.model  # noqa: F401 - loads Mesa when the server starts, not at the first page
from iursim.dashboard.__main__ import configure_solara_server
from iursim.dashboard.page import Dashboard

configure_solara_server()
SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


@solara.component
def Page() -> None:
    """Render one browser session's dashboard."""
    Dashboard(scenario_dir=SCENARIO_DIR)
