import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import {
  CHECK_MARKER,
  chooseInterpreter,
  defaultPython,
  describeCheckFailure,
  formatCommand,
  interpreterFromSetting,
  isAtLeast,
  parseCheckOutput,
  resolveVariables,
  serverCommand,
} from '../src/interpreter';
import { checkInterpreter } from '../src/check';

const ok = (info: object) => ({ stdout: `${CHECK_MARKER}${JSON.stringify(info)}\n`, stderr: '', exitCode: 0 });

test('default interpreter is python3, python on Windows', () => {
  assert.equal(defaultPython('linux'), 'python3');
  assert.equal(defaultPython('darwin'), 'python3');
  assert.equal(defaultPython('win32'), 'python');
});

test('the setting wins over the Python extension and the default', () => {
  const choice = chooseInterpreter({ setting: ['/opt/py/bin/python', '-X', 'utf8'], pythonExtension: ['/venv/bin/python'], platform: 'linux' });
  assert.deepEqual(choice, { command: ['/opt/py/bin/python', '-X', 'utf8'], source: 'setting' });
});

test('an empty setting falls through to the Python extension', () => {
  for (const setting of [[], [''], ['  '], undefined, null, 42, {}]) {
    const choice = chooseInterpreter({ setting, pythonExtension: '/venv/bin/python', platform: 'linux' });
    assert.deepEqual(choice, { command: ['/venv/bin/python'], source: 'python-extension' }, JSON.stringify(setting));
  }
});

test('no setting and no Python extension: python3 / python', () => {
  assert.deepEqual(chooseInterpreter({ setting: [], platform: 'linux' }), { command: ['python3'], source: 'default' });
  assert.deepEqual(chooseInterpreter({ setting: [], pythonExtension: [], platform: 'win32' }), { command: ['python'], source: 'default' });
  assert.deepEqual(chooseInterpreter({ setting: [], pythonExtension: [''], platform: 'linux' }).source, 'default');
});

test('a plain string setting is accepted as a one-element command', () => {
  assert.deepEqual(interpreterFromSetting('python3.12'), ['python3.12']);
  assert.equal(interpreterFromSetting(''), undefined);
});

test('variables in the setting are resolved', () => {
  const ctx = { workspaceFolder: '/ws', userHome: '/home/u', env: { PYENV: '/pyenv' } };
  assert.equal(resolveVariables('${workspaceFolder}/.venv/bin/python', ctx), '/ws/.venv/bin/python');
  assert.equal(resolveVariables('${userHome}/py', ctx), '/home/u/py');
  assert.equal(resolveVariables('${env:PYENV}/bin/python', ctx), '/pyenv/bin/python');
  assert.equal(resolveVariables('${env:NOPE}x', ctx), 'x');
  assert.equal(resolveVariables('${workspaceFolder}/p', {}), '${workspaceFolder}/p');
  assert.deepEqual(interpreterFromSetting(['${userHome}/bin/python', '-I'], ctx), ['/home/u/bin/python', '-I']);
});

test('formatCommand quotes parts with spaces', () => {
  assert.equal(formatCommand(['/usr/bin/python3']), '/usr/bin/python3');
  assert.equal(formatCommand(['C:\\Program Files\\Python\\python.exe', '-X', 'utf8']), '"C:\\\\Program Files\\\\Python\\\\python.exe" -X utf8');
});

test('serverCommand appends -m shapelens after the interpreter arguments', () => {
  assert.deepEqual(serverCommand({ command: ['py', '-3.12'], source: 'setting' }), { command: 'py', args: ['-3.12', '-m', 'shapelens'] });
  assert.deepEqual(serverCommand({ command: ['python3'], source: 'default' }), { command: 'python3', args: ['-m', 'shapelens'] });
});

test('isAtLeast compares version tuples', () => {
  assert.ok(isAtLeast([3, 10, 0], [3, 10]));
  assert.ok(isAtLeast([3, 12], [3, 10]));
  assert.ok(isAtLeast([4, 0], [3, 10]));
  assert.ok(!isAtLeast([3, 9, 18], [3, 10]));
  assert.ok(!isAtLeast([2, 7, 18], [3, 10]));
});

test('parseCheckOutput: ok', () => {
  const r = parseCheckOutput(ok({ version: [3, 11, 7], executable: '/usr/bin/python3', shapelens: '0.1.0' }));
  assert.deepEqual(r, { kind: 'ok', version: '3.11.7', executable: '/usr/bin/python3', shapelensVersion: '0.1.0' });
});

test('parseCheckOutput: ignores noise around the marker line', () => {
  const out = ok({ version: [3, 10, 0], executable: 'p', shapelens: '0.1.0' });
  const r = parseCheckOutput({ ...out, stdout: `hello from sitecustomize\n${out.stdout}trailing\n` });
  assert.equal(r.kind, 'ok');
});

test('parseCheckOutput: too old', () => {
  const r = parseCheckOutput(ok({ version: [3, 9, 18], executable: '/usr/bin/python3.9', shapelens: null }));
  assert.deepEqual(r, { kind: 'too-old', version: '3.9.18', executable: '/usr/bin/python3.9' });
});

