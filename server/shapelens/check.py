"""Headless checking: `--check` and `--shapes`, rendering FileAnalysis as text, JSON, SARIF or
GitHub annotations. The same analysis and findings as the language server."""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

from shapelens import __version__
from shapelens.analysis.analyze import FileAnalysis, analyze, default_project
from shapelens.cli import iter_python_files
from shapelens.config import ProjectConfig, find_pyproject, load_config
from shapelens.findings import Severity, all_codes
from shapelens.render import join_for_display, model_table


def _config_for(path: str, explicit: str | None, cache: dict[str, ProjectConfig]) -> ProjectConfig:
    pp = explicit or find_pyproject(path)
    key = pp or ""
    if key not in cache:
        cache[key] = load_config(pp)
        for err in cache[key].errors:
            print(f"shapelens: {err}", file=sys.stderr)
    return cache[key]


def analyze_paths(paths: list[str], config: str | None) -> list[FileAnalysis]:
    files = iter_python_files(paths)
    cache: dict[str, ProjectConfig] = {}
    projects: dict[str | None, object] = {}
    results = []
    for f in files:
        cfg = _config_for(f, config, cache)
        try:
            with open(f, encoding="utf-8", errors="replace") as fh:
                src = fh.read()
        except OSError as e:
            print(f"shapelens: cannot read {f}: {e}", file=sys.stderr)
            continue
        root = os.path.dirname(cfg.path) if cfg.path else None
        project = projects.get(root)
        if project is None:
            project = default_project(f)
            if root:
                project.roots = [root]  # type: ignore[attr-defined]
            projects[root] = project
        results.append(analyze(f, src, project, cfg.entries_for(f)))  # type: ignore[arg-type]
    return results


def run_check(args) -> int:
    results = analyze_paths(args.paths, args.config)
    if args.confirm:
        from shapelens.confirm.merge import confirm_results

        confirm_results(results, python=args.confirm_python, timeout=args.confirm_timeout)
    findings = [f for r in results for f in r.findings if not (args.no_info and f.severity >= Severity.INFORMATION)]
    out = sys.stdout
    if args.format == "json":
        json.dump([f.to_json() | {"path": rel(f.path)} for f in findings], out, indent=2)
        out.write("\n")
    elif args.format == "sarif":
        json.dump(sarif(findings), out, indent=2)
        out.write("\n")
    elif args.format == "github":
        for f in findings:
            level = {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(f.severity, "notice")
            msg = f.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            out.write(f"::{level} title=shapelens ({f.code}),file={rel(f.path)},line={f.span.line},col={f.span.col + 1},"
                      f"endLine={f.span.end_line},endColumn={f.span.end_col + 1}::{f.code} {msg}\n")
    else:
        for r in results:
            for f in r.findings:
                if args.no_info and f.severity >= Severity.INFORMATION:
                    continue
                out.write(f"{rel(f.path)}:{f.span.line}:{f.span.col + 1}: {f.severity.label} {f.code} {f.message}\n")
            if args.show_shapes:
                write_shapes_text(r, out)
    errors = sum(1 for f in findings if f.severity == Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity == Severity.WARNING)
    print(f"shapelens: {len(results)} file{'s' if len(results) != 1 else ''} checked, {errors} error{'s' if errors != 1 else ''}, "
          f"{warnings} warning{'s' if warnings != 1 else ''}", file=sys.stderr)
    return 1 if errors and not args.exit_zero else 0


def run_shapes(args) -> int:
    results = analyze_paths([args.shapes], args.config)
    if not results:
        return 2
    r = results[0]
    if args.confirm:
        from shapelens.confirm.merge import confirm_results

        confirm_results(results, python=args.confirm_python, timeout=args.confirm_timeout)
    if args.format == "json":
        json.dump(r.shapes_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        write_shapes_text(r, sys.stdout, header=False)
    return 0


def write_shapes_text(r: FileAnalysis, out: TextIO, header: bool = True) -> None:
    if header:
        out.write(f"\n── {rel(r.path)} ──\n")
    for m in r.models:
        out.write(model_table(m))
        out.write("\n")
    for line in sorted(r.assigns):
        names = r.assigns[line]
        parts = [f"{n}: {join_for_display(v)}" for n, v in names.items()]
        src = r.parsed.lines[line - 1].strip() if line <= len(r.parsed.lines) else ""
        out.write(f"  {line:>4}  {src[:60]:<60}  {'; '.join(parts)}\n")


def rel(path: str) -> str:
    try:
        r = os.path.relpath(path)
        return path if r.startswith("..") else r
    except ValueError:
        return path


def sarif(findings) -> dict:
    rules = [{"id": c.code, "name": c.name, "shortDescription": {"text": c.summary}, "helpUri": c.url,
              "defaultConfiguration": {"level": _sarif_level(c.severity)}} for c in all_codes()]
    results = []
    for f in findings:
        results.append({
            "ruleId": f.code,
            "level": _sarif_level(f.severity),
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": rel(f.path).replace(os.sep, "/")},
                "region": {"startLine": f.span.line, "startColumn": f.span.col + 1,
                           "endLine": f.span.end_line, "endColumn": f.span.end_col + 1}}}],
        })
    return {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [{"tool": {"driver": {"name": "shapelens", "version": __version__, "rules": rules}}, "results": results}]}


def _sarif_level(s: Severity) -> str:
    return {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(s, "note")
