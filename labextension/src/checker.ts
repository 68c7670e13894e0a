import { DocumentRegistry } from '@jupyterlab/docregistry';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { checkNotebook, IDiagnostic } from './api';
import { showCellFindings } from './markers';

export interface ICheckSettings {
  enabled: boolean;
  checkOn: 'edit' | 'save';
  delay: number;
  select: string[];
  ignore: string[];
}

export const DEFAULT_SETTINGS: ICheckSettings = {
  enabled: true,
  checkOn: 'edit',
  delay: 1000,
  select: [],
  ignore: []
};

/**
 * Keeps one notebook's findings current: about a second after an edit, after a cell runs and
 * after a save (or only after a save, per the settings), and on demand.
 */
export class NotebookChecker implements IDisposable {
  constructor(
    readonly panel: NotebookPanel,
    private getSettings: () => ICheckSettings
  ) {
    const context = panel.context;
    context.model.contentChanged.connect(this.onEdit, this);
    context.saveState.connect(this.onSaveState, this);
    NotebookActions.executed.connect(this.onExecuted, this);
    void context.ready.then(() => this.settingsChanged());
  }

  get diagnostics(): IDiagnostic[] {
    return this._diagnostics;
  }

  /** The server's reason when the last check failed, null otherwise. */
  get error(): string | null {
    return this._error;
  }

  get checking(): boolean {
    return this._checking;
  }

  /** False when automatic checks are off in the settings. */
  get enabled(): boolean {
    return this.getSettings().enabled;
  }

  /** How many checks have completed (0 until the first findings arrive). */
  get completed(): number {
    return this._completed;
  }

  /** Emitted whenever the findings, the error or the checking flag change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  settingsChanged(): void {
    if (this.getSettings().enabled) {
      this.schedule(0);
    } else {
      this.clear();
    }
  }

  /** Check now and wait for the findings. */
  async check(): Promise<void> {
    window.clearTimeout(this._timer);
    const settings = this.getSettings();
    const request = ++this._sequence;
    this._checking = true;
    this._changed.emit();
    try {
      const body = await checkNotebook(
        this.panel.context.path,
        this.panel.context.model.toJSON(),
        settings.select,
        settings.ignore
      );
      if (request === this._sequence && !this._isDisposed) {
        this._diagnostics = body.diagnostics;
        this._error = null;
      }
    } catch (error) {
      if (request === this._sequence && !this._isDisposed) {
        this._error = error instanceof Error ? error.message : String(error);
      }
    } finally {
      if (request === this._sequence && !this._isDisposed) {
        this._checking = false;
        this._completed++;
        this.render();
        this._changed.emit();
      }
    }
  }

  /** Where a finding's cell is now: by id, else by its 1-based position. */
  cellIndex(diagnostic: IDiagnostic): number {
    const cells = this.panel.content.widgets;
    if (diagnostic.cell_id) {
      const index = cells.findIndex(cell => cell.model.id === diagnostic.cell_id);
      if (index >= 0) {
        return index;
      }
    }
    return Math.min(diagnostic.cell - 1, cells.length - 1);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.clearTimeout(this._timer);
    NotebookActions.executed.disconnect(this.onExecuted, this);
    Signal.clearData(this);
  }

  private schedule(delay: number): void {
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => void this.check(), delay);
  }

  private onEdit(): void {
    const settings = this.getSettings();
    if (settings.enabled && settings.checkOn === 'edit') {
      this.schedule(settings.delay);
    }
  }

  private onSaveState(
    _: DocumentRegistry.IContext<any>,
    state: DocumentRegistry.SaveState
  ): void {
    if (state === 'completed' && this.getSettings().enabled) {
      this.schedule(0);
    }
  }

  private onExecuted(_: unknown, args: { notebook: unknown }): void {
    const settings = this.getSettings();
    if (args.notebook === this.panel.content && settings.enabled && settings.checkOn === 'edit') {
      this.schedule(settings.delay);
    }
  }

  private clear(): void {
    window.clearTimeout(this._timer);
    this._sequence++;
    this._diagnostics = [];
    this._error = null;
    this._checking = false;
    this.render();
    this._changed.emit();
  }

  private render(): void {
    const byCell = new Map<number, IDiagnostic[]>();
    for (const diagnostic of this._diagnostics) {
      const index = this.cellIndex(diagnostic);
      byCell.set(index, [...(byCell.get(index) ?? []), diagnostic]);
    }
    this.panel.content.widgets.forEach((cell, index) =>
      showCellFindings(cell, byCell.get(index) ?? [])
    );
  }

  private _diagnostics: IDiagnostic[] = [];
  private _error: string | null = null;
  private _checking = false;
  private _sequence = 0;
  private _completed = 0;
  private _timer = 0;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}
