"""Message catalogues for the two user languages, Simplified Chinese and English.

Each language has one TOML file beside this module; nested tables flatten to dotted keys
(``error.scenario.missing_file``). Both files must define the same keys, which a test checks.
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
    text = resources.files(__package__).joinpath(f"{lang}.toml").read_text(encoding="utf-8")
    return _flatten(tomllib.loads(text))


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
