/**
 * Choosing the Python interpreter and checking it can run the ShapeLens server.
 * Pure logic: no `vscode` import, so it can be unit tested with `node --test`.
 */

export type InterpreterSource = 'setting' | 'python-extension' | 'default';

export interface InterpreterChoice {
  /** The command: executable followed by its own arguments (the server args are appended later). */
  command: string[];
  source: InterpreterSource;
}

export interface InterpreterInputs {
  /** The `shapelens.interpreter` setting (already read from the configuration). */
  setting: unknown;
  /** The Python extension's active interpreter (executable path or command), if available. */
  pythonExtension?: string[] | string | undefined;
  /** `process.platform`. */
  platform: string;
  /** Values for `${workspaceFolder}`, `${userHome}`, `${env:NAME}` in the setting. */
  variables?: VariableContext;
}

export interface VariableContext {
  workspaceFolder?: string;
  userHome?: string;
  env?: Record<string, string | undefined>;
}

/** The interpreter used when neither the setting nor the Python extension gives one. */
export function defaultPython(platform: string): string {
  return platform === 'win32' ? 'python' : 'python3';
}

/** Replace `${workspaceFolder}`, `${userHome}` and `${env:NAME}` in one setting value. */
export function resolveVariables(value: string, ctx: VariableContext = {}): string {
  return value.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (whole, name: string, envName?: string) => {
    if (envName !== undefined) {
      return ctx.env?.[envName] ?? '';
    }
    if (name === 'workspaceFolder') {
      return ctx.workspaceFolder ?? whole;
    }
    return ctx.userHome ?? whole;
  });
}

/** The `shapelens.interpreter` setting as a clean command, or undefined if unset/invalid. */
export function interpreterFromSetting(setting: unknown, ctx: VariableContext = {}): string[] | undefined {
  let parts: unknown[];
  if (typeof setting === 'string') {
    parts = [setting]; // tolerate "python3.12" written as a plain string
  } else if (Array.isArray(setting)) {
    parts = setting;
  } else {
    return undefined;
  }
  const command = parts
    .filter((p): p is string => typeof p === 'string')
    .map((p) => resolveVariables(p.trim(), ctx))
    .filter((p) => p.length > 0);
  return command.length > 0 ? command : undefined;
}

/** Setting first, then the Python extension's interpreter, then `python3` (`python` on Windows). */
export function chooseInterpreter(inputs: InterpreterInputs): InterpreterChoice {
  const fromSetting = interpreterFromSetting(inputs.setting, inputs.variables);
  if (fromSetting) {
    return { command: fromSetting, source: 'setting' };
  }
  const ext = inputs.pythonExtension;
  const fromExtension = (typeof ext === 'string' ? [ext] : ext ?? []).filter((p) => typeof p === 'string' && p.trim() !== '');
  if (fromExtension.length > 0) {
    return { command: fromExtension, source: 'python-extension' };
  }
  return { command: [defaultPython(inputs.platform)], source: 'default' };
}

