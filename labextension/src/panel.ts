import { Widget } from '@lumino/widgets';

import {
  fetchRules,
  IDiagnostic,
  IDifference,
  INotebookVerdict,
  IReproJob,
  IRule
} from './api';
import { NotebookChecker } from './checker';
import { fixableInLab } from './fixes';
import { fixButton, fixCommand } from './markers';
import { ReproRun } from './repro';

export interface IPanelActions {
  check(): void;
  repro(): void;
  cancelRepro(): void;
  jump(diagnostic: IDiagnostic): void;
  renderDocs(rule: IRule): Promise<HTMLElement>;
}

/** What the panel and the count say when the selection leaves no rule to run. */
export const NO_RULES =
  'no rules selected (the select and ignore settings and the project leave none)';

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function button(className: string, label: string, onClick: () => void): HTMLButtonElement {
  const node = element('button', `jp-Button jp-mod-styled jp-mod-reject ${className}`, label);
  node.addEventListener('click', onClick);
  return node;
}

/** The side panel: the current notebook's findings grouped by rule, and its reproducibility. */
export class FindingsPanel extends Widget {
  constructor(private actions: IPanelActions) {
    super();
    this.id = 'nb-discipline-panel';
    this.addClass('nbd-panel');
    this.title.caption = 'nb-discipline';
    const header = element('div', 'nbd-panel-header');
    this._buttons.append(
      button('nbd-check-button', 'Check notebook', () => this.actions.check()),
      button('nbd-repro-button', 'Check reproducibility', () => this.actions.repro())
    );
    header.append(
      element('h2', 'nbd-panel-title', 'Notebook discipline'),
      this._summary,
      this._buttons
    );
    this.node.append(header, this._status, this._fixBox, this._reproBox, this._groupsBox);
    this.render();
  }

  /** Follow another notebook (null when no notebook is current). */
  follow(checker: NotebookChecker | null, repro: ReproRun | null): void {
    this._checker?.changed.disconnect(this.render, this);
    this._repro?.changed.disconnect(this.render, this);
    this._checker = checker;
    this._repro = repro;
    checker?.changed.connect(this.render, this);
    repro?.changed.connect(this.render, this);
    this.render();
  }

  /**
   * Update what changed only: the panel re-renders after every check, and replacing a list the
   * user is about to click would swallow the click.
   */
  private render(): void {
    const checker = this._checker;
    this._buttons.style.display = checker ? '' : 'none';
    if (!checker) {
      this._summary.textContent = 'Open a notebook to check it.';
      this._status.replaceChildren();
      this.updatePart('fixes', this._fixBox, null, () => []);
      this.updatePart('repro', this._reproBox, null, () => []);
      this.updatePart('groups', this._groupsBox, null, () => []);
      return;
    }
    const name = checker.panel.context.localPath.split('/').pop() ?? '';
    const count = checker.diagnostics.length;
    let found = count === 0 ? 'no findings' : `${count} finding${count === 1 ? '' : 's'}`;
    if (checker.selected?.length === 0) {
      found = NO_RULES;
    }
    const shownName = element('span', 'nbd-notebook-name', name);
    shownName.title = checker.panel.context.localPath;
    this._summary.replaceChildren(shownName, `: ${found}`);
    const status: HTMLElement[] = [];
    if (checker.fixing) {
      status.push(element('div', 'nbd-status', 'Fixing…'));
    } else if (checker.checking) {
      status.push(element('div', 'nbd-status', 'Checking…'));
    }
    if (checker.error) {
      status.push(element('div', 'nbd-status nbd-error', checker.error));
    }
    if (checker.fixStatus && !checker.fixing) {
      status.push(element('div', 'nbd-status nbd-fix-status', checker.fixStatus));
    }
    this._status.replaceChildren(...status);
    const safe = checker.diagnostics.filter(d => fixableInLab(d, false)).length;
    const all = checker.diagnostics.filter(d => fixableInLab(d, true)).length;
    this.updatePart('fixes', this._fixBox, [checker.panel.id, safe, all, checker.fixing], () =>
      this.renderFixAll(checker, safe, all)
    );
    const repro = this._repro;
    this.updatePart(
      'repro',
      this._reproBox,
      [checker.panel.id, repro?.job, repro?.error, repro?.running],
      () => [this.renderRepro()]
    );
    this.updatePart(
      'groups',
      this._groupsBox,
      [checker.panel.id, checker.diagnostics, [...this._openDocs]],
      () => [this.renderGroups(checker)]
    );
  }

  private updatePart(
    part: string,
    box: HTMLElement,
    state: unknown,
    render: () => HTMLElement[]
  ): void {
    const key = JSON.stringify(state);
    if (this._rendered.get(part) !== key) {
      this._rendered.set(part, key);
      box.replaceChildren(...render());
    }
  }

