/**
 * Small helpers without a `vscode` import.
 */

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Debounced {
  (): void;
  cancel(): void;
  readonly pending: boolean;
}

/** Call `fn` once, `ms` after the last of a burst of calls. */
export function debounce(fn: () => void, ms: number, timers: Timers = realTimers): Debounced {
  let handle: unknown;
  let pending = false;
  const debounced = (() => {
    if (pending) {
      timers.clearTimeout(handle);
    }
    pending = true;
    handle = timers.setTimeout(() => {
      pending = false;
      fn();
    }, ms);
  }) as Debounced;
  debounced.cancel = () => {
    if (pending) {
      timers.clearTimeout(handle);
      pending = false;
    }
  };
  Object.defineProperty(debounced, 'pending', { get: () => pending });
  return debounced;
}

/** The server's answer to `shapelens.modelSummary`: Markdown text, or null for "no module here". */
export function summaryMarkdown(result: unknown): string | null {
  if (typeof result === 'string') {
    return result.trim() === '' ? null : result;
  }
  if (typeof result === 'object' && result !== null && typeof (result as { value?: unknown }).value === 'string') {
    return summaryMarkdown((result as { value: string }).value);
  }
  return null;
}

/** `workspace/executeCommand` params for the model summary at a cursor position. */
export function modelSummaryParams(documentUri: string, line: number, character: number) {
  return { command: 'shapelens.modelSummary', arguments: [documentUri, { line, character }] };
}

/** Reject if `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const handle = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(handle);
        resolve(v);
      },
      (e) => {
        clearTimeout(handle);
        reject(e);
      },
    );
  });
}
