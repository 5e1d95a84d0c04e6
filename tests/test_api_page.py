"""docs/api.md is what .ci/api_page.py writes from the code, and covers what plugin authors need."""
from __future__ import annotations

import dataclasses
import importlib
import re

from tests.conftest import ROOT
from tests.kit_helpers import load_module

api_page = load_module(ROOT / ".ci" / "api_page.py", "api_page")


def test_the_api_page_is_up_to_date():
    assert api_page.PAGE.read_text() == api_page.render(), "docs/api.md is stale: run python .ci/api_page.py"


def test_each_module_once_and_importable():
    listed = re.findall(r"^::: ([\w.]+)$", api_page.PAGE.read_text(), flags=re.M)
    assert listed == list(api_page.MODULES) and len(set(listed)) == len(listed)
    for module, members in api_page.MODULES.items():
        imported = importlib.import_module(module)
        assert all(hasattr(imported, m) for m in members or []), module
    assert set(api_page.SECTIONS) <= set(api_page.MODULES)


def test_claim_and_setting_fields_are_described():
    from arena.claims.format import Claim
    from arena.landscape.setting import Setting

    for cls in (Claim, Setting):
        docs = api_page.field_docs(cls)
        missing = [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_") and not docs.get(f.name)]
        assert missing == [], f"{cls.__name__}: fields without a docstring: {missing}"


def test_the_page_names_every_assumption_and_the_knob_checks():
    from arena.assumptions.registry import ASSUMPTION_NAMES

    text = api_page.PAGE.read_text()
    assert [n for n in ASSUMPTION_NAMES if f"| `{n}` |" not in text] == []
    for name in ("require_number(who, key, value, *, above=0.0, at_least=None)", "require_int(", "`X` | `torch.Tensor`",
                 "`.param_shapes`", "`max_claims`"):
        assert name in text, name


def test_field_docs_reads_docstrings_prose_and_comments():
    @dataclasses.dataclass
    class Example:
        """An example; ``b``: from the prose; ``d``: the prose wins."""

        a: int = 1
        """From the docstring."""
        b: int = 2
        c: int = 3  # from the comment
        d: int = 4  # not this
        e: int = 5

    assert api_page.field_docs(Example) == {"a": "From the docstring.", "b": "from the prose",
                                            "c": "from the comment", "d": "the prose wins"}