test('parseCheckOutput: shapelens missing', () => {
  const r = parseCheckOutput(
    ok({ version: [3, 12, 1], executable: '/v/bin/python', shapelens: null, error: "ModuleNotFoundError: No module named 'shapelens'" }),
  );
  assert.equal(r.kind, 'not-installed');
  assert.equal(r.kind === 'not-installed' && r.error, "ModuleNotFoundError: No module named 'shapelens'");
});

test('parseCheckOutput: interpreter missing', () => {
  assert.deepEqual(parseCheckOutput({ stdout: '', stderr: '', exitCode: null, spawnError: 'ENOENT' }), { kind: 'missing' });
  assert.deepEqual(parseCheckOutput({ stdout: '', stderr: 'pyenv: python3.13: command not found', exitCode: 127 }), { kind: 'missing' });
});

test('parseCheckOutput: other failures carry a reason', () => {
  const eacces = parseCheckOutput({ stdout: '', stderr: '', exitCode: null, spawnError: 'EACCES' });
  assert.equal(eacces.kind, 'failed');
  const timeout = parseCheckOutput({ stdout: '', stderr: '', exitCode: null, timedOut: true });
  assert.equal(timeout.kind, 'failed');
  const crash = parseCheckOutput({ stdout: '', stderr: 'Traceback...\nSyntaxError: invalid syntax', exitCode: 1 });
  assert.deepEqual(crash, { kind: 'failed', detail: 'Traceback...\nSyntaxError: invalid syntax' });
  const garbage = parseCheckOutput({ stdout: `${CHECK_MARKER}{not json`, stderr: '', exitCode: 0 });
  assert.equal(garbage.kind, 'failed');
  const noVersion = parseCheckOutput(ok({ executable: 'p' }));
  assert.equal(noVersion.kind, 'failed');
});

test('describeCheckFailure: not installed names the interpreter and the pip command', () => {
  const choice = { command: ['/v/bin/python'], source: 'python-extension' as const };
  const msg = describeCheckFailure({ kind: 'not-installed', version: '3.12.1', executable: '/v/bin/python', error: '' }, choice, true);
  assert.ok(msg);
  assert.match(msg.message, /^shapelens is not installed in \/v\/bin\/python/);
  assert.match(msg.message, /run \/v\/bin\/python -m pip install shapelens$/);
  assert.equal(msg.installCommand, '/v/bin/python -m pip install shapelens');
  assert.deepEqual(msg.actions, ['Copy Install Command', 'Retry', 'Select Interpreter', 'Open Settings', 'Show Output']);
});

test('describeCheckFailure: missing / too old / failed / ok', () => {
  const choice = { command: ['python3'], source: 'default' as const };
  const missing = describeCheckFailure({ kind: 'missing' }, choice, false);
  assert.ok(missing);
  assert.match(missing.message, /"python3" was not found/);
  assert.match(missing.message, /shapelens\.interpreter/);
  assert.deepEqual(missing.actions, ['Open Settings', 'Show Output']);
  const old = describeCheckFailure({ kind: 'too-old', version: '3.8.10', executable: '/usr/bin/python3' }, choice, false);
  assert.ok(old);
  assert.match(old.message, /needs Python 3\.10 or newer, but python3 is Python 3\.8\.10/);
  const fromSetting = describeCheckFailure({ kind: 'missing' }, { command: ['/x/py'], source: 'setting' }, true);
  assert.match(fromSetting!.message, /from the shapelens\.interpreter setting/);
  const failed = describeCheckFailure({ kind: 'failed', detail: 'a\nPermissionError: nope' }, choice, false);
  assert.match(failed!.message, /PermissionError: nope$/);
  assert.equal(describeCheckFailure({ kind: 'ok', version: '3.11', executable: 'p', shapelensVersion: '0.1.0' }, choice, false), undefined);
});

// ------------------------------------------------------------- against real processes

test('checkInterpreter: a command that does not exist is "missing"', async () => {
  const r = await checkInterpreter(['/nonexistent/shapelens-test-python']);
  assert.deepEqual(r, { kind: 'missing' });
});

const python = process.platform === 'win32' ? 'python' : 'python3';

test('checkInterpreter: real python, with and without shapelens importable', async (t) => {
  const serverDir = path.resolve(__dirname, '..', '..', '..', 'server');
  const withPath = await checkInterpreter([python], { env: { ...process.env, PYTHONPATH: serverDir } });
  if (withPath.kind === 'missing') {
    t.skip(`${python} is not on PATH`);
    return;
  }
  if (withPath.kind === 'too-old') {
    t.skip(`${python} is Python ${withPath.version}`);
    return;
  }
  assert.equal(withPath.kind, 'ok', JSON.stringify(withPath));
  // -I (isolated mode) ignores PYTHONPATH and user site-packages: shapelens is then not importable
  // unless installed system-wide.
  const isolated = await checkInterpreter([python, '-I'], { cwd: '/', env: { ...process.env, PYTHONPATH: '' } });
  assert.ok(isolated.kind === 'not-installed' || isolated.kind === 'ok', JSON.stringify(isolated));
  if (isolated.kind === 'not-installed') {
    assert.match(isolated.error, /ModuleNotFoundError/);
  }
});
