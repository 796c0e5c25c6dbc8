/**
 * Optional integration with the ms-python.python extension.  Its API is typed
 * loosely here on purpose: we must not depend on @vscode/python-extension
 * (it needs node 22 to build) nor require the extension to be installed.
 */
import * as vscode from 'vscode';
import { withTimeout } from './util';

interface EnvironmentPath {
  id?: string;
  path?: string;
}

interface ResolvedEnvironment {
  executable?: { uri?: vscode.Uri; sysPrefix?: string };
  path?: string;
}

interface PythonApiLoose {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri | vscode.WorkspaceFolder): EnvironmentPath | undefined;
    resolveEnvironment?(env: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
  settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] };
    onDidChangeExecutionDetails?: vscode.Event<unknown>;
  };
}

export const PYTHON_EXTENSION_ID = 'ms-python.python';

export function hasPythonExtension(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

async function api(log: vscode.LogOutputChannel): Promise<PythonApiLoose | undefined> {
  const ext = vscode.extensions.getExtension<PythonApiLoose>(PYTHON_EXTENSION_ID);
  if (!ext) {
    return undefined;
  }
  try {
    const exports = ext.isActive ? ext.exports : await withTimeout(Promise.resolve(ext.activate()), 30000, 'Activating the Python extension');
    return exports ?? undefined;
  } catch (err) {
    log.warn(`Could not use the Python extension's API: ${err}`);
    return undefined;
  }
}

/** The active interpreter's command according to the Python extension, if any. */
export async function activeInterpreter(
  resource: vscode.Uri | undefined,
  log: vscode.LogOutputChannel,
): Promise<string[] | undefined> {
  const python = await api(log);
  if (!python) {
    return undefined;
  }
  try {
    const envs = python.environments;
    if (envs?.getActiveEnvironmentPath) {
      const envPath = envs.getActiveEnvironmentPath(resource);
      if (envPath) {
        const resolved = envs.resolveEnvironment ? await envs.resolveEnvironment(envPath) : undefined;
        const exe = resolved?.executable?.uri?.fsPath ?? envPath.path;
        if (exe) {
          return [exe];
        }
      }
    }
    const details = python.settings?.getExecutionDetails?.(resource);
    if (details?.execCommand && details.execCommand.length > 0) {
      return details.execCommand;
    }
  } catch (err) {
    log.warn(`The Python extension did not give an interpreter: ${err}`);
  }
  return undefined;
}

/** Subscribe to interpreter changes in the Python extension (no-op if it is absent). */
export async function onInterpreterChanged(
  listener: () => void,
  log: vscode.LogOutputChannel,
): Promise<vscode.Disposable | undefined> {
  const python = await api(log);
  const event = python?.environments?.onDidChangeActiveEnvironmentPath ?? python?.settings?.onDidChangeExecutionDetails;
  if (!event) {
    return undefined;
  }
  return event(() => listener());
}
