"""The README's two commands are the ones CI runs and the ones that work."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    head = text.split("---", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", head)


def test_readme_opens_with_exactly_two_commands():
    cmds = readme_commands()
    assert len(cmds) == 2
    assert "examples/" in cmds[0] and "shapelens --check" in cmds[0]
    assert "pytest" in cmds[1] and "npm test" in cmds[1] and "npm ci" in cmds[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci


def test_codes_doc_is_current():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_codes.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
