"""User settings for ShapeLens: the single source of truth.

Every setting lives here once, as a field of a frozen dataclass with metadata
(description, JSON type, enum, minimum, ...).  From this tree we derive:

* the defaults (``Settings()``),
* the parser for what editors send (:func:`parse_settings`),
* the JSON form sent back / logged (:meth:`Settings.to_json`),
* ``contributes.configuration`` in the VS Code ``package.json`` and the settings
  table in README.md (``scripts/gen_settings.py``, via :func:`configuration_properties`).

This module is pure Python: no pygls / lsprotocol import, so the CLI, the
server, the confirm worker and the generator can all use it.

Settings travel as the camelCase JSON object of the ``shapelens`` section, e.g.
``{"diagnostics": {"severity": {"SL101": "warning"}}, "inlayHints": {"enable": false}}``,
or as flattened dotted keys, e.g. ``{"inlayHints.enable": false}``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

__all__ = [
    "SECTION",
    "SEVERITIES",
    "TRACE_LEVELS",
    "FrozenMap",
    "DiagnosticsSettings",
    "InlayHintsSettings",
    "HoverSettings",
    "CodeLensSettings",
    "ConfirmSettings",
    "TraceSettings",
    "Settings",
    "SettingInfo",
    "parse_settings",
    "iter_settings",
    "configuration_properties",
    "unknown_keys",
]

SECTION = "shapelens"

#: Values allowed in ``diagnostics.severity``.  "off" hides the finding.
SEVERITIES = ("error", "warning", "information", "hint", "off")
#: Values of ``trace.server`` (read by vscode-languageclient, not by the server).
TRACE_LEVELS = ("off", "messages", "verbose")

#: Keys the VS Code client adds to initializationOptions next to the settings;
#: they are not settings and are not reported by :func:`unknown_keys`.
CLIENT_KEYS = frozenset({"workspaceTrusted"})

Log = Callable[[str], None]


class FrozenMap(dict):
    """A read-only dict: settings are immutable, but still JSON- and pickle-friendly."""

    __slots__ = ()

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("settings maps are read-only")

    __setitem__ = __delitem__ = _readonly  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (dict(self),))

    def __repr__(self) -> str:
        return f"FrozenMap({dict.__repr__(self)})"


# --------------------------------------------------------------------------- metadata


def setting(
    default: Any = dataclasses.MISSING,
    *,
    description: str,
    json_type: str,
    default_factory: Callable[[], Any] | None = None,
    enum: tuple[str, ...] | None = None,
    enum_descriptions: tuple[str, ...] | None = None,
    minimum: float | None = None,
    items: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    scope: str = "resource",
    client_only: bool = False,
    restricted: bool = False,
    key: str | None = None,
) -> Any:
    """A dataclass field carrying the metadata of one user setting.

    ``json_type``: boolean | integer | number | string | array | object.
    ``items``: JSON schema of array items; ``values``: JSON schema of object values
    (supports ``type`` integer/string, ``enum`` and ``minimum``).
    ``client_only``: read by the editor client, ignored by the server.
    ``restricted``: not honoured from an untrusted workspace.
    ``key``: the camelCase JSON key, if not derived from the field name.
    """
    meta = {
        "description": description,
        "json_type": json_type,
        "enum": enum,
        "enum_descriptions": enum_descriptions,
        "minimum": minimum,
        "items": items,
        "values": values,
        "scope": scope,
        "client_only": client_only,
        "restricted": restricted,
        "key": key,
    }
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def group(cls: type, *, description: str = "", key: str | None = None) -> Any:
    """A dataclass field holding a nested settings group."""
    return field(default_factory=cls, metadata={"group": True, "description": description, "key": key})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _json_key(f: dataclasses.Field) -> str:
    return f.metadata.get("key") or _camel(f.name)


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class DiagnosticsSettings:
    enable: bool = setting(True, json_type="boolean", description="Report tensor-shape findings as diagnostics.")
    debounce_ms: int = setting(
        300,
        json_type="integer",
        minimum=0,
        description="Wait this many milliseconds after the last edit before re-analysing a document.",
    )
    severity: Mapping[str, str] = setting(
        json_type="object",
        default_factory=FrozenMap,
        values={"type": "string", "enum": list(SEVERITIES)},
        description=(
            'Override the severity of individual findings, by code, e.g. `{"SL101": "warning"}`. '
            'Values: "error", "warning", "information", "hint", or "off" to hide the finding.'
        ),
    )
    show_information: bool = setting(
        True,
        json_type="boolean",
        description='Show information-level "tracking lost" notes where ShapeLens can no longer follow a shape.',
    )

    def severity_for(self, code: str, default: str) -> str:
        """The configured severity for finding ``code``, or ``default``."""
        return self.severity.get(code, default)


@dataclass(frozen=True)
class InlayHintsSettings:
    enable: bool = setting(True, json_type="boolean", description="Show inferred tensor shapes as inlay hints.")
    only_changed: bool = setting(
        False, json_type="boolean", description="Show a hint only on lines where a tensor's shape changes."
    )
    max_length: int = setting(
        60, json_type="integer", minimum=10, description="Truncate inlay hints longer than this many characters."
    )


@dataclass(frozen=True)
class HoverSettings:
    enable: bool = setting(True, json_type="boolean", description="Show tensor shapes on hover.")


@dataclass(frozen=True)
class CodeLensSettings:
    enable: bool = setting(
        True, json_type="boolean", description="Show a code lens with the shape summary above nn.Module classes."
    )


@dataclass(frozen=True)
class ConfirmSettings:
    enable: bool = setting(
        False,
        json_type="boolean",
        restricted=True,
        description=(
            "Confirm inferred shapes by running the model's forward on torch's meta device in a background "
            "worker. This executes the file's imports and definitions (never its top-level code). "
            "Always off in untrusted workspaces."
        ),
    )
    python: str = setting(
        "",
        json_type="string",
        scope="machine-overridable",
        restricted=True,
        description="Python interpreter (with torch installed) for the confirm worker. Empty: the server's own.",
    )
    delay_ms: int = setting(
        1500,
        json_type="integer",
        minimum=0,
        description="Wait this many milliseconds after the last edit before running the confirm worker.",
    )
    timeout_seconds: float = setting(
        10.0, json_type="number", minimum=1, description="Stop a confirm run that takes longer than this (seconds)."
    )
    memory_mb: int = setting(
        4096, json_type="integer", minimum=256, description="Address-space limit of the confirm worker, in MiB."
    )
    cpu_check: bool = setting(
        True,
        json_type="boolean",
        description=(
            "When confirming, also run small models on the CPU with real tensors: "
            "meta-device kernels accept some shapes that CPU kernels reject."
        ),
    )
    symbol_values: Mapping[str, int] = setting(
        json_type="object",
        default_factory=lambda: FrozenMap({"B": 2}),
        values={"type": "integer", "minimum": 1},
        description='Concrete values given to symbolic dimensions when confirming, e.g. `{"B": 2, "T": 16}`.',
    )


@dataclass(frozen=True)
class TraceSettings:
    server: str = setting(
        "off",
        json_type="string",
        enum=TRACE_LEVELS,
        scope="window",
        client_only=True,
        description="Trace the communication between VS Code and the ShapeLens server in the output channel.",
    )


@dataclass(frozen=True)
class Settings:
    interpreter: tuple[str, ...] = setting(
        json_type="array",
        default_factory=tuple,
        items={"type": "string"},
        scope="machine-overridable",
        client_only=True,
        restricted=True,
        description=(
            'Command that starts the Python used to run the ShapeLens server, e.g. `["/usr/bin/python3"]`. '
            "Empty: the Python extension's active interpreter, else `python3`."
        ),
    )
    diagnostics: DiagnosticsSettings = group(DiagnosticsSettings)
    inlay_hints: InlayHintsSettings = group(InlayHintsSettings)
    hover: HoverSettings = group(HoverSettings)
    code_lens: CodeLensSettings = group(CodeLensSettings)
    confirm: ConfirmSettings = group(ConfirmSettings)
    trace: TraceSettings = group(TraceSettings)

    def to_json(self) -> dict[str, Any]:
        """The camelCase JSON object of the ``shapelens`` section."""
        return _to_json(self)

    def for_untrusted_workspace(self) -> "Settings":
        """These settings with everything that runs workspace code switched off.

        Use when the client says the workspace is not trusted (VS Code sends
        ``initializationOptions.workspaceTrusted: false``): the confirm worker
        would import the workspace's modules.
        """
        return dataclasses.replace(
            self,
            interpreter=(),
            confirm=dataclasses.replace(self.confirm, enable=False, python=""),
        )


def _to_json(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.metadata.get("group"):
            out[_json_key(f)] = _to_json(value)
        elif isinstance(value, tuple):
            out[_json_key(f)] = list(value)
        elif isinstance(value, Mapping):
            out[_json_key(f)] = dict(value)
        else:
            out[_json_key(f)] = value
    return out


# --------------------------------------------------------------------------- introspection


@dataclass(frozen=True)
class SettingInfo:
    """One leaf setting, for docs and schema generation."""

    key: str  # dotted camelCase key without the section, e.g. "inlayHints.maxLength"
    default: Any  # JSON form of the default
    metadata: Mapping[str, Any]

    @property
    def full_key(self) -> str:
        return f"{SECTION}.{self.key}"


def _default_of(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory()  # type: ignore[misc]


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def iter_settings(cls: type = Settings, prefix: str = "") -> Iterator[SettingInfo]:
    """All leaf settings in declaration order."""
    for f in dataclasses.fields(cls):
        key = prefix + _json_key(f)
        if f.metadata.get("group"):
            yield from iter_settings(_group_class(f), key + ".")
        else:
            yield SettingInfo(key=key, default=_jsonable(_default_of(f)), metadata=f.metadata)


def configuration_properties() -> dict[str, dict[str, Any]]:
    """JSON-schema properties for VS Code's ``contributes.configuration``."""
    props: dict[str, dict[str, Any]] = {}
    for info in iter_settings():
        m = info.metadata
        prop: dict[str, Any] = {"type": m["json_type"], "default": info.default}
        if m["json_type"] == "array" and m["items"]:
            prop["items"] = dict(m["items"])
        if m["json_type"] == "object" and m["values"]:
            prop["additionalProperties"] = dict(m["values"])
        if m["enum"]:
            prop["enum"] = list(m["enum"])
        if m["enum_descriptions"]:
            prop["enumDescriptions"] = list(m["enum_descriptions"])
        if m["minimum"] is not None:
            prop["minimum"] = m["minimum"]
        prop["scope"] = m["scope"]
        prop["markdownDescription"] = m["description"]
        props[info.full_key] = prop
    return props