  /** "Fix all safe (n)" and "Fix all, including unsafe (n)", when the lab can fix something. */
  private renderFixAll(checker: NotebookChecker, safe: number, all: number): HTMLElement[] {
    if (all === 0) {
      return [];
    }
    const fixSafe = button('nbd-fix-all-safe', `Fix all safe (${safe})`, () =>
      void checker.fixAll(false)
    );
    fixSafe.disabled = safe === 0 || checker.fixing;
    fixSafe.title = safe
      ? 'Apply every safe fix to the notebook in the browser (nothing is saved). ' +
        'Ctrl+Z in a cell undoes its fixes.'
      : 'No safe fixes here: the fixes offered may change what the notebook does.';
    const buttons = [fixSafe];
    if (all > safe) {
      const fixAll = button('nbd-fix-all-unsafe', `Fix all, including unsafe (${all})`, () =>
        void checker.fixAll(true)
      );
      fixAll.disabled = checker.fixing;
      fixAll.title =
        'Apply every fix, the unsafe ones too: they may change what the notebook does ' +
        '(nothing is saved; Ctrl+Z in a cell undoes its fixes).';
      buttons.push(fixAll);
    }
    const bar = element('div', 'nbd-panel-buttons nbd-fix-all');
    bar.append(...buttons);
    return [bar];
  }

  private renderGroups(checker: NotebookChecker): HTMLElement {
    const groups = new Map<string, IDiagnostic[]>();
    for (const diagnostic of checker.diagnostics) {
      groups.set(diagnostic.code, [...(groups.get(diagnostic.code) ?? []), diagnostic]);
    }
    const list = element('div', 'nbd-groups');
    for (const code of [...groups.keys()].sort()) {
      const diagnostics = groups.get(code)!;
      const first = diagnostics[0];
      const group = element('section', `nbd-group nbd-severity-${first.severity}`);
      group.dataset.code = code;
      const head = element('div', 'nbd-group-header');
      head.append(
        element('span', 'nbd-code', code),
        nameOf(first.name),
        element('span', 'nbd-count', String(diagnostics.length)),
        button('nbd-docs-button', this._openDocs.has(code) ? 'Hide docs' : 'Docs', () => {
          if (!this._openDocs.delete(code)) {
            this._openDocs.add(code);
          }
          this.render();
        })
      );
      group.append(head);
      if (this._openDocs.has(code)) {
        group.append(this.renderDocs(code));
      }
      for (const diagnostic of diagnostics) {
        const row = element('div', 'nbd-finding-row');
        const item = element('button', 'nbd-finding');
        item.dataset.cell = String(diagnostic.cell);
        item.append(
          element(
            'span',
            'nbd-where',
            `cell ${diagnostic.cell}:${diagnostic.location.row}:${diagnostic.location.column}`
          ),
          element('span', 'nbd-message', diagnostic.message)
        );
        item.title = diagnostic.help ?? 'Go to the cell';
        item.addEventListener('click', () => this.actions.jump(diagnostic));
        row.append(item);
        const fix = fixButton(diagnostic, () => void checker.fix(diagnostic));
        if (fix) {
          row.append(fix);
        }
        const command = fixCommand(diagnostic);
        if (command) {
          row.append(element('div', 'nbd-fix-command', command));
        }
        group.append(row);
      }
      list.append(group);
    }
    return list;
  }

  private renderDocs(code: string): HTMLElement {
    const docs = element('div', 'nbd-docs', 'Loading the docs…');
    void fetchRules()
      .then(rules => {
        const rule = rules.get(code);
        if (!rule) {
          docs.textContent = `No docs for ${code}.`;
          return;
        }
        return this.actions.renderDocs(rule).then(node => docs.replaceChildren(node));
      })
      .catch(error => {
        docs.textContent = `Could not load the docs: ${error.message}`;
      });
    return docs;
  }

  private renderRepro(): HTMLElement {
    const section = element('section', 'nbd-repro');
    const repro = this._repro;
    if (!repro || (!repro.job && !repro.error && !repro.running)) {
      return section;
    }
    section.append(element('h3', 'nbd-repro-title', 'Reproducibility'));
    const job = repro.job;
    if (repro.error && (!job || job.state !== 'running')) {
      section.append(element('div', 'nbd-status nbd-error', repro.error));
    }
    if (!job) {
      if (repro.running) {
        section.append(element('div', 'nbd-status', 'Starting…'));
      }
      return section;
    }
    for (const warning of job.warnings) {
      section.append(element('div', 'nbd-status nbd-repro-warning', warning));
    }
    if (job.state === 'running') {
      section.append(this.renderProgress(job));
      return section;
    }
    if (job.state === 'failed') {
      section.append(element('div', 'nbd-verdict nbd-verdict-failed', 'Failed'));
      section.append(element('div', 'nbd-status nbd-error', job.error ?? 'unknown error'));
      return section;
    }
    if (job.state === 'cancelled') {
      section.append(element('div', 'nbd-verdict nbd-verdict-cancelled', 'Cancelled'));
      return section;
    }
    const report = job.report!;
    for (const message of report.errors) {
      section.append(element('div', 'nbd-status nbd-error', message));
    }
    for (const result of report.notebooks) {
      section.append(this.renderVerdict(result, report.runs, report.rtol, report.atol));
    }
    return section;
  }

