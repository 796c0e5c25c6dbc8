"""The confirm integration's hooks, in process (no client): analysis hooks and merging torch's answer."""

from __future__ import annotations

import asyncio

from shapelens.findings import Finding, Severity
from shapelens.lsp.server import create_server
from shapelens.values import Span
from tests.lsp.samples import CNN


def test_hooks_and_merge_confirmation():
    ls = create_server()
    ls.pull_diagnostics = True  # nothing to push without a client
    seen = []
    ls.analysis_hooks.append(lambda server, state: seen.append((state.uri, state.latest.snapshot.version)))
    ls.analysis_hooks.append(lambda server, state: 1 / 0)  # a broken hook is logged, not fatal
    uri = "file:///tmp/shapelens_hooks/cnn.py"
    state = ls.open(uri, 3, CNN)
    result = asyncio.run(ls.analyse(state))
    assert result is state.latest and seen == [(uri, 3)]
    extra = Finding("SL204", "torch says (1, 11)", state.path, Span(15, 8, 15, 23), Severity.WARNING)
    ls.merge_confirmation(uri, 2, {"lines": {}}, [extra])  # an older version: ignored
    assert result.analysis.confirmed is None
    ls.merge_confirmation(uri, 3, {"lines": {"15": {"x": [[1, 10]]}}}, [extra])
    assert result.analysis.confirmed == {"lines": {"15": {"x": [[1, 10]]}}}
    assert "SL204" in [d.code for d in ls.diagnostics_for(result)]
    ls.merge_confirmation(uri, 3, {"lines": {}}, [extra])
    assert [f.code for f in result.analysis.findings].count("SL204") == 1
