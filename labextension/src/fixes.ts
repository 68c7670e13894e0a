import { IDiagnostic, IFix } from './api';

/**
 * Positions and edits in cell sources.
 *
 * nbcheck counts rows from 1 (lines end at \n, \r\n or \r, as in Python and CodeMirror) and
 * columns from 1 in characters: Unicode code points, as Python's `str` does. JavaScript strings
 * and CodeMirror count UTF-16 code units, in which a character outside the Basic Multilingual
 * Plane (an emoji, 𝑥) takes two. Every position from the server goes through these functions.
 */

/** The UTF-16 offset in `line` of the 1-based code-point `column`; null beyond the line's end. */
export function columnOffset(line: string, column: number): number | null {
  if (!Number.isInteger(column) || column < 1) {
    return null;
  }
  let offset = 0;
  for (let counted = 1; counted < column; counted++) {
    if (offset >= line.length) {
      return null;
    }
    offset += line.codePointAt(offset)! > 0xffff ? 2 : 1;
  }
  return offset;
}

const LINE_END = /\r\n|\r|\n/g;

/** The UTF-16 offset in `source` of a 1-based row and code-point column; null outside it. */
export function sourceOffset(
  source: string,
  position: { row: number; column: number }
): number | null {
  let start = 0;
  let row = 1;
  for (const match of source.matchAll(LINE_END)) {
    if (row === position.row) {
      const column = columnOffset(source.slice(start, match.index), position.column);
      return column === null ? null : start + column;
    }
    start = match.index! + match[0].length;
    row++;
  }
  if (row !== position.row) {
    return null;
  }
  const column = columnOffset(source.slice(start), position.column);
  return column === null ? null : start + column;
}

/** True when the lab can apply `fix`: all its edits are in cells of the notebook. */
export function appliesInLab(fix: IFix | null): fix is IFix {
  return (
    fix !== null &&
    fix.edits.length > 0 &&
    fix.edits.every(edit => edit.cell !== null && edit.filename == null)
  );
}

/** The files other than the notebook that `fix` edits (dependency files); empty when none. */
export function otherFiles(fix: IFix | null): string[] {
  const files = (fix?.edits ?? []).map(edit => edit.filename).filter(name => name != null);
  return [...new Set(files as string[])];
}

/** Fixable in the lab, and safe or, with `unsafe`, unsafe too. */
export function fixableInLab(diagnostic: IDiagnostic, unsafe: boolean): boolean {
  const fix = diagnostic.fix;
  return appliesInLab(fix) && (unsafe || fix.applicability === 'safe');
}

/** One replacement in a cell source, in UTF-16 offsets. */
export interface ICellEdit {
  start: number;
  end: number;
  content: string;
}

export interface IPlan {
  /** Per 0-based cell position in the checked notebook, its edits (none overlapping). */
  cells: Map<number, ICellEdit[]>;
  /** How many fixes the plan applies. */
  applied: number;
  /** Fixes whose edits lie outside the cell source that was checked, or overlap each other
   * (none are expected: `nbcheck --fix` skips them too). */
  misplaced: number;
}

/**
 * The order `nbcheck --fix` takes fixes in: by the place of their first edit (cell, row, column),
 * then by rule code, then in the findings' order.
 */
export function fixOrder(diagnostics: IDiagnostic[]): IFix[] {
  const first = (fix: IFix) =>
    fix.edits
      .map(edit => [edit.cell ?? 0, edit.location.row, edit.location.column])
      .reduce((a, b) => (compare(a, b) <= 0 ? a : b));
  return diagnostics
    .map((diagnostic, index) => ({ diagnostic, index, place: first(diagnostic.fix!) }))
    .sort(
      (a, b) =>
        compare(a.place, b.place) ||
        a.diagnostic.code.localeCompare(b.diagnostic.code, 'en') ||
        a.index - b.index
    )
    .map(item => item.diagnostic.fix!);
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return a[i] - b[i];
    }
  }
  return 0;
}

/**
 * Which of `fixes` (in `fixOrder`) to apply together to the cell sources that
 * were checked, with ruff's rule: all of a fix's edits or none; an edit identical to one already
 * taken is already done (two findings asking for the same seeding line get it once); a fix with
 * an edit that overlaps or touches one already taken waits for the next pass, after a re-check.
 */
export function planFixes(fixes: IFix[], sources: string[]): IPlan {
  const plan: IPlan = { cells: new Map(), applied: 0, misplaced: 0 };
  for (const fix of fixes) {
    const edits: [number, ICellEdit][] = [];
    let misplaced = false;
    for (const edit of fix.edits) {
      const source = sources[edit.cell! - 1];
      const start = source === undefined ? null : sourceOffset(source, edit.location);
      const end = source === undefined ? null : sourceOffset(source, edit.end_location);
      if (start === null || end === null || end < start) {
        misplaced = true;
        break;
      }
      edits.push([edit.cell! - 1, { start, end, content: edit.content }]);
    }
    if (misplaced) {
      plan.misplaced++;
      continue;
    }
    const overlapsItself = edits.some(([cell, edit], position) =>
      edits
        .slice(position + 1)
        .some(([other, next]) => other === cell && edit.start <= next.end && next.start <= edit.end)
    );
    if (overlapsItself) {
      plan.misplaced++;
      continue;
    }
    const taken = (cell: number) => plan.cells.get(cell) ?? [];
    const fresh = edits.filter(
      ([cell, edit]) =>
        !taken(cell).some(
          other =>
            other.start === edit.start && other.end === edit.end && other.content === edit.content
        )
    );
    const overlaps = fresh.some(([cell, edit]) =>
      taken(cell).some(other => edit.start <= other.end && other.start <= edit.end)
    );
    if (overlaps) {
      continue; // left for the next pass
    }
    for (const [cell, edit] of fresh) {
      plan.cells.set(cell, [...taken(cell), edit]);
    }
    plan.applied++;
  }
  return plan;
}