  private renderProgress(job: IReproJob): HTMLElement {
    const box = element('div', 'nbd-repro-progress');
    const progress = job.progress;
    let text = 'Starting the kernel…';
    const bar = element('progress', 'nbd-progress-bar');
    if (progress) {
      const cell =
        progress.cell && progress.cells ? `, cell ${progress.cell}/${progress.cells}` : '';
      text = `Run ${progress.run} of ${progress.runs}${cell}`;
      const cellsDone = progress.cells ? (progress.cell ?? 0) / progress.cells : 0;
      bar.max = progress.runs;
      bar.value = progress.run - 1 + cellsDone;
    }
    if (job.cancelling) {
      text += ' (cancelling…)';
    }
    box.append(
      element('div', 'nbd-status', text),
      bar,
      button('nbd-cancel-button', 'Cancel', () => this.actions.cancelRepro())
    );
    return box;
  }

  private renderVerdict(
    result: INotebookVerdict,
    runs: number,
    rtol: number,
    atol: number
  ): HTMLElement {
    const box = element('div', 'nbd-repro-result');
    const labels: Record<string, string> = {
      reproduced: 'Reproduced',
      differs: 'Differs',
      failed: 'Failed',
      unverified: 'Unverified: one run, no baseline'
    };
    box.append(
      element(
        'div',
        `nbd-verdict nbd-verdict-${result.verdict}`,
        labels[result.verdict] ?? result.verdict
      ),
      element(
        'div',
        'nbd-repro-summary',
        [
          `${runs} run${runs === 1 ? '' : 's'}${result.baseline ? ' and the baseline' : ''}`,
          `${result.metrics_checked} metric${result.metrics_checked === 1 ? '' : 's'} compared ` +
            `(rtol ${rtol}, atol ${atol})`,
          `${result.seconds.toFixed(1)} s`
        ].join(', ')
      )
    );
    if (result.baseline) {
      const baseline = element('div', 'nbd-repro-baseline', `Baseline: ${result.baseline}`);
      baseline.title = result.baseline;
      box.append(baseline);
    }
    if (result.failure) {
      const where = result.failure.cell ? ` (cell ${result.failure.cell})` : '';
      box.append(element('div', 'nbd-status nbd-error', `${result.failure.message}${where}`));
      if (result.failure.fix) {
        box.append(element('div', 'nbd-status', result.failure.fix));
      }
    }
    // What the data did comes first: a changed input explains the differences below it.
    for (const change of result.data_changes ?? []) {
      box.append(element('div', 'nbd-status nbd-data-change', change.message));
    }
    if (result.differences.length) {
      const scroller = element('div', 'nbd-differences-scroller');
      scroller.append(this.renderDifferences(result.differences));
      box.append(scroller);
    }
    for (const cause of result.likely_causes ?? []) {
      box.append(
        element(
          'div',
          'nbd-status nbd-likely-cause',
          `Likely cause: cell ${cause.cell}: ${cause.code} ${cause.message}`
        )
      );
    }
    for (const note of result.notes) {
      box.append(element('div', 'nbd-note', note));
    }
    return box;
  }

  private renderDifferences(differences: IDifference[]): HTMLElement {
    const table = element('table', 'nbd-differences');
    const runs = Math.max(...differences.map(d => d.values.length));
    const head = element('tr', '');
    const runLabels = Array.from({ length: runs }, (_, i) => `run ${i + 1}`);
    // The name, the difference and its tolerance first: a narrow panel scrolls the rest.
    for (const label of ['name', 'difference', 'tolerance', 'what', 'baseline', ...runLabels]) {
      head.append(element('th', '', label));
    }
    table.append(head);
    for (const difference of differences) {
      const row = element('tr', 'nbd-difference');
      const cells = [
        difference.name,
        difference.difference === null ? '' : difference.difference.toPrecision(3),
        // One line per bound (`rtol=1e-06`, `atol=0`): narrow, and never broken at a hyphen.
        difference.tolerance.split(', ').join('\n'),
        difference.kind,
        show(difference.baseline),
        ...Array.from({ length: runs }, (_, i) => show(difference.values[i]))
      ];
      for (const text of cells) {
        row.append(element('td', '', text));
      }
      table.append(row);
    }
    return table;
  }

  private _summary = element('div', 'nbd-panel-summary');
  private _buttons = element('div', 'nbd-panel-buttons');
  private _status = element('div', 'nbd-panel-status');
  private _fixBox = element('div', 'nbd-panel-fixes');
  private _reproBox = element('div', 'nbd-panel-repro');
  private _groupsBox = element('div', 'nbd-panel-groups');
  private _rendered = new Map<string, string>();
  private _checker: NotebookChecker | null = null;
  private _repro: ReproRun | null = null;
  private _openDocs = new Set<string>();
}

/** A rule's name, cut with an ellipsis in a narrow panel (whole on hover). */
function nameOf(name: string): HTMLElement {
  const node = element('span', 'nbd-name', name);
  node.title = name;
  return node;
}

function show(value: unknown): string {
  if (value === null || value === undefined) {
    return '–';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : value.toPrecision(6);
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