/** How a command is shown to the user (and pasted into a terminal). */
export function formatCommand(command: string[]): string {
  return command.map((part) => (/^[\w@%+=:,./\\-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
}

// ---------------------------------------------------------------- version check

export const MIN_PYTHON: [number, number] = [3, 10];
export const CHECK_MARKER = 'SHAPELENS_CHECK ';

/**
 * Run as `<python> -c CHECK_SCRIPT`.  Written so that even Python 2 parses it,
 * so that "too old" is reported as such rather than as a syntax error.
 */
export const CHECK_SCRIPT = [
  'import sys, json',
  'info = {"version": list(sys.version_info[:3]), "executable": sys.executable}',
  'try:',
  '    import shapelens',
  '    info["shapelens"] = getattr(shapelens, "__version__", "unknown")',
  'except Exception as exc:',
  '    info["shapelens"] = None',
  '    info["error"] = "%s: %s" % (type(exc).__name__, exc)',
  `sys.stdout.write("${CHECK_MARKER}" + json.dumps(info) + "\\n")`,
].join('\n');

export type CheckResult =
  | { kind: 'ok'; version: string; executable: string; shapelensVersion: string }
  | { kind: 'missing' }
  | { kind: 'too-old'; version: string; executable: string }
  | { kind: 'not-installed'; version: string; executable: string; error: string }
  | { kind: 'failed'; detail: string };

export interface ProcessOutcome {
  stdout: string;
  stderr: string;
  /** Exit code, or null if the process did not exit normally. */
  exitCode: number | null;
  /** The spawn error code, e.g. 'ENOENT' or 'EACCES', if the process could not start. */
  spawnError?: string;
  timedOut?: boolean;
}

function lastLines(text: string, n = 5): string {
  return text.trim().split(/\r?\n/).slice(-n).join('\n');
}

/** Interpret the output of `<python> -c CHECK_SCRIPT`. */
export function parseCheckOutput(outcome: ProcessOutcome): CheckResult {
  if (outcome.spawnError === 'ENOENT') {
    return { kind: 'missing' };
  }
  if (outcome.spawnError) {
    return { kind: 'failed', detail: `could not start it (${outcome.spawnError})` };
  }
  if (outcome.timedOut) {
    return { kind: 'failed', detail: 'it did not answer within the time limit' };
  }
  const line = outcome.stdout
    .split(/\r?\n/)
    .reverse()
    .find((l) => l.startsWith(CHECK_MARKER));
  if (line === undefined) {
    const why = lastLines(outcome.stderr) || lastLines(outcome.stdout) || `exit code ${outcome.exitCode}`;
    // Python 2 and ancient 3.x still run the script; a command-not-found from a shell wrapper lands here.
    if (/not found|No such file|is not recognized/i.test(why) && outcome.exitCode !== 0) {
      return { kind: 'missing' };
    }
    return { kind: 'failed', detail: why };
  }
  let info: { version?: unknown; executable?: unknown; shapelens?: unknown; error?: unknown };
  try {
    info = JSON.parse(line.slice(CHECK_MARKER.length));
  } catch {
    return { kind: 'failed', detail: `unexpected output: ${line}` };
  }
  const parts = Array.isArray(info.version) ? info.version.map((v) => Number(v)) : [];
  if (parts.length < 2 || parts.some((v) => !Number.isFinite(v))) {
    return { kind: 'failed', detail: `unexpected output: ${line}` };
  }
  const version = parts.join('.');
  const executable = typeof info.executable === 'string' ? info.executable : '';
  if (!isAtLeast(parts, MIN_PYTHON)) {
    return { kind: 'too-old', version, executable };
  }
  if (typeof info.shapelens !== 'string') {
    return { kind: 'not-installed', version, executable, error: typeof info.error === 'string' ? info.error : '' };
  }
  return { kind: 'ok', version, executable, shapelensVersion: info.shapelens };
}

export function isAtLeast(version: number[], minimum: number[]): boolean {
  for (let i = 0; i < minimum.length; i++) {
    const v = version[i] ?? 0;
    if (v !== minimum[i]) {
      return v > minimum[i];
    }
  }
  return true;
}

export type FailureAction = 'Open Settings' | 'Select Interpreter' | 'Copy Install Command' | 'Retry' | 'Show Output';

export interface FailureMessage {
  message: string;
  actions: FailureAction[];
  /** For 'Copy Install Command'. */
  installCommand?: string;
}

/** The error shown to the user when the interpreter cannot run the server (undefined when ok). */
export function describeCheckFailure(
  result: CheckResult,
  choice: InterpreterChoice,
  hasPythonExtension: boolean,
): FailureMessage | undefined {
  const cmd = formatCommand(choice.command);
  const where =
    choice.source === 'setting'
      ? ' (from the shapelens.interpreter setting)'
      : choice.source === 'python-extension'
        ? " (the Python extension's selected interpreter)"
        : '';
  const pick: FailureAction[] = hasPythonExtension ? ['Select Interpreter', 'Open Settings'] : ['Open Settings'];
  switch (result.kind) {
    case 'ok':
      return undefined;
    case 'missing':
      return {
        message:
          `ShapeLens: Python interpreter "${cmd}"${where} was not found. ` +
          (hasPythonExtension
            ? 'Select a Python interpreter, or set "shapelens.interpreter".'
            : 'Install Python 3.10+ or set "shapelens.interpreter" to the Python command to use.'),
        actions: [...pick, 'Show Output'],
      };
    case 'too-old':
      return {
        message: `ShapeLens needs Python ${MIN_PYTHON.join('.')} or newer, but ${cmd}${where} is Python ${result.version}.`,
        actions: [...pick, 'Show Output'],
      };
    case 'not-installed': {
      const install = `${cmd} -m pip install shapelens`;
      return {
        message: `shapelens is not installed in ${cmd}${where}: run ${install}`,
        actions: ['Copy Install Command', 'Retry', ...pick, 'Show Output'],
        installCommand: install,
      };
    }
    case 'failed':
      return {
        message: `ShapeLens could not use the Python interpreter ${cmd}${where}: ${result.detail.split('\n').pop()}`,
        actions: [...pick, 'Show Output'],
      };
  }
}

/** Arguments that start the server: `<python...> -m shapelens`. */
export function serverCommand(choice: InterpreterChoice): { command: string; args: string[] } {
  const [command, ...rest] = choice.command;
  return { command, args: [...rest, '-m', 'shapelens'] };
}
