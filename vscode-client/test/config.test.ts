import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInitializationOptions, needsRestart, restrictForUntrusted, sanitizeConfigurationResult, toJson } from '../src/config';

const section = {
  interpreter: [],
  diagnostics: { enable: true, debounceMs: 300, severity: { SL101: 'warning' }, showInformation: true },
  inlayHints: { enable: false },
  confirm: { enable: true, python: '/opt/torch/bin/python', delayMs: 1500, symbolValues: { B: 2 } },
  trace: { server: 'off' },
};

test('toJson drops functions and undefined, like a WorkspaceConfiguration object', () => {
  const config = { ...section, get: () => 1, has: () => true, missing: undefined, n: NaN };
  const json = toJson(config) as Record<string, unknown>;
  assert.equal('get' in json, false);
  assert.equal('has' in json, false);
  assert.equal('missing' in json, false);
  assert.equal(json.n, null);
  assert.deepEqual(json.diagnostics, section.diagnostics);
});

test('initializationOptions in a trusted workspace: the section as-is plus workspaceTrusted', () => {
  const opts = buildInitializationOptions(section, true);
  assert.deepEqual(opts, { ...section, workspaceTrusted: true });
});

test('initializationOptions in an untrusted workspace force confirm off', () => {
  const opts = buildInitializationOptions(section, false);
  assert.equal(opts.workspaceTrusted, false);
  assert.deepEqual(opts.confirm, { enable: false, delayMs: 1500, symbolValues: { B: 2 } });
  assert.deepEqual(opts.inlayHints, { enable: false });
  // the input is not mutated
  assert.equal(section.confirm.enable, true);
});

test('untrusted: dotted keys and a missing confirm group are handled', () => {
  const restricted = restrictForUntrusted({ 'confirm.enable': true, 'confirm.python': 'x', hover: { enable: true } });
  assert.deepEqual(restricted, { hover: { enable: true }, confirm: { enable: false } });
});

test('initializationOptions from nothing', () => {
  assert.deepEqual(buildInitializationOptions(undefined, true), { workspaceTrusted: true });
  assert.deepEqual(buildInitializationOptions(null, false), { confirm: { enable: false }, workspaceTrusted: false });
});

test('workspace/configuration answers are sanitized only when untrusted', () => {
  const items = [{ section: 'shapelens' }, { section: 'shapelens.confirm' }, { section: 'python' }, {}];
  const answer = [section, section.confirm, { confirm: { enable: true } }, { shapelens: section }];
  assert.equal(sanitizeConfigurationResult(items, answer, true), answer);
  const safe = sanitizeConfigurationResult(items, answer, false) as Record<string, any>[];
  assert.equal(safe[0].confirm.enable, false);
  assert.equal(safe[0].confirm.python, undefined);
  assert.equal(safe[1].enable, false);
  assert.equal(safe[1].python, undefined);
  assert.deepEqual(safe[2], { confirm: { enable: true } }); // other sections untouched
  assert.equal(safe[3].shapelens.confirm.enable, false);
  assert.equal(section.confirm.enable, true);
});

test('only an interpreter change needs a restart', () => {
  assert.equal(needsRestart((s) => s === 'shapelens.interpreter'), true);
  assert.equal(needsRestart((s) => s === 'shapelens.inlayHints.enable'), false);
  assert.equal(needsRestart(() => false), false);
});
