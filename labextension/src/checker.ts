import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { checkNotebook, IDiagnostic, IFix } from './api';
import { fixableInLab, fixOrder, planFixes } from './fixes';
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

/** As `nbcheck --fix`: fix, check again, and fix what the first pass left, at most this often. */
const MAX_FIX_PASSES = 10;

type SharedCell = INotebookModel['sharedModel']['cells'][number];

/** A cell as it was sent to the server: its findings' positions are in this source. */
interface ICheckedCell {
  id: string | null;
  source: string;
}

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

  /** The codes of the rules the last check ran (empty: the selection left none); null before
   * a check succeeded. */
  get selected(): string[] | null {
    return this._selected;
  }

  /** What the last fix did, or why it did nothing; null before any and after the next edit of
   * a cell's source (a kernel that connects, a cell that runs or outputs change nothing it said). */
  get fixStatus(): string | null {
    return this._fixStatus;
  }

  get fixing(): boolean {
    return this._fixing;
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
      const document = this.panel.context.model.toJSON() as {
        cells: { id?: string; source: string | string[] }[];
      };
      const checked = document.cells.map(cell => ({
        id: cell.id ?? null,
        source: Array.isArray(cell.source) ? cell.source.join('') : cell.source
      }));
      const body = await checkNotebook(
        this.panel.context.path,
        document,
        settings.select,
        settings.ignore
      );
      if (request === this._sequence && !this._isDisposed) {
        this._diagnostics = body.diagnostics;
        this._selected = body.selected;
        this._checked = checked;
        this._error = null;
      }
    } catch (error) {
      if (request === this._sequence && !this._isDisposed) {
        // The findings of an earlier check no longer hold (an invalid `select`, say): shown
        // beside the error they would read as the notebook's.
        this._diagnostics = [];
        this._selected = null;
        this._checked = [];
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

  /** Apply one finding's fix to the notebook the browser holds (undoable), then check again. */
  fix(diagnostic: IDiagnostic): Promise<void> {
    return this.fixPasses(() => (diagnostic.fix ? [diagnostic.fix] : []), 1);
  }

  /**
   * Apply every fix the lab can apply (the safe ones; with `unsafe`, the unsafe ones too), check
   * again, and repeat for the fixes a pass left because their edits overlapped, as `nbcheck
   * --fix` does.
   */
  fixAll(unsafe: boolean): Promise<void> {
    return this.fixPasses(
      diagnostics => fixOrder(diagnostics.filter(d => fixableInLab(d, unsafe))),
      MAX_FIX_PASSES
    );
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

  private async fixPasses(
    pick: (diagnostics: IDiagnostic[]) => IFix[],
    passes: number
  ): Promise<void> {
    if (this._fixing) {
      return;
    }
    this._fixing = true;
    this._changed.emit();
    let applied = 0;
    let misplaced = 0;
    let stale: number | null = null;
    try {
      for (let pass = 0; pass < passes; pass++) {
        const fixes = pick(this._diagnostics);
        if (fixes.length === 0) {
          break;
        }
        const plan = planFixes(fixes, this._checked.map(cell => cell.source));
        misplaced += plan.misplaced;
        const cells = this.currentCells([...plan.cells.keys()]);
        if (typeof cells === 'number') {
          stale = cells + 1;
          await this.check();
          break;
        }
        for (const [index, edits] of plan.cells) {
          const cell = cells.get(index)!;
          // One undo step of its own in the cell (Ctrl+Z there undoes the fix).
          const undoManager = (cell as { undoManager?: { stopCapturing(): void } | null })
            .undoManager;
          undoManager?.stopCapturing();
          cell.transact(() => {
            for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
              cell.updateSource(edit.start, edit.end, edit.content);
            }
          });
          undoManager?.stopCapturing();
        }
        applied += plan.applied;
        await this.check();
        if (plan.applied === 0 || this._error) {
          break;
        }
      }
    } finally {
      const parts = [];
      if (stale !== null) {
        parts.push(
          applied
            ? `Applied ${applied} fix${applied === 1 ? '' : 'es'}; the others were not:`
            : 'Nothing applied:',
          `cell ${stale} changed since the last check. Checked again: try again.`
        );
      } else {
        parts.push(`Applied ${applied} fix${applied === 1 ? '' : 'es'}.`);
      }
      if (misplaced) {
        parts.push(
          `${misplaced} fix${misplaced === 1 ? ' was' : 'es were'} not applied: ` +
            'the edits do not fall inside the cell that was checked.'
        );
      }
      this._fixStatus = parts.join(' ');
      this._sourcesAtFixStatus = this.sources();
      this._fixing = false;
      this._changed.emit();
    }
  }

  /**
   * The shared models of the cells at these positions of the last checked notebook, found by id
   * (else by position), or the position of one that has changed since that check: edits are
   * positions in the source that was checked.
   */
  private currentCells(indices: number[]): Map<number, SharedCell> | number {
    const cells = this.panel.context.model.sharedModel.cells;
    const found = new Map<number, SharedCell>();
    for (const index of indices) {
      const checked = this._checked[index];
      const cell = checked.id
        ? cells.find(cell => cell.id === checked.id)
        : cells.length === this._checked.length
          ? cells[index]
          : undefined;
      if (!cell || cell.getSource() !== checked.source) {
        return index;
      }
      found.set(index, cell);
    }
    return found;
  }

  private sourcesChangedSinceFixStatus(): boolean {
    const now = this.sources();
    const then = this._sourcesAtFixStatus;
    return now.length !== then.length || now.some((source, index) => source !== then[index]);
  }

  private schedule(delay: number): void {
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => void this.check(), delay);
  }

  private sources(): string[] {
    return this.panel.context.model.sharedModel.cells.map(cell => cell.getSource());
  }

  private onEdit(): void {
    if (!this._fixing && this._fixStatus !== null && this.sourcesChangedSinceFixStatus()) {
      this._fixStatus = null; // it told what the last fix did: the code has moved on
      this._changed.emit();
    }
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
    this._selected = null;
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
      showCellFindings(cell, byCell.get(index) ?? [], diagnostic => void this.fix(diagnostic))
    );
  }

  private _diagnostics: IDiagnostic[] = [];
  private _selected: string[] | null = null;
  private _checked: ICheckedCell[] = [];
  private _fixStatus: string | null = null;
  private _sourcesAtFixStatus: string[] = [];
  private _fixing = false;
  private _error: string | null = null;
  private _checking = false;
  private _sequence = 0;
  private _completed = 0;
  private _timer = 0;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}
