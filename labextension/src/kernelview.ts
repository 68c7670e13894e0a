import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, Notebook, NotebookActions } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { JSONObject, PartialJSONObject } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

/** The comm of nb_discipline.notebook_view (protocol version 1): its docstring is the contract. */
export const COMM_TARGET = 'nb_discipline.notebook';
const PROTOCOL_VERSION = 1;
/** Changes are sent this long after the last edit, and at once before a cell of it runs. */
export const PATCH_DELAY = 300;

type SharedNotebook = INotebookModel['sharedModel'];
type SharedCell = SharedNotebook['cells'][number];

/** A cell as the protocol carries it (`tags` left out when there are none). */
type ViewCell = {
  id: string;
  cell_type: string;
  source: string;
  execution_count: number | null;
  tags?: string[];
  outputs?: IViewOutput[];
};

/** An output as the kernel's rules read it: its type, and an error's name and value. */
interface IViewOutput extends PartialJSONObject {
  output_type: string;
  ename?: string;
  evalue?: string;
}

/** What the kernel holds of one cell (as last sent), and the shared cell it was read from. */
interface ISentCell {
  cellType: string;
  source: string;
  count: number | null;
  tags: string;
  outputs: string;
  shared: SharedCell;
}

/** What the kernel holds of the notebook: everything the last messages said. */
interface ISent {
  path: string;
  metadata: string;
  order: string[];
  cells: Map<string, ISentCell>;
}

type Change = PartialJSONObject & { op: string };

function tagsOf(cell: SharedCell): string[] {
  const tags = cell.getMetadata('tags');
  return Array.isArray(tags) && tags.every(tag => typeof tag === 'string')
    ? (tags as string[])
    : [];
}

function countOf(cell: SharedCell): number | null {
  const count =
    cell.cell_type === 'code' ? (cell as { execution_count?: unknown }).execution_count : null;
  return typeof count === 'number' ? count : null;
}

function outputsOf(cell: SharedCell): IViewOutput[] {
  if (cell.cell_type !== 'code') {
    return [];
  }
  const outputs = (cell as { outputs?: Array<{ [key: string]: unknown }> }).outputs ?? [];
  return outputs.map(output => {
    const shown: IViewOutput = { output_type: String(output.output_type) };
    if (output.output_type === 'error') {
      shown.ename = String(output.ename ?? '');
      shown.evalue = String(output.evalue ?? '');
    }
    return shown;
  });
}

function viewCell(cell: SharedCell): ViewCell {
  const shown: ViewCell = {
    id: cell.id,
    cell_type: cell.cell_type,
    source: cell.getSource(),
    execution_count: countOf(cell)
  };
  const tags = tagsOf(cell);
  if (tags.length) {
    shown.tags = tags;
  }
  const outputs = outputsOf(cell);
  if (outputs.length) {
    shown.outputs = outputs;
  }
  return shown;
}

function sentCell(cell: SharedCell, shown: ViewCell): ISentCell {
  return {
    cellType: shown.cell_type,
    source: shown.source,
    count: shown.execution_count,
    tags: JSON.stringify(shown.tags ?? []),
    outputs: JSON.stringify(shown.outputs ?? []),
    shared: cell
  };
}

/**
 * The positions (in `sequence`) of a longest increasing subsequence of `sequence`: the cells that
 * keep their order, which need no move.
 */
function longestIncreasing(sequence: number[]): Set<number> {
  const tails: number[] = []; // tails[k]: the position ending the best run of length k + 1
  const previous = new Array<number>(sequence.length).fill(-1);
  sequence.forEach((value, position) => {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (sequence[tails[middle]] < value) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    previous[position] = low > 0 ? tails[low - 1] : -1;
    tails[low] = position;
  });
  const kept = new Set<number>();
  for (let at = tails.length ? tails[tails.length - 1] : -1; at >= 0; at = previous[at]) {
    kept.add(at);
  }
  return kept;
}

