/**
 * End-to-end run of the *bundled* extension against a real language-server process:
 * a stand-in `shapelens` package (pygls) on PYTHONPATH plays the server, while a
 * self-populating stub plays VS Code.  Checks the command line, the
 * initializationOptions, the `shapelens/status` notification -> status bar, and
 * the Show Model Summary round trip through `workspace/executeCommand`.
 * Skipped when no Python with pygls 2 is available.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Module = require('module');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'vscode-client', 'out', 'extension.js');

const FAKE_SERVER = `
import json, os, sys
from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("fake-shapelens", "0.0.1")
OUT = os.environ["FAKE_SHAPELENS_OUT"]

@server.feature(types.INITIALIZE)
def initialize(ls, params):
    with open(OUT, "w") as fh:
        json.dump({"argv": sys.orig_argv, "initializationOptions": params.initialization_options}, fh)

@server.feature(types.INITIALIZED)
async def initialized(ls, params):
    pulled = await ls.workspace_configuration_async(types.ConfigurationParams(items=[
        types.ConfigurationItem(section="shapelens"), types.ConfigurationItem(section="shapelens.confirm")]))
    with open(OUT + ".config", "w") as fh:
        json.dump(pulled, fh)
    ls.protocol.notify("shapelens/status", {"state": "analysing", "uri": "file:///x.py"})
    ls.protocol.notify("shapelens/status", {"state": "ready", "uri": "file:///x.py"})

@server.command("shapelens.modelSummary")
def model_summary(ls, uri: str, position: dict):
    if position["line"] == 0:
        return None
    return "# Summary of %s at %d:%d" % (uri, position["line"], position["character"])

server.start_io()
`;

function findPython(): string | undefined {
  const candidates = [process.env.SHAPELENS_TEST_PYTHON, path.join(ROOT, '.venv', 'bin', 'python'), 'python3'];
  for (const python of candidates) {
    if (!python) {
      continue;
    }
    try {
      execFileSync(python, ['-c', 'import sys, pygls.lsp.server; assert sys.version_info >= (3, 10)'], { stdio: 'ignore' });
      return python;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** A stand-in for any VS Code API object: every property and call yields another stand-in. */
function auto(name: string): any {
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(function () {}, {
    get(_target, prop) {
      if (prop === 'then') {
        return undefined; // not a promise
      }
      if (prop === Symbol.iterator) {
        return function* () {};
      }
      if (prop === Symbol.toPrimitive || prop === 'toString') {
        return () => name;
      }
      if (!cache.has(prop)) {
        cache.set(prop, auto(`${name}.${String(prop)}`));
      }
      return cache.get(prop);
    },
    apply: () => auto(`${name}()`),
    construct: () => auto(`new ${name}`),
  });
}

function withDefaults<T extends object>(explicit: T, name: string): T {
  return new Proxy(explicit, {
    get(target, prop) {
      if (prop in target) {
        return (target as Record<PropertyKey, unknown>)[prop];
      }
      if (prop === 'then') {
        return undefined;
      }
      const value = auto(`${name}.${String(prop)}`);
      (target as Record<PropertyKey, unknown>)[prop] = value;
      return value;
    },
  });
}

const python = fs.existsSync(BUNDLE) && process.platform !== 'win32' ? findPython() : undefined;

