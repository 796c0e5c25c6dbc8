/**
 * Running the interpreter check (`<python> -c CHECK_SCRIPT`).  Uses node's
 * child_process but not `vscode`, so it is testable with `node --test`.
 */
import { execFile } from 'child_process';
import { CHECK_SCRIPT, CheckResult, ProcessOutcome, parseCheckOutput } from './interpreter';

export interface CheckOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function runProcess(command: string[], options: CheckOptions = {}): Promise<ProcessOutcome> {
  const [exe, ...args] = command;
  return new Promise((resolve) => {
    execFile(
      exe,
      [...args, '-c', CHECK_SCRIPT],
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 20000, windowsHide: true },
      (error, stdout, stderr) => {
        const err = error as (NodeJS.ErrnoException & { killed?: boolean; signal?: string }) | null;
        const spawnError = err && typeof err.code === 'string' ? err.code : undefined;
        resolve({
          stdout: String(stdout ?? ''),
          stderr: String(stderr ?? ''),
          exitCode: err ? (typeof err.code === 'number' ? err.code : null) : 0,
          spawnError,
          timedOut: Boolean(err?.killed && err.signal === 'SIGTERM'),
        });
      },
    );
  });
}

export async function checkInterpreter(command: string[], options: CheckOptions = {}): Promise<CheckResult> {
  return parseCheckOutput(await runProcess(command, options));
}
