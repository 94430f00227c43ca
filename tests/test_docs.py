"""The ODD documents name every parameter and category of the model, in both languages."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path

import pytest

from iursim import chain
from iursim.scenario import iter_parameters

DOCS = Path(__file__).resolve().parents[1] / "docs"
ODD_EN = DOCS / "ODD.md"
ODD_ZH = DOCS / "ODD.zh-CN.md"

# A numbered heading such as "## 7.12 Form choice" or "### 4.3 适应".
HEADING = re.compile(r"^(#{2,6})\s+(\d+(?:\.\d+)*)\.?\s", re.MULTILINE)


def _enum_names() -> list[str]:
    """Names under which every category of ``iursim.chain`` appears in outputs."""
    names: list[str] = []
    for value in vars(chain).values():
        if not (isinstance(value, type) and issubclass(value, Enum)
                and value.__module__ == chain.__name__):
            continue
        for member in value:
            names.append(member.key if hasattr(member, "key") else str(member.value))
    return names


def _headings(path: Path) -> list[tuple[int, str]]:
    return [(len(hashes), number) for hashes, number in HEADING.findall(path.read_text("utf-8"))]


@pytest.mark.parametrize("path", [ODD_EN, ODD_ZH], ids=["en", "zh"])
@pytest.mark.parametrize("key", [spec.key for spec in iter_parameters()])
def test_odd_names_parameter(path: Path, key: str) -> None:
    assert f"`{key}`" in path.read_text("utf-8"), f"{path.name} does not mention `{key}`"


@pytest.mark.parametrize("path", [ODD_EN, ODD_ZH], ids=["en", "zh"])
@pytest.mark.parametrize("name", _enum_names())
def test_odd_names_category(path: Path, name: str) -> None:
    assert f"`{name}`" in path.read_text("utf-8"), f"{path.name} does not mention `{name}`"


def test_enum_names_cover_chain() -> None:
    # Paths, forms, barriers, channels, region types and roles must all be among the names.
    names = set(_enum_names())
    for category in (chain.Path, chain.CooperationForm, chain.Barrier, chain.Channel,
                     chain.RegionType, chain.GovernmentRole):
        for member in category:
            assert member.value in names


def test_odd_has_numbered_sections() -> None:
    numbers = [number for _level, number in _headings(ODD_EN)]
    for top in ("1", "2", "3", "4", "5", "6", "7"):
        assert top in numbers, f"ODD.md lacks section {top}"


def test_chinese_odd_same_sections() -> None:
    assert _headings(ODD_ZH) == _headings(ODD_EN)
