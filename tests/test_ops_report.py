"""docs/ops.md is what scripts/ops_report.py generates from the registry and the op tests, and
the registry covers at least 250 names that a property test names."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _report():
    spec = importlib.util.spec_from_file_location("ops_report", ROOT / "scripts" / "ops_report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_docs_ops_md_is_up_to_date():
    report = _report()
    want = report.render_docs(report.collect())
    have = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    assert have == want, "docs/ops.md is out of date: run python scripts/ops_report.py --write-docs"


def test_at_least_250_names_are_proven():
    report = _report()
    rows = report.collect()["rows"]
    proven = [name for name, _, _, tests in rows if tests]
    assert len(proven) >= 250, f"only {len(proven)} registered names are named in a property test"


def test_layer_coverage_lists_the_missing():
    report = _report()
    covered, missing = report.layer_coverage()
    assert covered and not set(covered) & set(missing)
    assert not set(report.CONTAINERS) & set(covered + missing)
    assert "Linear" in covered and "Conv2d" in covered
