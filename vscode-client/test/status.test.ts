import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusTracker, statusView } from '../src/status';
import { debounce, modelSummaryParams, summaryMarkdown, Timers } from '../src/util';

test('status texts', () => {
  assert.equal(statusView('starting').text, '$(sync~spin) ShapeLens');
  assert.equal(statusView('analysing').text, '$(sync~spin) ShapeLens');
  assert.equal(statusView('ready').text, '$(check) ShapeLens');
  assert.equal(statusView('failed').text, '$(error) ShapeLens');
  assert.equal(statusView('failed').error, true);
  assert.equal(statusView('ready').error, false);
  assert.match(statusView('failed', 'shapelens is not installed').tooltip, /shapelens is not installed/);
});

test('tracker: starting -> ready -> analysing per document -> ready', () => {
  const t = new StatusTracker();
  assert.equal(t.state, 'stopped');
  assert.equal(t.starting(), 'starting');
  assert.equal(t.running(), 'ready');
  assert.equal(t.notify({ state: 'analysing', uri: 'file:///a.py' }), 'analysing');
  assert.equal(t.notify({ state: 'analysing', uri: 'file:///b.py' }), 'analysing');
  assert.equal(t.notify({ state: 'ready', uri: 'file:///a.py' }), 'analysing');
  assert.equal(t.notify({ state: 'ready', uri: 'file:///b.py' }), 'ready');
});

test('tracker: notifications without uri apply to the whole server', () => {
  const t = new StatusTracker();
  t.starting();
  t.running();
  t.notify({ state: 'analysing', uri: 'file:///a.py' });
  assert.equal(t.notify({ state: 'analysing' }), 'analysing');
  assert.equal(t.notify({ state: 'ready' }), 'ready'); // clears everything
});

test('tracker: a status notification while starting means the server is up', () => {
  const t = new StatusTracker();
  t.starting();
  assert.equal(t.notify({ state: 'ready' }), 'ready');
});

test('tracker: closing a document forgets it; malformed params are ignored', () => {
  const t = new StatusTracker();
  t.starting();
  t.running();
  t.notify({ state: 'analysing', uri: 'file:///a.py' });
  assert.equal(t.forget('file:///a.py'), 'ready');
  for (const bad of [null, undefined, 'ready', 3, {}, { state: 'done' }, { state: 1 }]) {
    assert.equal(t.notify(bad), 'ready');
  }
});

test('tracker: failure and stop reset the busy set', () => {
  const t = new StatusTracker();
  t.starting();
  t.running();
  t.notify({ state: 'analysing', uri: 'file:///a.py' });
  assert.equal(t.failed(), 'failed');
  assert.equal(t.notify({ state: 'analysing', uri: 'file:///a.py' }), 'failed');
  t.starting();
  assert.equal(t.running(), 'ready');
  assert.equal(t.stopped(), 'stopped');
});

function fakeTimers() {
  let now = 0;
  let nextId = 1;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = nextId++;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id) => {
      pending.delete(id as number);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...pending.entries()].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= now) {
        pending.delete(id);
        t.fn();
      }
    }
  };
  return { timers, advance };
}

test('debounce: a burst of calls runs once, after the quiet period', () => {
  const { timers, advance } = fakeTimers();
  let calls = 0;
  const d = debounce(() => calls++, 1000, timers);
  d();
  advance(500);
  d();
  advance(500);
  d();
  assert.equal(calls, 0);
  assert.equal(d.pending, true);
  advance(999);
  assert.equal(calls, 0);
  advance(1);
  assert.equal(calls, 1);
  assert.equal(d.pending, false);
  d();
  d.cancel();
  advance(5000);
  assert.equal(calls, 1);
});

test('debounce with real timers', async () => {
  let calls = 0;
  const d = debounce(() => calls++, 20);
  d();
  d();
  d();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(calls, 1);
});

test('model summary request and result', () => {
  assert.deepEqual(modelSummaryParams('file:///m.py', 3, 7), {
    command: 'shapelens.modelSummary',
    arguments: ['file:///m.py', { line: 3, character: 7 }],
  });
  assert.equal(summaryMarkdown('# Net\n| layer | shape |'), '# Net\n| layer | shape |');
  assert.equal(summaryMarkdown({ kind: 'markdown', value: '# Net' }), '# Net');
  assert.equal(summaryMarkdown(null), null);
  assert.equal(summaryMarkdown(undefined), null);
  assert.equal(summaryMarkdown('  '), null);
  assert.equal(summaryMarkdown(42), null);
});
