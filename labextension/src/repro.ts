import { NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { IReproJob, requestAPI } from './api';

const POLL_MS = 1000;

/** The reproducibility check of one notebook: a background job on the server, polled. */
export class ReproRun {
  constructor(readonly panel: NotebookPanel) {}

  get job(): IReproJob | null {
    return this._job;
  }

  /** Why the job could not start or be followed; null otherwise. */
  get error(): string | null {
    return this._error;
  }

  get running(): boolean {
    return this._starting || this._job?.state === 'running';
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Save the notebook (the check runs the file on disk), start the job, follow it to the end. */
  async start(): Promise<void> {
    if (this.running) {
      return;
    }
    this._starting = true;
    this._job = null;
    this._error = null;
    this._changed.emit();
    try {
      const context = this.panel.context;
      if (context.model.dirty) {
        await context.save();
      }
      this._job = await requestAPI<IReproJob>('repro', {
        method: 'POST',
        body: JSON.stringify({ path: context.path })
      });
    } catch (error) {
      this._error = error instanceof Error ? error.message : String(error);
    } finally {
      this._starting = false;
      this._changed.emit();
    }
    while (this._job?.state === 'running') {
      await new Promise(resolve => setTimeout(resolve, POLL_MS));
      await this.refresh('GET');
    }
  }

  async cancel(): Promise<void> {
    if (this._job?.state === 'running') {
      await this.refresh('DELETE');
    }
  }

  private async refresh(method: 'GET' | 'DELETE'): Promise<void> {
    const job = this._job;
    if (!job) {
      return;
    }
    try {
      const updated = await requestAPI<IReproJob>(`repro/${job.id}`, { method });
      if (this._job?.id === updated.id) {
        this._job = updated;
      }
    } catch (error) {
      this._error = error instanceof Error ? error.message : String(error);
      this._job = { ...job, state: 'failed', error: this._error };
    }
    this._changed.emit();
  }

  private _job: IReproJob | null = null;
  private _error: string | null = null;
  private _starting = false;
  private _changed = new Signal<this, void>(this);
}