async function startExtension(trusted: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shapelens-e2e-'));
  fs.mkdirSync(path.join(dir, 'shapelens'));
  fs.writeFileSync(path.join(dir, 'shapelens', '__init__.py'), '__version__ = "9.9.9"\n');
  fs.writeFileSync(path.join(dir, 'shapelens', '__main__.py'), FAKE_SERVER);
  const out = path.join(dir, 'init.json');
  const savedEnv = { PYTHONPATH: process.env.PYTHONPATH, FAKE_SHAPELENS_OUT: process.env.FAKE_SHAPELENS_OUT };
  process.env.PYTHONPATH = dir;
  process.env.FAKE_SHAPELENS_OUT = out;

  const settings: Record<string, unknown> = {
    interpreter: [python],
    inlayHints: { enable: false, maxLength: 40 },
    confirm: { enable: true, python: '/opt/torch/bin/python' },
  };
  const shown: { level: string; message: string }[] = [];
  const opened: { language?: string; content?: string }[] = [];
  const logLines: string[] = [];
  const statusItem = { text: '', tooltip: '', show() {}, hide() {}, dispose() {} };
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const disposable = { dispose() {} };
  const logger = (level: string) => (m: unknown) => logLines.push(`${level} ${m}`);
  const log = withDefaults(
    {
      name: 'ShapeLens',
      logLevel: 2,
      onDidChangeLogLevel: () => disposable,
      trace: logger('trace'),
      debug: logger('debug'),
      info: logger('info'),
      warn: logger('warn'),
      error: logger('error'),
      append: logger(''),
      appendLine: logger(''),
      show() {},
      dispose() {},
    },
    'log',
  );
  const note = (level: string) => (message: string) => {
    shown.push({ level, message });
    return Promise.resolve(undefined);
  };
  const window = withDefaults(
    {
      createOutputChannel: () => log,
      createStatusBarItem: () => statusItem,
      showErrorMessage: note('error'),
      showWarningMessage: note('warning'),
      showInformationMessage: note('information'),
      showTextDocument: () => Promise.resolve(undefined),
      activeTextEditor: undefined as unknown,
      visibleTextEditors: [],
    },
    'window',
  );
  const stub = withDefaults(
    {
      version: '1.91.0',
      window,
      workspace: withDefaults(
        {
          isTrusted: trusted,
          workspaceFolders: undefined,
          textDocuments: [],
          notebookDocuments: [],
          getConfiguration: (section?: string) => {
            const values: Record<string, unknown> = section === 'shapelens' ? settings : section === 'shapelens.confirm' ? (settings.confirm as Record<string, unknown>) : { shapelens: settings };
            return { ...values, get: (k: string) => values[k], has: (k: string) => k in values };
          },
          openTextDocument: (arg: { language?: string; content?: string }) => {
            opened.push(arg);
            return Promise.resolve({ uri: 'untitled:1' });
          },
        },
        'workspace',
      ),
      commands: withDefaults(
        {
          registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
            commands.set(id, fn);
            return disposable;
          },
          executeCommand: () => Promise.resolve(undefined),
        },
        'commands',
      ),
      extensions: withDefaults({ getExtension: () => undefined, all: [] }, 'extensions'),
      env: withDefaults({ appName: 'Stub Code', language: 'en', machineId: 'x', sessionId: 'y', uiKind: 1 }, 'env'),
      CancellationTokenSource: class {
        token = { isCancellationRequested: false, onCancellationRequested: () => disposable };
        cancel() {}
        dispose() {}
      },
      StatusBarAlignment: { Left: 1, Right: 2 },
      ViewColumn: { Beside: -2 },
      ThemeColor: class {
        constructor(public id: string) {}
      },
    },
    'vscode',
  );

  const originalLoad = Module._load;
  Module._load = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? stub : originalLoad.call(this, request, ...rest);
  };
  let ext: { activate(c: unknown): Promise<void>; deactivate(): Promise<void> };
  try {
    delete require.cache[BUNDLE];
    ext = require(BUNDLE);
  } finally {
    Module._load = originalLoad;
  }

  const waitFor = async (what: string, cond: () => boolean, ms = 20000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${what}\nstatus=${statusItem.text}\nshown=${JSON.stringify(shown)}\n${logLines.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  await ext.activate({ subscriptions: [], extensionPath: ROOT });
  const cleanup = async () => {
    await ext.deactivate();
    if (savedEnv.PYTHONPATH === undefined) {
      delete process.env.PYTHONPATH;
    } else {
      process.env.PYTHONPATH = savedEnv.PYTHONPATH;
    }
    if (savedEnv.FAKE_SHAPELENS_OUT === undefined) {
      delete process.env.FAKE_SHAPELENS_OUT;
    } else {
      process.env.FAKE_SHAPELENS_OUT = savedEnv.FAKE_SHAPELENS_OUT;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { out, shown, opened, logLines, statusItem, commands, window, waitFor, cleanup };
}

const skip = python ? false : 'no Python 3.10+ with pygls 2 (set SHAPELENS_TEST_PYTHON) or bundle not built';

test('e2e: starts <python> -m shapelens, sends settings, tracks status, shows the model summary', { skip, timeout: 60000 }, async () => {
  const h = await startExtension(true);
  const { out, shown, opened, logLines, statusItem, commands, window, waitFor } = h;
  try {
    // The stand-in server writes what it pulled with workspace/configuration after it reports
    // ready, so wait for that file too.
    await waitFor('the status bar to say ready', () =>
      statusItem.text === '$(check) ShapeLens' && fs.existsSync(out) && fs.existsSync(out + '.config'));
    assert.deepEqual(shown, []);

    const init = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.deepEqual(init.argv.slice(-2), ['-m', 'shapelens']);
    assert.equal(init.initializationOptions.workspaceTrusted, true);
    assert.deepEqual(init.initializationOptions.inlayHints, { enable: false, maxLength: 40 });
    assert.equal(init.initializationOptions.confirm.enable, true);
    assert.ok(logLines.some((l) => l.includes('shapelens 9.9.9')), logLines.join('\n'));
    const pulled = JSON.parse(fs.readFileSync(out + '.config', 'utf8'));
    assert.equal(pulled[0].confirm.enable, true);
    assert.equal(pulled[1].python, '/opt/torch/bin/python');

    // Show Model Summary: cursor at 3:7 -> Markdown in a new untitled document.
    window.activeTextEditor = {
      document: { languageId: 'python', uri: { toString: () => 'file:///m.py', scheme: 'file', fsPath: '/m.py' } },
      selection: { active: { line: 3, character: 7 } },
    };
    await commands.get('shapelens.showModelSummary')!();
    assert.deepEqual(opened, [{ language: 'markdown', content: '# Summary of file:///m.py at 3:7' }]);

    // The server answers null: "No nn.Module class here".
    window.activeTextEditor = {
      document: { languageId: 'python', uri: { toString: () => 'file:///m.py', scheme: 'file', fsPath: '/m.py' } },
      selection: { active: { line: 0, character: 0 } },
    };
    await commands.get('shapelens.showModelSummary')!();
    assert.deepEqual(shown, [{ level: 'information', message: 'No nn.Module class here' }]);
    assert.equal(opened.length, 1);

    // Restart: the server comes back.
    await commands.get('shapelens.restartServer')!();
    await waitFor('ready after restart', () => statusItem.text === '$(check) ShapeLens');
  } finally {
    await h.cleanup();
  }
});

test('e2e: untrusted workspace: confirm is forced off in initializationOptions and workspace/configuration', { skip, timeout: 60000 }, async () => {
  const h = await startExtension(false);
  try {
    await h.waitFor('ready', () => h.statusItem.text === '$(check) ShapeLens' && fs.existsSync(h.out + '.config'));
    const init = JSON.parse(fs.readFileSync(h.out, 'utf8'));
    assert.equal(init.initializationOptions.workspaceTrusted, false);
    assert.deepEqual(init.initializationOptions.confirm, { enable: false });
    assert.deepEqual(init.initializationOptions.inlayHints, { enable: false, maxLength: 40 });
    const pulled = JSON.parse(fs.readFileSync(h.out + '.config', 'utf8'));
    assert.deepEqual(pulled[0].confirm, { enable: false });
    assert.deepEqual(pulled[1], { enable: false });
  } finally {
    await h.cleanup();
  }
});