/**
 * The changes that turn the cell order `before` into `after` (ids), in the protocol's terms:
 * deletes, then in the new order an insert for each new cell and a move for each cell that
 * leaves the longest run of cells keeping their order; an `index` is the place once the change
 * is made.
 */
export function orderChanges(
  before: string[],
  after: string[],
  cell: (id: string) => ViewCell
): Change[] {
  const changes: Change[] = [];
  const wanted = new Set(after);
  const working = before.filter(id => {
    if (!wanted.has(id)) {
      changes.push({ op: 'delete', id });
    }
    return wanted.has(id);
  });
  const place = new Map(working.map((id, index) => [id, index]));
  const common = after.filter(id => place.has(id));
  const kept = longestIncreasing(common.map(id => place.get(id)!));
  const staying = new Set(common.filter((_, position) => kept.has(position)));
  after.forEach((id, index) => {
    if (staying.has(id)) {
      return;
    }
    // Right after the cell that precedes it in the new order: the cells before it are placed.
    const at = index === 0 ? 0 : working.indexOf(after[index - 1]) + 1;
    if (place.has(id)) {
      const from = working.indexOf(id);
      working.splice(from, 1);
      const target = from < at ? at - 1 : at;
      working.splice(target, 0, id);
      changes.push({ op: 'move', id, index: target });
    } else {
      working.splice(at, 0, id);
      changes.push({ op: 'insert', index: at, cell: cell(id) });
    }
  });
  return changes;
}

/**
 * The browser's half of the notebook comm: tells the kernel this notebook's path and cells
 * (`full`), then what changes (`patch`), so that live warnings, `%%production` and `%nbcheck`
 * judge the cells as the browser holds them. One per document context (its panels share the
 * kernel connection).
 */
