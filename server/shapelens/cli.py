"""Command line: `--check` for CI, `--shapes` for one file, and the language server.

    shapelens --check PATH... [--format text|json|sarif|github] [--exit-zero] [--show-shapes]
    shapelens --shapes FILE [--format json]
    shapelens [--stdio] | --tcp HOST:PORT      (language server)

Exit codes of --check: 0 no error findings, 1 error findings, 2 usage or internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Iterable

from shapelens import __version__

SKIP_DIRS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", "build", "dist", ".eggs"}


def iter_python_files(paths: Iterable[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".py"))
        elif os.path.exists(p):
            out.append(p)
        else:
            raise FileNotFoundError(p)
    return out


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="shapelens",
        description="See PyTorch tensor shapes without running the model. With no mode, runs the language server on stdio.",
    )
    ap.add_argument("--version", action="version", version=f"shapelens {__version__}")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="analyse PATHs (files or folders) and print findings")
    mode.add_argument("--shapes", metavar="FILE", help="print the shape of every tensor-valued name, per line")
    mode.add_argument("--stdio", action="store_true", help="run the language server on stdin/stdout (default)")
    mode.add_argument("--tcp", metavar="HOST:PORT", help="run the language server on a TCP socket")
    ap.add_argument("paths", nargs="*", metavar="PATH")
    ap.add_argument("--format", choices=["text", "json", "sarif", "github"], default="text")
    ap.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are error findings")
    ap.add_argument("--show-shapes", action="store_true", help="with --check (text): also print each file's shapes and model summaries")
    ap.add_argument("--config", metavar="PYPROJECT", help="pyproject.toml with [tool.shapelens] (default: found by walking up)")
    ap.add_argument("--confirm", action="store_true", help="also run each model's forward on torch's meta device in a worker (runs imports and definitions of the files, never top-level code)")
    ap.add_argument("--confirm-python", metavar="PYTHON", help="interpreter with torch for --confirm (default: this one)")
    ap.add_argument("--confirm-timeout", type=float, default=10.0, metavar="SECONDS")
    ap.add_argument("--no-info", action="store_true", help="hide information-level findings")
    ap.add_argument("--log-file", metavar="FILE", help="language server: write logs here")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        if args.check:
            from shapelens.check import run_check

            if not args.paths:
                ap.error("--check needs at least one PATH")
            return run_check(args)
        if args.shapes:
            from shapelens.check import run_shapes

            return run_shapes(args)
        if args.paths:
            ap.error("PATHs need --check")
        from shapelens.lsp.server import serve

        return serve(tcp=args.tcp, log_file=args.log_file)
    except FileNotFoundError as e:
        print(f"shapelens: no such file or directory: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
