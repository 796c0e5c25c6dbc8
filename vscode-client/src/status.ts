/**
 * The status bar state machine.  Pure logic: no `vscode` import.
 */

export type ServerState = 'starting' | 'ready' | 'analysing' | 'failed' | 'stopped';

export interface StatusView {
  text: string;
  tooltip: string;
  error: boolean;
}

/** `shapelens/status` notification params sent by the server. */
export interface StatusParams {
  state: 'analysing' | 'ready';
  uri?: string;
}

export function statusView(state: ServerState, detail?: string): StatusView {
  const extra = detail ? `\n${detail}` : '';
  switch (state) {
    case 'starting':
      return { text: '$(sync~spin) ShapeLens', tooltip: `ShapeLens: starting the server…${extra}`, error: false };
    case 'analysing':
      return { text: '$(sync~spin) ShapeLens', tooltip: `ShapeLens: analysing…${extra}`, error: false };
    case 'ready':
      return { text: '$(check) ShapeLens', tooltip: `ShapeLens: ready${extra}`, error: false };
    case 'failed':
      return { text: '$(error) ShapeLens', tooltip: `ShapeLens: the server is not running${extra}\nClick to show the output.`, error: true };
    case 'stopped':
      return { text: '$(circle-slash) ShapeLens', tooltip: `ShapeLens: stopped${extra}`, error: false };
  }
}

/**
 * Tracks which documents are being analysed: "analysing" while any document is,
 * "ready" once all are done.  A notification without a uri applies to the whole server.
 */
export class StatusTracker {
  private serverState: 'starting' | 'running' | 'failed' | 'stopped' = 'stopped';
  private readonly busy = new Set<string>();
  private wholeServerBusy = false;

  get state(): ServerState {
    switch (this.serverState) {
      case 'starting':
        return 'starting';
      case 'failed':
        return 'failed';
      case 'stopped':
        return 'stopped';
      case 'running':
        return this.wholeServerBusy || this.busy.size > 0 ? 'analysing' : 'ready';
    }
  }

  starting(): ServerState {
    this.serverState = 'starting';
    this.reset();
    return this.state;
  }

  running(): ServerState {
    this.serverState = 'running';
    return this.state;
  }

  failed(): ServerState {
    this.serverState = 'failed';
    this.reset();
    return this.state;
  }

  stopped(): ServerState {
    this.serverState = 'stopped';
    this.reset();
    return this.state;
  }

  /** Apply a `shapelens/status` notification; ignores malformed params. */
  notify(params: unknown): ServerState {
    if (typeof params !== 'object' || params === null) {
      return this.state;
    }
    const { state, uri } = params as { state?: unknown; uri?: unknown };
    if (state !== 'analysing' && state !== 'ready') {
      return this.state;
    }
    if (this.serverState === 'starting') {
      this.serverState = 'running'; // the server talks: it is up
    }
    if (typeof uri === 'string') {
      if (state === 'analysing') {
        this.busy.add(uri);
      } else {
        this.busy.delete(uri);
      }
    } else if (state === 'analysing') {
      this.wholeServerBusy = true;
    } else {
      this.wholeServerBusy = false;
      this.busy.clear();
    }
    return this.state;
  }

  /** A document was closed: it can no longer be "analysing". */
  forget(uri: string): ServerState {
    this.busy.delete(uri);
    return this.state;
  }

  private reset(): void {
    this.busy.clear();
    this.wholeServerBusy = false;
  }
}
