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
import { ReproRun } from './repro';

export interface IPanelActions {
  check(): void;
  repro(): void;
  cancelRepro(): void;
  jump(diagnostic: IDiagnostic): void;
  renderDocs(rule: IRule): Promise<HTMLElement>;
}

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
    this.node.append(header, this._status, this._reproBox, this._groupsBox);
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
      this.updatePart('repro', this._reproBox, null, () => []);
      this.updatePart('groups', this._groupsBox, null, () => []);
      return;
    }
    const name = checker.panel.context.localPath.split('/').pop() ?? '';
    const count = checker.diagnostics.length;
    this._summary.textContent = `${name}: ${
      count === 0 ? 'no findings' : `${count} finding${count === 1 ? '' : 's'}`
    }`;
    const status: HTMLElement[] = [];
    if (checker.checking) {
      status.push(element('div', 'nbd-status', 'Checking…'));
    }
    if (checker.error) {
      status.push(element('div', 'nbd-status nbd-error', checker.error));
    }
    this._status.replaceChildren(...status);
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
        element('span', 'nbd-name', first.name),
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
        group.append(item);
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
        `${runs} run${runs === 1 ? '' : 's'}, ${result.metrics_checked} metric${
          result.metrics_checked === 1 ? '' : 's'
        } compared (rtol ${rtol}, atol ${atol}), ${result.seconds.toFixed(1)} s`
      )
    );
    if (result.failure) {
      const where = result.failure.cell ? ` (cell ${result.failure.cell})` : '';
      box.append(element('div', 'nbd-status nbd-error', `${result.failure.message}${where}`));
      if (result.failure.fix) {
        box.append(element('div', 'nbd-status', result.failure.fix));
      }
    }
    if (result.differences.length) {
      const scroller = element('div', 'nbd-differences-scroller');
      scroller.append(this.renderDifferences(result.differences));
      box.append(scroller);
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
    for (const label of ['', 'name', 'baseline', ...runLabels, 'difference', 'tolerance']) {
      head.append(element('th', '', label));
    }
    table.append(head);
    for (const difference of differences) {
      const row = element('tr', 'nbd-difference');
      const cells = [
        difference.kind,
        difference.name,
        show(difference.baseline),
        ...Array.from({ length: runs }, (_, i) => show(difference.values[i])),
        difference.difference === null ? '' : difference.difference.toPrecision(3),
        difference.tolerance
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
  private _reproBox = element('div', 'nbd-panel-repro');
  private _groupsBox = element('div', 'nbd-panel-groups');
  private _rendered = new Map<string, string>();
  private _checker: NotebookChecker | null = null;
  private _repro: ReproRun | null = null;
  private _openDocs = new Set<string>();
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
