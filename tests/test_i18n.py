"""Message catalogues: both languages complete, placeholders identical, names for every Enum."""

from __future__ import annotations

import re
import string
import tomllib
from enum import Enum
from importlib import resources
from pathlib import Path

import pytest

from iursim import chain
from iursim.i18n import LANGS, _flatten, catalogue, t

FOLDER = Path(str(resources.files("iursim.i18n")))
AREAS = sorted({path.name.split(".")[0] for path in FOLDER.glob("*.toml")})


def _area(area: str, lang: str) -> dict[str, str]:
    path = FOLDER / f"{area}.{lang}.toml"
    return _flatten(tomllib.loads(path.read_text(encoding="utf-8"))) if path.exists() else {}


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


@pytest.mark.parametrize("area", AREAS)
def test_area_has_same_keys_in_both_languages(area: str) -> None:
    zh, en = _area(area, "zh"), _area(area, "en")
    assert sorted(zh.keys() - en.keys()) == [], f"{area}: keys only in zh"
    assert sorted(en.keys() - zh.keys()) == [], f"{area}: keys only in en"


@pytest.mark.parametrize("area", AREAS)
def test_area_placeholders_match(area: str) -> None:
    zh, en = _area(area, "zh"), _area(area, "en")
    mismatched = {key: (_placeholders(zh[key]), _placeholders(en[key]))
                  for key in zh.keys() & en.keys()
                  if _placeholders(zh[key]) != _placeholders(en[key])}
    assert mismatched == {}


@pytest.mark.parametrize("area", AREAS)
def test_area_has_no_empty_message(area: str) -> None:
    for lang in LANGS:
        empty = [key for key, text in _area(area, lang).items() if not text.strip()]
        assert empty == [], f"{area}.{lang}"


def test_catalogues_load_without_duplicate_keys() -> None:
    # catalogue() raises ValueError when two areas define the same key.
    for lang in LANGS:
        assert len(catalogue(lang)) > 0


def test_catalogues_define_same_keys() -> None:
    assert catalogue("zh").keys() == catalogue("en").keys()


NAMED_ENUMS: dict[str, type[Enum]] = {
    "path": chain.Path,
    "form": chain.CooperationForm,
    "barrier": chain.Barrier,
    "channel": chain.Channel,
    "stage": chain.Stage,
    "strength": chain.Strength,
    "tightness": chain.Tightness,
    "side": chain.BarrierSide,
    "region_type": chain.RegionType,
    "role": chain.GovernmentRole,
    "intermediary": chain.IntermediaryKind,
    "scope": chain.ServiceScope,
    "ownership": chain.PlatformOwnership,
}


@pytest.mark.parametrize("kind", sorted(NAMED_ENUMS))
def test_every_enum_member_has_display_name(kind: str) -> None:
    for member in NAMED_ENUMS[kind]:
        value = member.key if isinstance(member.value, int) else member.value
        for lang in LANGS:
            assert f"name.{kind}.{value}" in catalogue(lang), (kind, value, lang)


def test_display_names_differ_between_languages() -> None:
    # A Chinese name equal to the English one usually means a line was copied untranslated.
    zh, en = catalogue("zh"), catalogue("en")
    same = [key for key in zh if key.startswith("name.") and zh[key] == en[key]]
    assert same == []


def test_t_fills_placeholders() -> None:
    assert t("cli.error.unwritable_out", "en", path="/x", detail="denied").startswith(
        "cannot write to the output directory /x: denied.")
    assert "/x" in t("cli.error.unwritable_out", "zh", path="/x", detail="denied")


# The two READMEs are translations of each other.
REPO = Path(__file__).resolve().parents[1]
READMES = (REPO / "README.md", REPO / "README.zh-CN.md")
LOCAL_LINK = re.compile(r"\]\((?!https?://|#)([^)\s]+)\)")


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL)


def test_readmes_have_same_section_count() -> None:
    english, chinese = (path.read_text(encoding="utf-8") for path in READMES)
    assert len(re.findall(r"^## ", english, re.MULTILINE)) == \
        len(re.findall(r"^## ", chinese, re.MULTILINE))


def _commands(text: str) -> list[str]:
    """Shell command lines of the code blocks, without their comments."""
    lines = (line.split("#")[0].strip() for block in _code_blocks(text)
             for line in block.splitlines())
    return [line for line in lines if line.startswith((".venv/", "make "))]


def test_readmes_show_same_commands() -> None:
    english, chinese = (_commands(path.read_text(encoding="utf-8")) for path in READMES)
    assert "make run" in english
    assert "make test" in english
    assert english == chinese


@pytest.mark.parametrize("readme", READMES, ids=lambda path: path.name)
def test_readme_local_links_exist(readme: Path) -> None:
    targets = LOCAL_LINK.findall(readme.read_text(encoding="utf-8"))
    assert targets
    missing = [target for target in targets if not (REPO / target).exists()]
    assert missing == []
