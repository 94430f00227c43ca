"""Experiments: parameter sweeps with replications, their summaries, and sensitivity analysis.

``design`` reads experiment files. ``sweep`` runs them through an executor from ``executors``
(local spawn processes or Dask) into a folder laid out by ``storage``. ``summarize``,
``charts`` and ``static`` turn a sweep folder into tables and figures, and ``sensitivity``
runs SALib designs. ``commands`` adds the ``sweep``, ``summarize`` and ``sensitivity``
subcommands to the CLI.
"""