# --------------------------------------------------------------------------- parsing


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_TYPE_NAMES = {
    "boolean": "true or false",
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "array": "a list of strings",
    "object": "an object",
}


def _check_scalar(value: Any, schema: Mapping[str, Any]) -> tuple[bool, Any, str]:
    """Validate one scalar against ``type``/``enum``/``minimum``: (ok, normalised value, reason)."""
    json_type = schema.get("type") or schema.get("json_type")
    if json_type == "boolean":
        if isinstance(value, bool):
            return True, value, ""
        return False, None, "expected true or false"
    if json_type in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False, None, f"expected {_TYPE_NAMES[json_type]}"
        if isinstance(value, float) and not math.isfinite(value):
            return False, None, f"expected {_TYPE_NAMES[json_type]}"
        if json_type == "integer":
            if isinstance(value, float):
                if not value.is_integer():
                    return False, None, "expected an integer"
                value = int(value)
        else:
            value = float(value)
        minimum = schema.get("minimum")
        if minimum is not None and value < minimum:
            return False, None, f"must be at least {minimum:g}"
        return True, value, ""
    if json_type == "string":
        if not isinstance(value, str):
            return False, None, "expected a string"
        enum = schema.get("enum")
        if enum:
            lowered = value.strip().lower()
            for choice in enum:
                if choice.lower() == lowered:
                    return True, choice, ""
            return False, None, "expected one of " + ", ".join(f'"{c}"' for c in enum)
        return True, value, ""
    raise AssertionError(f"unsupported schema type {json_type!r}")  # pragma: no cover


