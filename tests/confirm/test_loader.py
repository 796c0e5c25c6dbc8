"""safe_module_source keeps imports, definitions and constants -- line for line."""

from __future__ import annotations

import ast
import os
import sysconfig
import textwrap

import pytest
from hypothesis import given, settings, strategies as st

from shapelens.confirm.loader import LoadError, safe_module_source


def kept_lines(src: str) -> dict[int, str]:
    out = safe_module_source(src)
    assert out.count("\n") == src.count("\n")
    return {i + 1: ln for i, ln in enumerate(out.split("\n"))}


SAMPLE = textwrap.dedent(
    '''\
    """Module doc."""
    from __future__ import annotations
    import os, sys
    import torch
    import torch.nn as nn
    from functools import partial
    try:
        import einops
        HAS_EINOPS = True
    except ImportError:
        einops = None
        print("no einops")
    from typing import TYPE_CHECKING, Optional
    if TYPE_CHECKING:
        from foo import Bar
        print(1)
    N = 10
    M = N * 2 + 3
    CFG = {"a": [1, 2], "b": (N, M)}
    ACT = nn.ReLU
    DT = torch.float32
    Conv3 = partial(nn.Conv2d, kernel_size=3)
    size: int = 5
    noise = torch.randn(3)
    __all__ = ["Net"]
    os.remove("/tmp/x"); y = 1
    @torch.no_grad()
    def f(x):
        return x
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(N, M)
    while True:
        pass
    with open("x") as fh:
        data = fh.read()
    if __name__ == "__main__":
        Net()
    for i in range(3): print(i)
    model = Net()
    '''
)


def test_keeps_imports_defs_constants_and_drops_the_rest():
    src = SAMPLE
    out = kept_lines(src)
    orig = {i + 1: ln for i, ln in enumerate(src.split("\n"))}
    same = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23, 25,
            27, 28, 29, 30, 31, 32, 33]
    for ln in same:
        assert out[ln] == orig[ln], ln
    assert out[12].strip() == "pass"  # print in the except handler
    assert out[16].strip() == "pass"  # print under TYPE_CHECKING
    assert out[24].strip() == "pass"  # assignment from a call
    assert out[26] == "pass; y = 1"  # the effect goes, the constant stays
    assert out[34].strip() == "pass" and out[35].strip() == ""  # while True
    assert out[36].strip() == "pass" and out[37].strip() == ""  # with
    assert out[38].strip() == "pass" and out[39].strip() == ""  # __main__ guard
    assert out[40].strip() == "pass"  # for loop on one line
    assert out[41].strip() == "pass"  # model = Net()


def test_multiline_statement_becomes_pass_plus_blank_lines():
    src = "import torch\nx = torch.randn(\n    3,\n    4)\nY = 3\n"
    out = safe_module_source(src).split("\n")
    assert out == ["import torch", "pass", "", "", "Y = 3", ""]


def test_constant_rules():
    src = textwrap.dedent(
        """\
        import typing
        import collections
        import dataclasses
        from typing import TypeVar
        T = TypeVar("T")
        Point = collections.namedtuple("Point", ["x", "y"])
        Opt = typing.Optional[int]
        D = dict(a=1, b=(2, 3))
        F = dataclasses.field(default=3)
        L = [i for i in range(3)]
        E = open("f")
        G = UNKNOWN_NAME
        H = 2 ** 10
        I = 10 ** 100000000
        J = -1 if True else 2
        K = f"v{D}"
        """
    )
    out = kept_lines(src)
    for ln in (5, 6, 7, 8, 9, 13, 15, 16):
        assert out[ln] != "pass", ln
    for ln in (10, 11, 12, 14):  # comprehension, open(), unknown name, giant power
        assert out[ln] == "pass", ln


def test_if_with_constant_test_kept_filtered():
    src = textwrap.dedent(
        """\
        import sys
        if sys.version_info >= (3, 8):
            from typing import Literal
            print("hi")
        else:
            from typing_extensions import Literal
        if os.environ.get("X"):
            import os
        """
    )
    out = kept_lines(src)
    assert out[2].startswith("if sys.version_info")
    assert out[4].strip() == "pass"
    assert out[6].strip().startswith("from typing_extensions")
    assert out[7] == "pass" and out[8] == ""


