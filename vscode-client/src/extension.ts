/**
 * The ShapeLens VS Code extension: finds a Python, checks it can run the
 * ShapeLens language server, starts `<python> -m shapelens` over stdio and
 * wires up commands and the status bar.
 *
 * Pure logic lives in config.ts, interpreter.ts, status.ts and util.ts (no
 * `vscode` import) and is unit tested with `node --test`.
 */
import * as os from 'os';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import { checkInterpreter } from './check';
import { SECTION, buildInitializationOptions, needsRestart, sanitizeConfigurationResult } from './config';
import { FailureMessage, chooseInterpreter, describeCheckFailure, formatCommand, serverCommand } from './interpreter';
import { activeInterpreter, hasPythonExtension, onInterpreterChanged } from './pythonExtension';
import { StatusTracker, statusView } from './status';
import { Debounced, debounce, modelSummaryParams, summaryMarkdown } from './util';

const RESTART_DELAY_MS = 1000;

class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly tracker = new StatusTracker();
  private queue: Promise<void> = Promise.resolve();
  private stopping = false;
  private failureDetail: string | undefined;
  private readonly scheduled: Debounced;
  private pendingReason = '';

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly status: vscode.StatusBarItem,
  ) {
    this.scheduled = debounce(() => void this.restart(this.pendingReason), RESTART_DELAY_MS);
    this.render();
  }

  /** Restart after a quiet period (settings/interpreter changes come in bursts). */
  scheduleRestart(reason: string): void {
    this.pendingReason = reason;
    this.scheduled();
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  restart(reason: string): Promise<void> {
    this.scheduled.cancel();
    this.log.info(`Restarting the server: ${reason}`);
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  stop(): Promise<void> {
    this.scheduled.cancel();
    return this.enqueue(() => this.doStop());
  }

  dispose(): void {
    void this.stop();
  }

  onStatusNotification(params: unknown): void {
    this.tracker.notify(params);
    this.render();
  }

  documentClosed(uri: string): void {
    this.tracker.forget(uri);
    this.render();
  }

  async showModelSummary(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'python') {
      void vscode.window.showInformationMessage('ShapeLens: put the cursor inside an nn.Module class in a Python file.');
      return;
    }
    const client = this.client;
    if (!client || !client.isRunning()) {
      const choice = await vscode.window.showWarningMessage('ShapeLens: the server is not running.', 'Show Output', 'Restart Server');
      if (choice === 'Show Output') {
        this.log.show();
      } else if (choice === 'Restart Server') {
        void this.restart('requested from Show Model Summary');
      }
      return;
    }
    const position = client.code2ProtocolConverter.asPosition(editor.selection.active);
    const params = modelSummaryParams(
      client.code2ProtocolConverter.asUri(editor.document.uri),
      position.line,
      position.character,
    );
    let result: unknown;
    try {
      result = await client.sendRequest(ExecuteCommandRequest.type, params);
    } catch (err) {
      this.log.error(`shapelens.modelSummary failed: ${errorText(err)}`);
      void vscode.window.showErrorMessage(`ShapeLens: the model summary failed: ${errorText(err)}`);
      return;
    }
    const markdown = summaryMarkdown(result);
    if (markdown === null) {
      void vscode.window.showInformationMessage('No nn.Module class here');
      return;
    }
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job, job);
    this.queue = next.catch((err) => this.log.error(`ShapeLens: ${errorText(err)}`));
    return this.queue;
  }

  private render(): void {
    const view = statusView(this.tracker.state, this.tracker.state === 'failed' ? this.failureDetail : undefined);
    this.status.text = view.text;
    this.status.tooltip = view.tooltip;
    this.status.backgroundColor = view.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.status.show();
  }

  private fail(detail: string): void {
    this.failureDetail = detail;
    this.tracker.failed();
    this.render();
  }

  private async doStart(): Promise<void> {
    this.failureDetail = undefined;
    this.tracker.starting();
    this.render();

    const folder = vscode.workspace.workspaceFolders?.[0];
    const trusted = vscode.workspace.isTrusted;
    const config = vscode.workspace.getConfiguration(SECTION, folder?.uri);
    const pythonExtensionPresent = hasPythonExtension();
    // In an untrusted workspace the Python extension may point at an interpreter inside the
    // workspace (.venv): don't run it.  VS Code already drops workspace values of the
    // restricted `shapelens.interpreter` setting there.
    const fromExtension = trusted && pythonExtensionPresent ? await activeInterpreter(folder?.uri, this.log) : undefined;
    const choice = chooseInterpreter({
      setting: config.get<unknown>('interpreter'),
      pythonExtension: fromExtension,
      platform: process.platform,
      // ${workspaceFolder} is left unresolved in an untrusted workspace: no interpreter from there.
      variables: { workspaceFolder: trusted ? folder?.uri.fsPath : undefined, userHome: os.homedir(), env: process.env },
    });
    const shown = formatCommand(choice.command);
    this.log.info(`Interpreter: ${shown} (from ${choice.source})${trusted ? '' : ' [untrusted workspace]'}`);

    // Run from the extension's own directory, never the workspace: `python -c`/`-m` put the
    // current directory on sys.path, and a workspace must not be able to shadow `shapelens`.
    const cwd = this.context.extensionPath;
    const env = { ...process.env, PYTHONUNBUFFERED: '1', PYTHONSAFEPATH: '1' };

    const result = await checkInterpreter(choice.command, { cwd, env });
    const failure = describeCheckFailure(result, choice, pythonExtensionPresent);
    if (failure) {
      this.log.error(failure.message);
      if (result.kind === 'not-installed' && result.error) {
        this.log.error(`import shapelens: ${result.error}`);
      }
      this.fail(failure.message);
      void this.showFailure(failure);
      return;
    }
    if (result.kind === 'ok') {
      this.log.info(`Python ${result.version} at ${result.executable}; shapelens ${result.shapelensVersion}`);
    }

    const { command, args } = serverCommand(choice);
    const serverOptions: ServerOptions = { command, args, options: { cwd, env } };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'python' },
        { scheme: 'untitled', language: 'python' },
      ],
      outputChannel: this.log,
      traceOutputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: buildInitializationOptions(vscode.workspace.getConfiguration(SECTION), trusted),
      synchronize: { configurationSection: SECTION },
      middleware: {
        workspace: {
          configuration: async (params, token, next) => {
            const answer = await next(params, token);
            return Array.isArray(answer)
              ? sanitizeConfigurationResult(params.items, answer, vscode.workspace.isTrusted)
              : answer;
          },
        },
      },
    };

    const client = new LanguageClient('shapelens', 'ShapeLens', serverOptions, clientOptions);
    client.onNotification('shapelens/status', (params: unknown) => this.onStatusNotification(params));
    client.onDidChangeState((e) => {
      if (this.client !== client) {
        return;
      }
      if (e.newState === State.Running) {
        this.tracker.running();
      } else if (e.newState === State.Starting) {
        this.tracker.starting();
      } else if (e.newState === State.Stopped) {
        if (this.stopping) {
          this.tracker.stopped();
        } else {
          this.failureDetail = 'The server stopped unexpectedly; see the output.';
          this.tracker.failed();
        }
      }
      this.render();
    });
    this.client = client;
    this.log.info(`Starting: ${formatCommand([command, ...args])}`);
    try {
      await client.start();
    } catch (err) {
      const message = `ShapeLens: the server failed to start: ${errorText(err)}`;
      this.log.error(message);
      this.fail(message);
      void this.showFailure({ message, actions: ['Show Output', 'Open Settings'] });
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    if (!client) {
      return;
    }
    this.stopping = true;
    try {
      if (client.needsStop()) {
        await client.stop(2000);
      }
    } catch (err) {
      this.log.warn(`Stopping the server: ${errorText(err)}`);
    } finally {
      try {
        await client.dispose();
      } catch {
        // already stopped
      }
      this.client = undefined;
      this.stopping = false;
      this.tracker.stopped();
      this.render();
    }
  }

  private async showFailure(failure: FailureMessage): Promise<void> {
    const choice = await vscode.window.showErrorMessage(failure.message, ...failure.actions);
    switch (choice) {
      case 'Open Settings':
        await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.interpreter`);
        break;
      case 'Select Interpreter':
        await vscode.commands.executeCommand('python.setInterpreter');
        break;
      case 'Copy Install Command':
        if (failure.installCommand) {
          await vscode.env.clipboard.writeText(failure.installCommand);
          void vscode.window.showInformationMessage(`Copied: ${failure.installCommand}`);
        }
        break;
      case 'Retry':
        await this.restart('retry requested');
        break;
      case 'Show Output':
        this.log.show();
        break;
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('ShapeLens', { log: true });
  const status = vscode.window.createStatusBarItem('shapelens.status', vscode.StatusBarAlignment.Right, 100);
  status.name = 'ShapeLens';
  status.command = 'shapelens.showOutput';
  const mgr = new ServerManager(context, log, status);
  manager = mgr;

  context.subscriptions.push(
    log,
    status,
    mgr,
    vscode.commands.registerCommand('shapelens.restartServer', () => mgr.restart('ShapeLens: Restart Server')),
    vscode.commands.registerCommand('shapelens.showModelSummary', () => mgr.showModelSummary()),
    vscode.commands.registerCommand('shapelens.showOutput', () => log.show()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (needsRestart((section) => e.affectsConfiguration(section))) {
        mgr.scheduleRestart('shapelens.interpreter changed');
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => mgr.scheduleRestart('the workspace is now trusted')),
    vscode.workspace.onDidCloseTextDocument((doc) => mgr.documentClosed(doc.uri.toString())),
  );

  void mgr.start();

  if (hasPythonExtension()) {
    void onInterpreterChanged(() => {
      if (vscode.workspace.isTrusted) {
        mgr.scheduleRestart("the Python extension's interpreter changed");
      }
    }, log).then((sub) => {
      if (sub) {
        context.subscriptions.push(sub);
      }
    });
  }
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}