def _parse_leaf(f: dataclasses.Field, value: Any, key: str, log: Log) -> Any:
    m = f.metadata
    default = _default_of(f)
    json_type = m["json_type"]

    def bad(reason: str) -> Any:
        log(
            f"Invalid setting {SECTION}.{key} = {_describe(value)}: {reason}; "
            f"using the default {_describe(_jsonable(default))}."
        )
        return default

    if json_type == "array":
        if not isinstance(value, (list, tuple)):
            return bad("expected a list of strings")
        if not all(isinstance(item, str) for item in value):
            return bad("expected a list of strings")
        return tuple(value)
    if json_type == "object":
        if not isinstance(value, Mapping):
            return bad("expected an object")
        schema = m["values"] or {}
        result: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str) or not k.strip():
                log(f"Invalid key {_describe(k)} in setting {SECTION}.{key}: ignored.")
                continue
            ok, norm, reason = _check_scalar(v, schema)
            if not ok:
                log(f"Invalid entry {SECTION}.{key}.{k} = {_describe(v)}: {reason}; ignored.")
                continue
            result[k.strip()] = norm
        return FrozenMap(result)
    schema = {"json_type": json_type, "enum": m["enum"], "minimum": m["minimum"]}
    ok, norm, reason = _check_scalar(value, schema)
    if not ok:
        return bad(reason)
    return norm


def _field_index(cls: type) -> dict[str, dataclasses.Field]:
    """Accepted keys of a group: the camelCase key and the Python field name."""
    index: dict[str, dataclasses.Field] = {}
    for f in dataclasses.fields(cls):
        index[_json_key(f)] = f
        index.setdefault(f.name, f)
    return index


