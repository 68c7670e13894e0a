import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** One finding, in the JSON contract of docs/architecture.md (the same as `nbcheck --output-format json`). */
export interface IDiagnostic {
  code: string;
  name: string;
  message: string;
  filename: string;
  cell: number;
  cell_id: string | null;
  location: { row: number; column: number };
  end_location: { row: number; column: number };
  severity: string;
  url: string | null;
  help: string | null;
  symbol: string | null;
  fix: IFix | null;
}

/** ruff's fix object: the edits `nbcheck --fix` would make, rows and columns relative to the cell. */
export interface IFix {
  applicability: 'safe' | 'unsafe';
  message: string;
  edits: {
    content: string;
    location: { row: number; column: number };
    end_location: { row: number; column: number };
    cell: number | null;
    filename?: string | null;
  }[];
}

export interface IRule {
  code: string;
  name: string;
  summary: string;
  severity: string;
  explanation: string;
}

export interface IReproProgress {
  event: string;
  run: number;
  runs: number;
  cell: number | null;
  cells: number | null;
  failure: { kind: string; message: string } | null;
  verdict: string | null;
}

export interface IDifference {
  kind: string;
  name: string;
  baseline: unknown;
  values: unknown[];
  difference: number | null;
  tolerance: string;
}

export interface INotebookVerdict {
  path: string;
  verdict: string;
  failure: {
    kind: string;
    message: string;
    cell: number | null;
    fix: string | null;
  } | null;
  differences: IDifference[];
  /** The baseline compared with (a path relative to the server root), null without one. */
  baseline: string | null;
  notes: string[];
  /** The data files whose contents differ from the baseline's or between runs. */
  data_changes: { path: string; message: string }[];
  /** The linter's NBD3xx findings in or above the first cell whose outputs differ. */
  likely_causes: { code: string; cell: number; message: string }[];
  metrics_checked: number;
  seconds: number;
}

export interface IReproJob {
  id: string;
  path: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  cancelling: boolean;
  progress: IReproProgress | null;
  /** Said before the runs: the cells that run an install command. */
  warnings: string[];
  report: {
    reproduced: boolean;
    errors: string[];
    notebooks: INotebookVerdict[];
    runs: number;
    rtol: number;
    atol: number;
  } | null;
  error: string | null;
}

/** A request to the server extension; errors carry the server's one-line reason. */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'nb-discipline', endpoint);
  const response = await ServerConnection.makeRequest(url, init, settings);
  const text = await response.text();
  let data: any = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!response.ok) {
    throw new Error(data.message || `${response.status} ${response.statusText}`);
  }
  return data as T;
}

export function checkNotebook(
  path: string,
  notebook: unknown,
  select: string[],
  ignore: string[]
): Promise<{ diagnostics: IDiagnostic[]; selected: string[] }> {
  return requestAPI('check', {
    method: 'POST',
    body: JSON.stringify({ path, notebook, select, ignore })
  });
}

let rulesPromise: Promise<Map<string, IRule>> | null = null;

/** Every rule with its docs, fetched once. */
export function fetchRules(): Promise<Map<string, IRule>> {
  if (!rulesPromise) {
    rulesPromise = requestAPI<{ rules: IRule[] }>('rules')
      .then(body => new Map(body.rules.map(rule => [rule.code, rule])))
      .catch(error => {
        rulesPromise = null;
        throw error;
      });
  }
  return rulesPromise;
}
