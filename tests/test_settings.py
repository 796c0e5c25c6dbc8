"""Tests for shapelens.settings and scripts/gen_settings.py."""

from __future__ import annotations

import dataclasses
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "scripts"))

from shapelens.settings import (  # noqa: E402
    SEVERITIES,
    Settings,
    configuration_properties,
    iter_settings,
    parse_settings,
    unknown_keys,
)

import gen_settings  # noqa: E402


def parse(raw):
    logs: list[str] = []
    return parse_settings(raw, logs.append), logs


# --------------------------------------------------------------------------- defaults


def test_defaults():
    s = Settings()
    assert s.interpreter == ()
    assert s.diagnostics.enable is True
    assert s.diagnostics.debounce_ms == 300
    assert s.diagnostics.severity == {}
    assert s.diagnostics.show_information is True
    assert s.inlay_hints.enable is True
    assert s.inlay_hints.only_changed is False
    assert s.inlay_hints.max_length == 60
    assert s.hover.enable is True
    assert s.code_lens.enable is True
    assert s.confirm.enable is False
    assert s.confirm.python == ""
    assert s.confirm.delay_ms == 1500
    assert s.confirm.timeout_seconds == 10
    assert s.confirm.memory_mb == 4096
    assert s.confirm.cpu_check is True
    assert s.confirm.symbol_values == {"B": 2}
    assert s.trace.server == "off"


@pytest.mark.parametrize("raw", [None, {}])
def test_empty_input_gives_defaults_without_logging(raw):
    s, logs = parse(raw)
    assert s == Settings()
    assert logs == []


def test_defaults_round_trip_through_json():
    js = Settings().to_json()
    assert js == {
        "interpreter": [],
        "diagnostics": {"enable": True, "debounceMs": 300, "severity": {}, "showInformation": True},
        "inlayHints": {"enable": True, "onlyChanged": False, "maxLength": 60},
        "hover": {"enable": True},
        "codeLens": {"enable": True},
        "confirm": {
            "enable": False,
            "python": "",
            "delayMs": 1500,
            "timeoutSeconds": 10.0,
            "memoryMb": 4096,
            "cpuCheck": True,
            "symbolValues": {"B": 2},
        },
        "trace": {"server": "off"},
    }
    json.dumps(js)  # plain JSON
    s, logs = parse(js)
    assert s == Settings() and logs == []


