/**
 * Smoke test of the *bundled* extension (vscode-client/out/extension.js) with a
 * stub `vscode` module: it loads, registers its commands, checks the
 * interpreter and reports a failure clearly.  (A full run inside VS Code needs
 * @vscode/test-electron, which downloads VS Code: not possible offline.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Module = require('module');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'vscode-client', 'out', 'extension.js');

interface Shown {
  level: string;
  message: string;
  actions: string[];
}

function makeStub(settings: Record<string, unknown>) {
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const shown: Shown[] = [];
  const logLines: string[] = [];
  const disposable = { dispose() {} };
  const event = () => disposable;
  const statusItem = { text: '', tooltip: '', name: '', command: '', backgroundColor: undefined as unknown, show() {}, hide() {}, dispose() {} };
  const log = {
    name: 'ShapeLens',
    logLevel: 2,
    onDidChangeLogLevel: event,
    trace: (m: string) => logLines.push(`trace ${m}`),
    debug: (m: string) => logLines.push(`debug ${m}`),
    info: (m: string) => logLines.push(`info ${m}`),
    warn: (m: string) => logLines.push(`warn ${m}`),
    error: (m: unknown) => logLines.push(`error ${m}`),
    append: (m: string) => logLines.push(m),
    appendLine: (m: string) => logLines.push(m),
    replace() {},
    clear() {},
    show() {},
    hide() {},
    dispose() {},
  };
  const show = (level: string) => (message: string, ...actions: string[]) => {
    shown.push({ level, message, actions });
    return Promise.resolve(undefined);
  };
  const api: Record<string, unknown> = {
    window: {
      createOutputChannel: () => log,
      createStatusBarItem: () => statusItem,
      showErrorMessage: show('error'),
      showWarningMessage: show('warning'),
      showInformationMessage: show('information'),
      activeTextEditor: undefined,
    },
    workspace: {
      isTrusted: true,
      workspaceFolders: undefined,
      getConfiguration: () => ({ ...settings, get: (key: string) => settings[key], has: (key: string) => key in settings }),
      onDidChangeConfiguration: event,
      onDidGrantWorkspaceTrust: event,
      onDidCloseTextDocument: event,
    },
    commands: {
      registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
        commands.set(id, fn);
        return disposable;
      },
      executeCommand: () => Promise.resolve(undefined),
    },
    extensions: { getExtension: () => undefined },
    env: { clipboard: { writeText: () => Promise.resolve() } },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ViewColumn: { Beside: -2 },
    ThemeColor: class {
      constructor(public id: string) {}
    },
  };
  // Anything else the bundled vscode-languageclient touches at load time (base classes, enums).
  const stub = new Proxy(api, {
    get(target, prop: string) {
      if (!(prop in target)) {
        target[prop] = class {};
      }
      return target[prop];
    },
  });
  return { stub, commands, shown, logLines, statusItem };
}

function loadBundle(stub: unknown) {
  const originalLoad = Module._load;
  Module._load = function (request: string, ...rest: unknown[]) {
    if (request === 'vscode') {
      return stub;
    }
    return originalLoad.call(this, request, ...rest);
  };
  try {
    delete require.cache[BUNDLE];
    return require(BUNDLE);
  } finally {
    Module._load = originalLoad;
  }
}

function fakePython(dir: string, info: object): string {
  const file = path.join(dir, 'fake-python');
  fs.writeFileSync(file, `#!/bin/sh\necho 'SHAPELENS_CHECK ${JSON.stringify(info)}'\n`, { mode: 0o755 });
  return file;
}

async function activateWith(settings: Record<string, unknown>) {
  const harness = makeStub(settings);
  const ext = loadBundle(harness.stub);
  const context = { subscriptions: [] as { dispose(): void }[], extensionPath: ROOT };
  await ext.activate(context);
  for (let i = 0; i < 100 && harness.shown.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ...harness, ext, context };
}

const skipReason = !fs.existsSync(BUNDLE) ? 'bundle not built (npm run bundle)' : process.platform === 'win32' ? 'POSIX shell scripts' : false;

test('bundle: registers every contributed command', { skip: skipReason }, async () => {
  const h = await activateWith({ interpreter: ['/nonexistent/shapelens-python'] });
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual([...h.commands.keys()].sort(), contributed);
  assert.ok(contributed.includes('shapelens.restartServer'));
  assert.ok(contributed.includes('shapelens.showModelSummary'));
  await h.ext.deactivate();
});

test('bundle: a missing interpreter is reported, status shows the error', { skip: skipReason }, async () => {
  const h = await activateWith({ interpreter: ['/nonexistent/shapelens-python'] });
  assert.equal(h.shown.length, 1, JSON.stringify(h.shown));
  assert.equal(h.shown[0].level, 'error');
  assert.match(h.shown[0].message, /"\/nonexistent\/shapelens-python" \(from the shapelens.interpreter setting\) was not found/);
  assert.ok(h.shown[0].actions.includes('Open Settings'));
  assert.equal(h.statusItem.text, '$(error) ShapeLens');
  assert.ok(h.logLines.some((l) => l.includes('Interpreter: /nonexistent/shapelens-python (from setting)')), h.logLines.join('\n'));
  await h.ext.deactivate();
});

test('bundle: a Python without shapelens gets the pip hint', { skip: skipReason }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shapelens-ext-'));
  const python = fakePython(dir, { version: [3, 12, 1], executable: '/fake/python', shapelens: null, error: 'ModuleNotFoundError' });
  const h = await activateWith({ interpreter: [python] });
  assert.equal(h.shown.length, 1);
  assert.equal(h.shown[0].message, `shapelens is not installed in ${python} (from the shapelens.interpreter setting): run ${python} -m pip install shapelens`);
  assert.deepEqual(h.shown[0].actions, ['Copy Install Command', 'Retry', 'Open Settings', 'Show Output']);
  assert.equal(h.statusItem.text, '$(error) ShapeLens');
  await h.ext.deactivate();
  fs.rmSync(dir, { recursive: true });
});

test('bundle: a too-old Python is reported with its version', { skip: skipReason }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shapelens-ext-'));
  const python = fakePython(dir, { version: [3, 8, 10], executable: '/fake/python3.8', shapelens: null });
  const h = await activateWith({ interpreter: [python] });
  assert.match(h.shown[0].message, /needs Python 3\.10 or newer, .* is Python 3\.8\.10/);
  await h.ext.deactivate();
  fs.rmSync(dir, { recursive: true });
});

test('bundle: Show Model Summary without a Python editor explains what to do', { skip: skipReason }, async () => {
  const h = await activateWith({ interpreter: ['/nonexistent/shapelens-python'] });
  h.shown.length = 0;
  await h.commands.get('shapelens.showModelSummary')!();
  assert.equal(h.shown.length, 1);
  assert.match(h.shown[0].message, /nn\.Module/);
  await h.ext.deactivate();
});
