"""Message catalogues for the two user languages, Simplified Chinese and English.

Each area of the program (core, cli, report, dashboard, experiments, ...) has one TOML file per
language beside this module, named ``AREA.LANG.toml``; nested tables flatten to dotted keys
(``error.scenario.missing_file``). A key may be defined in one area only, and both languages must
define the same keys, which a test checks.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

__all__ = ["LANGS", "Lang", "catalogue", "check_lang", "t"]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = str(value)
    return flat


@cache
def catalogue(lang: Lang) -> dict[str, str]:
    """Return every message of ``lang`` keyed by its dotted key."""
    merged: dict[str, str] = {}
    folder = resources.files(__package__)
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(f".{lang}.toml"):
            continue
        messages = _flatten(tomllib.loads(entry.read_text(encoding="utf-8")))
        clashes = sorted(merged.keys() & messages.keys())
        if clashes:
            raise ValueError(f"message key {clashes[0]!r} is defined twice ({entry.name})")
        merged.update(messages)
    return merged


def check_lang(lang: str) -> Lang:
    """Return ``lang`` as a Lang, raising ValueError for anything but ``zh`` or ``en``."""
    if lang not in LANGS:
        raise ValueError(f"invalid language {lang!r}: use one of {', '.join(LANGS)}")
    return cast(Lang, lang)


def t(key: str, lang: Lang = DEFAULT_LANG, /, **values: Any) -> str:
    """Return the message ``key`` in ``lang`` with ``values`` filled in.

    A key missing from the catalogue returns the key itself, so a gap shows on screen instead
    of crashing; the catalogue test keeps both languages complete.
    """
    template = catalogue(lang).get(key)
    if template is None:
        return key
    return template.format(**values) if values else template
