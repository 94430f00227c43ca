"""The Solara dashboard: controls built from the parameter declaration, live views of a run.

``app.py`` at the repository root renders :func:`iursim.dashboard.page.Dashboard`; run it with
``python -m iursim.dashboard`` or ``solara run app.py``. Every piece of UI state lives in
``solara.use_reactive`` hooks inside components, so each browser session has its own model and
importing this package builds nothing.
"""

__all__: list[str] = []