export class KernelView implements IDisposable {
  constructor(private context: DocumentRegistry.IContext<INotebookModel>) {
    const sessionContext = context.sessionContext;
    sessionContext.kernelChanged.connect(this.onKernelChanged, this);
    sessionContext.statusChanged.connect(this.onStatusChanged, this);
    context.pathChanged.connect(this.schedule, this);
    this.model.sharedModel.changed.connect(this.onNotebookChanged, this);
    NotebookActions.executionScheduled.connect(this.onExecutionScheduled, this);
    this.follow(sessionContext.session?.kernel ?? null);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Send what changed since the last message now (before a cell runs). */
  private flush(): void {
    window.clearTimeout(this._timer);
    if (!this._comm) {
      return;
    }
    if (!this._sent) {
      this.sendFull();
      return;
    }
    const changes = this.changes(this._sent);
    if (changes.length) {
      this.send({ type: 'patch', seq: this._seq++, changes });
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.clearTimeout(this._timer);
    NotebookActions.executionScheduled.disconnect(this.onExecutionScheduled, this);
    this.follow(null);
    Signal.clearData(this);
  }

  private get model(): INotebookModel {
    return this.context.model;
  }

  /** Register the comm target on `kernel`, and open a comm to one that already has the kernel
   * extension loaded (a reloaded page): the kernel opened its comm to the page before. */
  private follow(kernel: Kernel.IKernelConnection | null): void {
    const old = this._kernel;
    if (kernel === old) {
      return;
    }
    if (old && !old.isDisposed) {
      old.removeCommTarget(COMM_TARGET, this.onCommOpened);
    }
    this.drop(true);
    this._kernel = kernel;
    if (!kernel || !kernel.handleComms) {
      return; // another connection to this kernel handles its comms: the kernel uses the file
    }
    kernel.registerCommTarget(COMM_TARGET, this.onCommOpened);
    void this.openIfLoaded(kernel);
  }

  private async openIfLoaded(kernel: Kernel.IKernelConnection): Promise<void> {
    let reply: KernelMessage.ICommInfoReplyMsg;
    try {
      reply = await kernel.requestCommInfo({ target_name: COMM_TARGET });
    } catch {
      return; // the kernel went away: its next start opens the comm if it loads the extension
    }
    const content = reply.content;
    const loaded = content.status === 'ok' && Object.keys(content.comms).length > 0;
    if (!loaded || this._comm || this._kernel !== kernel || kernel.isDisposed) {
      return;
    }
    const comm = kernel.createComm(COMM_TARGET);
    comm.open({ version: PROTOCOL_VERSION });
    this.attach(comm);
  }

  private onCommOpened = (comm: Kernel.IComm, message: KernelMessage.ICommOpenMsg): void => {
    const data = message.content.data as { version?: unknown };
    if (data.version !== PROTOCOL_VERSION) {
      comm.close(); // a kernel extension that speaks another version: it uses the file
      return;
    }
    this.attach(comm);
  };

  private attach(comm: Kernel.IComm): void {
    this.drop(true);
    this._comm = comm;
    comm.onMsg = message => {
      if ((message.content.data as { type?: unknown }).type === 'resync') {
        this.sendFull();
      }
    };
    comm.onClose = () => {
      if (this._comm === comm) {
        this.drop(false);
      }
    };
    this.sendFull();
  }

  /** Forget the comm (closing it when asked and still open) and what the kernel holds. */
  private drop(close: boolean): void {
    const comm = this._comm;
    this._comm = null;
    this._sent = null;
    window.clearTimeout(this._timer);
    if (close && comm && !comm.isDisposed && this._kernel && !this._kernel.isDisposed) {
      try {
        comm.close();
      } catch {
        // the connection is going away: the kernel forgets the comm with it
      }
    }
  }

  private sendFull(): void {
    window.clearTimeout(this._timer);
    if (!this._comm) {
      return;
    }
    const shared = this.model.sharedModel;
    const cells: ViewCell[] = [];
    const sent: ISent = {
      path: this.context.localPath,
      metadata: JSON.stringify(shared.getMetadata()),
      order: [],
      cells: new Map()
    };
    for (const cell of shared.cells) {
      const shown = viewCell(cell);
      cells.push(shown);
      sent.order.push(cell.id);
      sent.cells.set(cell.id, sentCell(cell, shown));
      cell.changed.connect(this.onCellChanged, this);
    }
    this._sent = sent;
    this._dirty.clear();
    this._structureChanged = false;
    this._metadataChanged = false;
    this.send({
      type: 'full',
      seq: this._seq++,
      path: sent.path,
      cells,
      metadata: JSON.parse(sent.metadata)
    });
  }

  /** What changed since `sent`, which is brought up to date. */
  private changes(sent: ISent): Change[] {
    const changes: Change[] = [];
    const path = this.context.localPath;
    if (path !== sent.path) {
      changes.push({ op: 'path', path });
      sent.path = path;
    }
    if (this._metadataChanged) {
      const metadata = JSON.stringify(this.model.sharedModel.getMetadata());
      if (metadata !== sent.metadata) {
        changes.push({ op: 'metadata', metadata: JSON.parse(metadata) });
        sent.metadata = metadata;
      }
    }
    const cells = this.model.sharedModel.cells;
    let compare: Iterable<SharedCell>;
    if (this._structureChanged) {
      const byId = new Map(cells.map(cell => [cell.id, cell]));
      // A cell whose type changed is a new cell for the kernel (the protocol has no such op).
      const retyped = new Set(
        sent.order.filter(id => {
          const cell = byId.get(id);
          return cell !== undefined && cell.cell_type !== sent.cells.get(id)!.cellType;
        })
      );
      for (const id of retyped) {
        changes.push({ op: 'delete', id });
        sent.cells.delete(id);
      }
      const order = cells.map(cell => cell.id);
      const reordered = orderChanges(
        sent.order.filter(id => !retyped.has(id)),
        order,
        id => {
          const cell = byId.get(id)!;
          const shown = viewCell(cell);
          sent.cells.set(id, sentCell(cell, shown));
          return shown;
        }
      );
      for (const change of reordered) {
        if (change.op === 'delete') {
          sent.cells.delete(change.id as string);
        }
        changes.push(change);
      }
      sent.order = order;
      for (const cell of cells) {
        cell.changed.connect(this.onCellChanged, this);
      }
      // A moved cell is a new shared cell with the same id: compare it, and the edited ones.
      compare = cells.filter(
        cell => this._dirty.has(cell.id) || sent.cells.get(cell.id)!.shared !== cell
      );
    } else {
      compare = cells.filter(cell => this._dirty.has(cell.id));
    }
    for (const cell of compare) {
      const known = sent.cells.get(cell.id);
      if (!known) {
        continue;
      }
      known.shared = cell;
      const source = cell.getSource();
      if (source !== known.source) {
        changes.push({ op: 'source', id: cell.id, source });
        known.source = source;
      }
      const count = countOf(cell);
      if (count !== known.count) {
        changes.push({ op: 'count', id: cell.id, execution_count: count });
        known.count = count;
      }
      const tags = tagsOf(cell);
      if (JSON.stringify(tags) !== known.tags) {
        changes.push({ op: 'tags', id: cell.id, tags });
        known.tags = JSON.stringify(tags);
      }
      const outputs = outputsOf(cell);
      if (JSON.stringify(outputs) !== known.outputs) {
        changes.push({ op: 'outputs', id: cell.id, outputs });
        known.outputs = JSON.stringify(outputs);
      }
    }
    this._dirty.clear();
    this._structureChanged = false;
    this._metadataChanged = false;
    return changes;
  }

  /**
   * Send on the main shell, whatever JupyterLab's `commsOverSubshells`: a subshell would handle
   * the message beside the cells, not before the cell the user runs next.
   */
  private send(data: PartialJSONObject): void {
    const comm = this._comm;
    const kernel = this._kernel;
    if (!comm || comm.isDisposed || !kernel || kernel.isDisposed) {
      return;
    }
    const message = KernelMessage.createMessage({
      msgType: 'comm_msg',
      channel: 'shell',
      username: kernel.username,
      session: kernel.clientId,
      content: { comm_id: comm.commId, data: data as JSONObject }
    });
    kernel.sendShellMessage(message, false, true);
  }

  private schedule(): void {
    if (!this._comm) {
      return;
    }
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => this.flush(), PATCH_DELAY);
  }

  private onKernelChanged(
    _: unknown,
    change: { newValue: Kernel.IKernelConnection | null }
  ): void {
    this.follow(change.newValue);
  }

  private onStatusChanged(_: unknown, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this.drop(false); // the kernel forgot its comm: it opens a new one if it loads the extension
    }
  }

  private onNotebookChanged(
    _: SharedNotebook,
    change: { cellsChange?: unknown; metadataChange?: unknown }
  ): void {
    if (change.cellsChange) {
      this._structureChanged = true;
    }
    if (change.metadataChange) {
      this._metadataChanged = true;
    }
    this.schedule();
  }

  private onCellChanged(
    cell: SharedCell,
    change: {
      sourceChange?: unknown;
      executionCountChange?: unknown;
      metadataChange?: unknown;
      outputsChange?: unknown;
    }
  ): void {
    const changed = change.sourceChange || change.executionCountChange || change.metadataChange;
    if (changed || change.outputsChange) {
      this._dirty.add(cell.id);
      this.schedule();
    }
  }

  private onExecutionScheduled(_: unknown, args: { notebook: Notebook }): void {
    // Emitted just before the execute request is sent: the kernel handles this first.
    if (args.notebook.model === this.model) {
      this.flush();
    }
  }

  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _sent: ISent | null = null;
  private _dirty = new Set<string>();
  private _structureChanged = false;
  private _metadataChanged = false;
  private _seq = 0;
  private _timer = 0;
  private _isDisposed = false;
}