def test_settings_are_frozen_and_hashable_and_picklable():
    s = parse_settings({"diagnostics": {"severity": {"SL101": "warning"}}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.hover = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.diagnostics.severity["SL102"] = "error"  # type: ignore[index]
    with pytest.raises(TypeError):
        Settings().confirm.symbol_values.update({"N": 3})  # type: ignore[attr-defined]
    assert Settings().confirm.symbol_values == {"B": 2}  # the default was not mutated
    hash(s)
    assert pickle.loads(pickle.dumps(s)) == s


# --------------------------------------------------------------------------- camelCase / dotted


def test_camel_case_nested_object():
    raw = {
        "interpreter": ["/opt/py/bin/python", "-X", "utf8"],
        "diagnostics": {"enable": False, "debounceMs": 50, "severity": {"SL101": "warning", "SL200": "off"}},
        "inlayHints": {"enable": False, "onlyChanged": True, "maxLength": 80},
        "hover": {"enable": False},
        "codeLens": {"enable": False},
        "confirm": {
            "enable": True,
            "python": "/opt/torch/bin/python",
            "delayMs": 0,
            "timeoutSeconds": 2.5,
            "memoryMb": 512,
            "cpuCheck": False,
            "symbolValues": {"N": 3, "T": 16},
        },
        "trace": {"server": "verbose"},
    }
    s, logs = parse(raw)
    assert logs == []
    assert s.interpreter == ("/opt/py/bin/python", "-X", "utf8")
    assert s.diagnostics.enable is False
    assert s.diagnostics.debounce_ms == 50
    assert s.diagnostics.severity == {"SL101": "warning", "SL200": "off"}
    assert s.diagnostics.severity_for("SL101", "error") == "warning"
    assert s.diagnostics.severity_for("SL999", "error") == "error"
    assert (s.inlay_hints.enable, s.inlay_hints.only_changed, s.inlay_hints.max_length) == (False, True, 80)
    assert s.hover.enable is False and s.code_lens.enable is False
    assert s.confirm.enable is True
    assert s.confirm.python == "/opt/torch/bin/python"
    assert (s.confirm.delay_ms, s.confirm.timeout_seconds, s.confirm.memory_mb) == (0, 2.5, 512)
    assert s.confirm.cpu_check is False
    # object settings replace the default map
    assert s.confirm.symbol_values == {"N": 3, "T": 16}
    assert s.trace.server == "verbose"
    expected = json.loads(json.dumps(raw))
    expected["diagnostics"]["showInformation"] = True  # not given: default
    assert s.to_json() == expected


def test_example_from_vscode():
    s, logs = parse({"diagnostics": {"severity": {"SL101": "warning"}}, "inlayHints": {"enable": False}})
    assert logs == []
    assert s.diagnostics.severity == {"SL101": "warning"}
    assert s.inlay_hints.enable is False
    assert s.hover == Settings().hover


def test_flattened_dotted_keys():
    s, logs = parse(
        {
            "inlayHints.enable": False,
            "diagnostics.severity": {"SL101": "hint"},
            "confirm.symbolValues": {"B": 4},
            "trace.server": "messages",
        }
    )
    assert logs == []
    assert s.inlay_hints.enable is False
    assert s.diagnostics.severity == {"SL101": "hint"}
    assert s.confirm.symbol_values == {"B": 4}
    assert s.trace.server == "messages"


def test_dotted_and_nested_keys_merge():
    raw = {"diagnostics": {"enable": False, "severity": {"SL101": "hint"}}, "diagnostics.debounceMs": 10,
           "diagnostics.severity.SL102": "off"}
    s, logs = parse(raw)
    assert logs == []
    assert s.diagnostics.enable is False
    assert s.diagnostics.debounce_ms == 10
    assert s.diagnostics.severity == {"SL101": "hint", "SL102": "off"}
    assert raw["diagnostics"]["severity"] == {"SL101": "hint"}  # input not mutated


def test_section_prefix_and_snake_case_aliases():
    s1, logs1 = parse({"shapelens": {"inlayHints": {"maxLength": 20}}})
    s2, logs2 = parse({"shapelens.inlayHints.maxLength": 20})
    s3, logs3 = parse({"inlay_hints": {"max_length": 20}})
    assert logs1 == logs2 == logs3 == []
    assert s1.inlay_hints.max_length == s2.inlay_hints.max_length == s3.inlay_hints.max_length == 20


def test_unknown_keys_are_ignored_but_reportable():
    raw = {"workspaceTrusted": False, "inlayHints": {"enabled": False, "enable": False}, "colour": "red"}
    s, logs = parse(raw)
    assert logs == []
    assert s.inlay_hints.enable is False
    assert sorted(unknown_keys(raw)) == ["colour", "inlayHints.enabled"]


def test_null_means_unset():
    s, logs = parse({"hover": None, "inlayHints": {"maxLength": None}, "confirm.python": None})
    assert s == Settings() and logs == []


def test_enum_values_are_case_insensitive():
    s, logs = parse({"diagnostics": {"severity": {"SL101": "Warning"}}, "trace": {"server": "VERBOSE"}})
    assert logs == []
    assert s.diagnostics.severity == {"SL101": "warning"}
    assert s.trace.server == "verbose"


def test_integral_floats_accepted_for_integers():
    s, logs = parse({"diagnostics.debounceMs": 250.0, "confirm.symbolValues": {"B": 8.0}})
    assert logs == []
    assert s.diagnostics.debounce_ms == 250 and isinstance(s.diagnostics.debounce_ms, int)
    assert s.confirm.symbol_values == {"B": 8}


def test_for_untrusted_workspace_turns_confirm_off():
    s = parse_settings({"confirm": {"enable": True, "python": "/x/python", "delayMs": 5}, "interpreter": ["py"]})
    safe = s.for_untrusted_workspace()
    assert safe.confirm.enable is False and safe.confirm.python == "" and safe.interpreter == ()
    assert safe.confirm.delay_ms == 5
    assert s.confirm.enable is True  # the original is unchanged


# --------------------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    "raw, key, attr, fragment",
    [
        ({"diagnostics": {"enable": "yes"}}, "shapelens.diagnostics.enable", ("diagnostics", "enable"), "true or false"),
        ({"diagnostics": {"enable": 1}}, "shapelens.diagnostics.enable", ("diagnostics", "enable"), "true or false"),
        ({"diagnostics": {"debounceMs": -5}}, "shapelens.diagnostics.debounceMs", ("diagnostics", "debounce_ms"), "at least 0"),
        ({"diagnostics": {"debounceMs": "300"}}, "shapelens.diagnostics.debounceMs", ("diagnostics", "debounce_ms"), "integer"),
        ({"diagnostics": {"debounceMs": True}}, "shapelens.diagnostics.debounceMs", ("diagnostics", "debounce_ms"), "integer"),
        ({"diagnostics": {"debounceMs": 1.5}}, "shapelens.diagnostics.debounceMs", ("diagnostics", "debounce_ms"), "integer"),
        ({"inlayHints.maxLength": 3}, "shapelens.inlayHints.maxLength", ("inlay_hints", "max_length"), "at least 10"),
        ({"confirm": {"timeoutSeconds": 0}}, "shapelens.confirm.timeoutSeconds", ("confirm", "timeout_seconds"), "at least 1"),
        ({"confirm": {"timeoutSeconds": float("nan")}}, "shapelens.confirm.timeoutSeconds", ("confirm", "timeout_seconds"), "number"),
        ({"confirm": {"memoryMb": 128}}, "shapelens.confirm.memoryMb", ("confirm", "memory_mb"), "at least 256"),
        ({"confirm": {"python": 3}}, "shapelens.confirm.python", ("confirm", "python"), "string"),
        ({"confirm": {"symbolValues": [1, 2]}}, "shapelens.confirm.symbolValues", ("confirm", "symbol_values"), "object"),
        ({"diagnostics": {"severity": "warning"}}, "shapelens.diagnostics.severity", ("diagnostics", "severity"), "object"),
        ({"trace": {"server": "loud"}}, "shapelens.trace.server", ("trace", "server"), '"verbose"'),
        ({"interpreter": "python3"}, "shapelens.interpreter", ("interpreter",), "list of strings"),
        ({"interpreter": ["python3", 3]}, "shapelens.interpreter", ("interpreter",), "list of strings"),
    ],
)
def test_bad_value_falls_back_to_default_with_message(raw, key, attr, fragment):
    s, logs = parse(raw)
    value, default = s, Settings()
    for name in attr:
        value, default = getattr(value, name), getattr(default, name)
    assert value == default
    assert len(logs) == 1, logs
    assert key in logs[0]
    assert fragment in logs[0]
    assert "default" in logs[0]


def test_bad_value_does_not_affect_siblings():
    s, logs = parse({"inlayHints": {"enable": False, "maxLength": "long"}, "hover.enable": False})
    assert len(logs) == 1
    assert s.inlay_hints.enable is False
    assert s.inlay_hints.max_length == 60
    assert s.hover.enable is False


def test_bad_map_entries_are_dropped_individually():
    s, logs = parse(
        {
            "diagnostics": {"severity": {"SL101": "warning", "SL102": "fatal", "SL103": 2}},
            "confirm": {"symbolValues": {"B": 0, "N": "big", "T": 16}},
        }
    )
    assert s.diagnostics.severity == {"SL101": "warning"}
    assert s.confirm.symbol_values == {"T": 16}
    assert len(logs) == 4
    assert any("shapelens.diagnostics.severity.SL102" in m and "fatal" in m for m in logs)
    assert any("shapelens.confirm.symbolValues.B" in m and "at least 1" in m for m in logs)


@pytest.mark.parametrize("raw", [[], "inlayHints", 42, {"inlayHints": 5}, {"diagnostics": [True]}])
def test_garbage_never_raises(raw):
    s, logs = parse(raw)
    assert s == Settings()
    assert len(logs) == 1 and "default" in logs[0]


def test_works_without_a_logger():
    assert parse_settings({"inlayHints": {"maxLength": -1}}).inlay_hints.max_length == 60


# --------------------------------------------------------------------------- metadata / generator


def test_every_setting_has_metadata():
    keys = [info.full_key for info in iter_settings()]
    assert keys == [
        "shapelens.interpreter",
        "shapelens.diagnostics.enable",
        "shapelens.diagnostics.debounceMs",
        "shapelens.diagnostics.severity",
        "shapelens.diagnostics.showInformation",
        "shapelens.inlayHints.enable",
        "shapelens.inlayHints.onlyChanged",
        "shapelens.inlayHints.maxLength",
        "shapelens.hover.enable",
        "shapelens.codeLens.enable",
        "shapelens.confirm.enable",
        "shapelens.confirm.python",
        "shapelens.confirm.delayMs",
        "shapelens.confirm.timeoutSeconds",
        "shapelens.confirm.memoryMb",
        "shapelens.confirm.cpuCheck",
        "shapelens.confirm.symbolValues",
        "shapelens.trace.server",
    ]
    for info in iter_settings():
        assert info.metadata["description"].strip()
        assert info.metadata["json_type"] in {"boolean", "integer", "number", "string", "array", "object"}


def test_schema_details():
    props = configuration_properties()
    assert props["shapelens.diagnostics.severity"]["additionalProperties"]["enum"] == list(SEVERITIES)
    assert props["shapelens.inlayHints.maxLength"]["minimum"] == 10
    assert props["shapelens.confirm.symbolValues"]["default"] == {"B": 2}
    assert props["shapelens.trace.server"]["enum"] == ["off", "messages", "verbose"]


def test_restricted_settings_match_untrusted_workspace_capability():
    manifest = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    restricted = {info.full_key for info in iter_settings() if info.metadata["restricted"]}
    declared = manifest["capabilities"]["untrustedWorkspaces"]["restrictedConfigurations"]
    assert restricted == set(declared)


def test_package_json_in_sync_with_settings_py():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_settings.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_generator_check_detects_stale_files(tmp_path):
    manifest = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    manifest["contributes"]["configuration"]["properties"].pop("shapelens.hover.enable")
    (tmp_path / "package.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (tmp_path / "README.md").write_text("# x\n\n<!-- settings:start -->\nold\n<!-- settings:end -->\n", encoding="utf-8")
    assert gen_settings.main(["--check", "--root", str(tmp_path)]) == 1
    assert gen_settings.main(["--root", str(tmp_path)]) == 0
    assert gen_settings.main(["--check", "--root", str(tmp_path)]) == 0
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# x\n\n<!-- settings:start -->\n")
    assert readme.endswith("<!-- settings:end -->\n")
    assert "| `shapelens.inlayHints.maxLength` | integer ≥ 10 | `60` |" in readme
    assert "old" not in readme


def test_generator_leaves_readme_without_markers_alone(tmp_path):
    (tmp_path / "package.json").write_text((ROOT / "package.json").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "README.md").write_text("# no markers\n", encoding="utf-8")
    assert gen_settings.main(["--root", str(tmp_path)]) == 0
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "# no markers\n"
    assert gen_settings.main(["--check", "--root", str(tmp_path)]) == 0
