import { StateEffect, StateField, Text } from '@codemirror/state';
import { Decoration, DecorationSet, EditorView } from '@codemirror/view';
import { Cell } from '@jupyterlab/cells';
import { CodeMirrorEditor } from '@jupyterlab/codemirror';
import { PanelLayout, Widget } from '@lumino/widgets';

import { IDiagnostic } from './api';
import { appliesInLab, columnOffset, otherFiles } from './fixes';

const setFindings = StateEffect.define<IDiagnostic[]>();

/** Line and range highlights of the findings in one cell editor. */
const findingsField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(decorations, transaction) {
    decorations = decorations.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (effect.is(setFindings)) {
        decorations = buildDecorations(effect.value, transaction.state.doc);
      }
    }
    return decorations;
  },
  provide: field => EditorView.decorations.from(field)
});

function buildDecorations(diagnostics: IDiagnostic[], doc: Text): DecorationSet {
  const ranges = [];
  for (const d of diagnostics) {
    const severity = `nbd-severity-${d.severity}`;
    const firstRow = Math.min(Math.max(d.location.row, 1), doc.lines);
    const lastRow = Math.min(Math.max(d.end_location.row, firstRow), doc.lines);
    for (let row = firstRow; row <= lastRow; row++) {
      ranges.push(
        Decoration.line({ class: `nbd-line ${severity}` }).range(doc.line(row).from)
      );
    }
    const start = position(doc, firstRow, d.location.column);
    const end = position(doc, lastRow, d.end_location.column);
    if (end > start) {
      ranges.push(
        Decoration.mark({
          class: `nbd-range ${severity}`,
          attributes: { title: `${d.code} ${d.message}` }
        }).range(start, end)
      );
    }
  }
  return Decoration.set(ranges, true);
}

function position(doc: Text, row: number, column: number): number {
  const line = doc.line(row);
  return line.from + (columnOffset(line.text, Math.max(column, 1)) ?? line.length);
}

/** A finding's fix button: "Fix", or "Fix (unsafe)" for a fix that may change behaviour. */
export function fixButton(diagnostic: IDiagnostic, onFix: () => void): HTMLButtonElement | null {
  const fix = diagnostic.fix;
  if (!appliesInLab(fix)) {
    return null;
  }
  const unsafe = fix.applicability === 'unsafe';
  const button = document.createElement('button');
  button.className = `nbd-fix-button${unsafe ? ' nbd-fix-unsafe' : ''}`;
  button.textContent = unsafe ? 'Fix (unsafe)' : 'Fix';
  const what = /[.!?]$/.test(fix.message) ? fix.message : `${fix.message}.`;
  button.title = unsafe
    ? `${what} Unsafe fix: it may change what the notebook does. Ctrl+Z in the cell undoes it.`
    : `${what} Ctrl+Z in the cell undoes it.`;
  button.addEventListener('click', event => {
    event.stopPropagation();
    onFix();
  });
  return button;
}

/** For a fix that edits other files than the notebook: the command that applies it. */
export function fixCommand(diagnostic: IDiagnostic): string | null {
  const files = otherFiles(diagnostic.fix);
  if (!files.length) {
    return null;
  }
  const fix = diagnostic.fix!;
  const unsafe = fix.applicability === 'unsafe' ? ' --unsafe-fixes' : '';
  return `${fix.message}: run \`nbcheck --fix${unsafe}\` (it edits ${files.join(', ')})`;
}

const injected = new WeakSet<CodeMirrorEditor>();

/** The box under a cell's input that lists its findings. */
class CellFindings extends Widget {
  constructor() {
    super();
    this.addClass('nbd-cell-findings');
  }

  /**
   * Show the findings; a list that has not changed is left in place, since every check renders
   * the findings again and replacing a button the user is clicking would swallow the click.
   */
  render(diagnostics: IDiagnostic[], onFix: (diagnostic: IDiagnostic) => void): void {
    const key = JSON.stringify(diagnostics);
    if (key === this._shown) {
      return;
    }
    this._shown = key;
    this.node.replaceChildren(
      ...diagnostics.map(d => {
        const item = document.createElement('div');
        item.className = `nbd-cell-finding nbd-severity-${d.severity}`;
        item.dataset.code = d.code;
        const code = document.createElement('span');
        code.className = 'nbd-code';
        code.textContent = d.code;
        const where = document.createElement('span');
        where.className = 'nbd-where';
        where.textContent = `${d.location.row}:${d.location.column}`;
        const message = document.createElement('span');
        message.className = 'nbd-message';
        message.textContent = d.message;
        item.append(code, ' ', message, ' ', where);
        const fix = fixButton(d, () => onFix(d));
        if (fix) {
          item.append(' ', fix);
        }
        item.title = [d.help ? `${d.name}: ${d.help}` : d.name, fixCommand(d)]
          .filter(Boolean)
          .join('\n');
        return item;
      })
    );
    this.setHidden(diagnostics.length === 0);
  }

  private _shown = '';
}

const boxes = new WeakMap<Cell, CellFindings>();
const latest = new WeakMap<Cell, IDiagnostic[]>();

/**
 * Show `diagnostics` beside `cell`. Cells render lazily (windowed notebooks), so the decoration is
 * applied once the cell is ready, with the latest findings at that time.
 */
export function showCellFindings(
  cell: Cell,
  diagnostics: IDiagnostic[],
  onFix: (diagnostic: IDiagnostic) => void
): void {
  const previous = latest.get(cell);
  if (!previous && diagnostics.length === 0) {
    return;
  }
  latest.set(cell, diagnostics);
  void cell.ready.then(() => {
    if (cell.isDisposed || latest.get(cell) !== diagnostics) {
      return;
    }
    decorateCell(cell, diagnostics, onFix);
  });
}

function decorateCell(
  cell: Cell,
  diagnostics: IDiagnostic[],
  onFix: (diagnostic: IDiagnostic) => void
): void {
  let box = boxes.get(cell);
  if (!box || box.isDisposed) {
    const layout = cell.layout as PanelLayout;
    const input = cell.inputArea?.parent;
    if (!layout || !input) {
      return;
    }
    box = new CellFindings();
    layout.insertWidget(layout.widgets.indexOf(input) + 1, box);
    boxes.set(cell, box);
  }
  box.render(diagnostics, onFix);
  cell.toggleClass('nbd-has-findings', diagnostics.length > 0);

  const editor = cell.editor;
  if (editor instanceof CodeMirrorEditor) {
    if (!injected.has(editor)) {
      editor.injectExtension(findingsField);
      injected.add(editor);
    }
    editor.editor.dispatch({ effects: setFindings.of(diagnostics) });
  }
}