def _group_class(f: dataclasses.Field) -> type:
    return _default_of(f).__class__


def _parse_group(cls: type, raw: Mapping[str, Any], prefix: str, log: Log) -> Any:
    index = _field_index(cls)
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        f = index.get(key) if isinstance(key, str) else None
        if f is None:
            continue  # unknown keys are ignored (see unknown_keys())
        dotted = prefix + _json_key(f)
        if f.metadata.get("group"):
            if value is None:
                continue
            if not isinstance(value, Mapping):
                log(f"Invalid setting {SECTION}.{dotted} = {_describe(value)}: expected an object; using the defaults.")
                continue
            kwargs[f.name] = _parse_group(_group_class(f), value, dotted + ".", log)
        elif value is None:
            continue  # null = not set (VS Code sends null for unset values in some cases)
        else:
            kwargs[f.name] = _parse_leaf(f, value, dotted, log)
    return cls(**kwargs)


def _deep_merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict) and not _is_map_setting_value(key):
            _deep_merge(target[key], value)
        elif isinstance(value, Mapping):
            target[key] = dict(value) if _is_map_setting_value(key) else _unflatten(value, top=False)
        else:
            target[key] = value


def _map_setting_keys(cls: type = Settings) -> Iterator[str]:
    for f in dataclasses.fields(cls):
        if f.metadata.get("group"):
            yield from _map_setting_keys(_group_class(f))
        elif f.metadata["json_type"] == "object":
            yield _json_key(f)
            yield f.name


_MAP_SETTING_KEYS = frozenset(_map_setting_keys())


def _is_map_setting_value(key: str) -> bool:
    # The values of object-typed settings (severity, symbolValues) are replaced, not merged.
    return key in _MAP_SETTING_KEYS


def _unflatten(raw: Mapping[str, Any], top: bool = True) -> dict[str, Any]:
    """Turn dotted keys into nested objects; strip a leading ``shapelens`` section."""
    result: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            continue
        parts = key.split(".") if "." in key else [key]
        if top and parts[0] == SECTION and (len(parts) > 1 or isinstance(value, Mapping)):
            parts = parts[1:]
            if not parts:  # {"shapelens": {...}}: unwrap the section
                _deep_merge(result, _unflatten(value))
                continue
        node = result
        for part in parts[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = node[part] = {}
            node = nxt
        leaf = parts[-1]
        if isinstance(value, Mapping) and not _is_map_setting_value(leaf):
            nested = _unflatten(value, top=False)
            if isinstance(node.get(leaf), dict):
                _deep_merge(node[leaf], nested)
            else:
                node[leaf] = nested
        elif isinstance(value, Mapping):
            node[leaf] = dict(value)  # a map setting's value: copied, never merged or mutated
        else:
            node[leaf] = value
    return result


def parse_settings(raw: Mapping[str, Any] | None, log: Log | None = None) -> Settings:
    """Build :class:`Settings` from the ``shapelens`` JSON object an editor sends.

    Accepts nested camelCase objects, flattened dotted keys (``"inlayHints.enable"``),
    either optionally prefixed by ``shapelens``, and Python field names
    (``inlay_hints``) as aliases.  Unknown keys and ``null`` values are ignored.
    Each invalid value is reported through ``log`` and replaced by its default;
    invalid entries of object settings (``diagnostics.severity``,
    ``confirm.symbolValues``) are dropped one by one.  Object settings replace the
    default map rather than merging with it.  Never raises.
    """
    emit: Log = log if log is not None else (lambda _msg: None)
    if raw is None:
        return Settings()
    if not isinstance(raw, Mapping):
        emit(f"Invalid {SECTION} settings {_describe(raw)}: expected an object; using the defaults.")
        return Settings()
    try:
        return _parse_group(Settings, _unflatten(raw), "", emit)
    except Exception as exc:  # pragma: no cover - defensive: settings must never crash the server
        emit(f"Could not read {SECTION} settings ({exc!r}); using the defaults.")
        return Settings()


def unknown_keys(raw: Mapping[str, Any] | None) -> list[str]:
    """Dotted keys in ``raw`` that are not ShapeLens settings (for a warning, e.g. typos)."""
    if not isinstance(raw, Mapping):
        return []
    found: list[str] = []

    def walk(cls: type, node: Mapping[str, Any], prefix: str) -> None:
        index = _field_index(cls)
        for key, value in node.items():
            f = index.get(key)
            if f is None:
                if not (prefix == "" and key in CLIENT_KEYS):
                    found.append(prefix + str(key))
            elif f.metadata.get("group") and isinstance(value, Mapping):
                walk(_group_class(f), value, prefix + key + ".")

    walk(Settings, _unflatten(raw), "")
    return found