def test_class_body_decorators_and_bases_kept_whole():
    src = textwrap.dedent(
        """\
        import torch.nn as nn
        def deco(c):
            return c
        @deco
        class A(nn.Module if True else object):
            table = list(range(3))
            print("class body runs at definition")
        """
    )
    assert safe_module_source(src) == src


def test_try_without_imports_dropped():
    src = "try:\n    run()\nexcept Exception:\n    pass\n"
    assert safe_module_source(src) == "pass\n\n\n\n"


def test_syntax_error_raises_load_error():
    with pytest.raises(LoadError) as info:
        safe_module_source("def f(:\n    pass\n")
    assert info.value.line == 1
    with pytest.raises(LoadError):
        safe_module_source("x = 1\0\n")


def test_bom_is_dropped():
    assert safe_module_source("\ufeffimport os\nos.remove('x')\n") == "import os\npass\n"


def test_crlf_and_unicode_columns():
    src = "import os\r\nnäme = 'ü'; os.remove('x')\r\nZ = 1\r\n"
    out = safe_module_source(src)
    assert out.split("\n") == ["import os", "näme = 'ü'; pass", "Z = 1", ""]


# --- property: any valid source gives a parsing result with the same number of lines ------
SNIPPETS = [
    "import os",
    "from a.b import c as d",
    "X = 1",
    "Y = X + 2; print(Y)",
    "print('hi')",
    "z = foo(\n    1,\n    2)",
    "z = foo(\n    1); w = 2",
    "while True:\n    pass",
    "for i in range(3): print(i)",
    "with open('f') as fh:\n    data = fh.read()",
    "if __name__ == '__main__':\n    main()",
    "try:\n    import numpy as np\nexcept ImportError:\n    np = None\n    warn()",
    "try:\n    import x\nexcept ImportError: y = foo(\n  1)",
    "def f(a, b=1):\n    return a + b",
    "@decorator(1)\ndef g():\n    pass",
    "class C(Base):\n    x = compute()\n    def m(self):\n        return 1",
    "async def h():\n    await z",
    "s = '''multi\nline\nstring'''",
    "t = ('a'\n     'b')",
    "# a comment",
    "",
    "x: int",
    "x: list[int] = [1, 2]",
    "del X",
    "assert X, 'msg'",
    "raise SystemExit(1)",
    "match X:\n    case 1:\n        pass",
    "if X:\n    import os\nelif Y:\n    pass\nelse:\n    boom()",
    "lam = lambda q: q * 2",
    "x = y = 3",
    "a, *b = 1, 2, 3",
    "global G",
    "v = [i for i in range(10)]",
    "k = \\\n    5",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS), max_size=12))
def test_property_output_parses_with_same_line_count(parts):
    src = "\n".join(parts) + "\n"
    ast.parse(src)
    out = safe_module_source(src)
    ast.parse(out)
    assert out.count("\n") == src.count("\n")
    # Every import statement survives on its original line.
    src_lines, out_lines = src.split("\n"), out.split("\n")
    for node in ast.parse(src).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            assert src_lines[node.lineno - 1] == out_lines[node.lineno - 1]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_property_never_crashes_on_arbitrary_text(text):
    try:
        out = safe_module_source(text)
    except LoadError:
        return
    ast.parse(out)


def test_stdlib_files_roundtrip():
    """Real-world layouts: every stdlib module gives a parsing result, same line count."""
    stdlib = sysconfig.get_paths()["stdlib"]
    names = sorted(n for n in os.listdir(stdlib) if n.endswith(".py"))[:60]
    assert names
    for name in names:
        with open(os.path.join(stdlib, name), encoding="utf-8", errors="replace") as fh:
            src = fh.read()
        try:
            ast.parse(src)
        except SyntaxError:
            continue
        out = safe_module_source(src)
        ast.parse(out)
        assert out.count("\n") == src.replace("\r\n", "\n").count("\n"), name
