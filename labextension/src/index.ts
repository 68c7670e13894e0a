import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  CommandToolbarButton,
  Dialog,
  ICommandPalette,
  showDialog
} from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import {
  INotebookModel,
  INotebookTracker,
  NotebookPanel
} from '@jupyterlab/notebook';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { checkIcon, LabIcon } from '@jupyterlab/ui-components';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import { fetchRules, IDiagnostic, IRule } from './api';
import { DEFAULT_SETTINGS, ICheckSettings, NotebookChecker } from './checker';
import { KernelView } from './kernelview';
import { FindingsPanel, NO_RULES } from './panel';
import { ReproRun } from './repro';

const PLUGIN_ID = 'nb-discipline:plugin';

namespace CommandIDs {
  export const check = 'nb-discipline:check';
  export const repro = 'nb-discipline:repro';
  export const docs = 'nb-discipline:show-docs';
  export const panel = 'nb-discipline:open-panel';
}

/** The findings count in a notebook's toolbar; a click opens the panel. */
class CountButton extends Widget {
  constructor(private checker: NotebookChecker, onClick: () => void) {
    super({ node: document.createElement('button') });
    this.addClass('jp-ToolbarButtonComponent');
    this.addClass('nbd-toolbar-count');
    this.node.addEventListener('click', onClick);
    checker.changed.connect(this.refresh, this);
    this.refresh();
  }

  private refresh(): void {
    const count = this.checker.diagnostics.length;
    this.node.dataset.count = String(count);
    this.node.dataset.checks = String(this.checker.completed);
    this.toggleClass('nbd-has-findings', count > 0);
    this.node.title = 'nb-discipline findings: open the panel';
    if (this.checker.error) {
      this.node.textContent = 'NBD ?';
    } else if (count) {
      this.node.textContent = `NBD ${count}`;
    } else if (this.checker.selected?.length === 0) {
      this.node.textContent = 'NBD –';
      this.node.title = `nb-discipline: ${NO_RULES}`;
    } else {
      this.node.textContent = this.checker.enabled ? 'NBD ✓' : 'NBD off';
    }
  }
}

/** The findings count of the current notebook in the status bar. */
class CountStatus extends Widget {
  constructor() {
    super();
    this.addClass('nbd-status-count');
  }

  follow(checker: NotebookChecker | null): void {
    this.checker?.changed.disconnect(this.refresh, this);
    this.checker = checker;
    checker?.changed.connect(this.refresh, this);
    this.refresh();
  }

  private refresh(): void {
    const checker = this.checker;
    const count = checker?.diagnostics.length ?? 0;
    const none = count === 0 && checker?.selected?.length === 0;
    const shown = checker?.error ? 'error' : none ? 'no rules selected' : count;
    this.node.textContent = checker ? `nb-discipline: ${shown}` : '';
    this.node.title = checker?.error ?? '';
  }

  private checker: NotebookChecker | null = null;
}

const icon = new LabIcon({
  name: 'nb-discipline:icon',
  svgstr: checkIcon.svgstr
});

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'nb-discipline findings beside the cells, a panel, and the reproducibility check.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISettingRegistry, ICommandPalette, IStatusBar, IRenderMimeRegistry],
  activate: async (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    statusBar: IStatusBar | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    let settings: ICheckSettings = { ...DEFAULT_SETTINGS };
    const checkers = new Map<NotebookPanel, NotebookChecker>();
    const repros = new Map<NotebookPanel, ReproRun>();
    const kernelViews = new Map<DocumentRegistry.IContext<INotebookModel>, KernelView>();

    const checkerFor = (panel: NotebookPanel): NotebookChecker => {
      let checker = checkers.get(panel);
      if (!checker) {
        checker = new NotebookChecker(panel, () => settings);
        checkers.set(panel, checker);
        panel.disposed.connect(() => {
          checkers.get(panel)?.dispose();
          checkers.delete(panel);
          repros.get(panel)?.cancel();
          repros.delete(panel);
        });
      }
      return checker;
    };
    const reproFor = (panel: NotebookPanel): ReproRun => {
      let repro = repros.get(panel);
      if (!repro) {
        repro = new ReproRun(panel);
        repros.set(panel, repro);
      }
      return repro;
    };

    const renderDocs = async (rule: IRule): Promise<HTMLElement> => {
      const markdown = `## ${rule.code} \`${rule.name}\`\n\n${rule.explanation}`;
      if (!rendermime) {
        const pre = document.createElement('pre');
        pre.textContent = markdown;
        return pre;
      }
      const renderer = rendermime.createRenderer('text/markdown');
      await renderer.renderModel(
        new MimeModel({ data: { 'text/markdown': markdown }, trusted: false })
      );
      renderer.addClass('nbd-rule-docs');
      return renderer.node;
    };

    const findingsPanel = new FindingsPanel({
      check: () => void app.commands.execute(CommandIDs.check),
      repro: () => void app.commands.execute(CommandIDs.repro),
      cancelRepro: () => {
        const current = tracker.currentWidget;
        if (current) {
          void reproFor(current).cancel();
        }
      },
      jump: diagnostic => void jumpTo(diagnostic),
      renderDocs
    });
    findingsPanel.title.icon = icon;
    app.shell.add(findingsPanel, 'right', { rank: 700 });

    const countStatus = new CountStatus();
    if (statusBar) {
      statusBar.registerStatusItem('nb-discipline:count', {
        item: countStatus,
        align: 'left',
        rank: 4,
        isActive: () => tracker.currentWidget !== null
      });
    }

    const follow = (panel: NotebookPanel | null) => {
      findingsPanel.follow(panel ? checkerFor(panel) : null, panel ? reproFor(panel) : null);
      countStatus.follow(panel ? checkerFor(panel) : null);
    };
    tracker.currentChanged.connect((_, panel) => follow(panel));
    tracker.widgetAdded.connect((_, panel) => {
      checkerFor(panel);
      // The kernel's view of the notebook: one per document (its panels share the kernel).
      const context = panel.context;
      if (!kernelViews.has(context)) {
        kernelViews.set(context, new KernelView(context));
        context.disposed.connect(() => {
          kernelViews.get(context)?.dispose();
          kernelViews.delete(context);
        });
      }
    });

    const openPanel = () => app.shell.activateById(findingsPanel.id);

    const jumpTo = async (diagnostic: IDiagnostic) => {
      const panel = tracker.currentWidget;
      if (!panel) {
        return;
      }
      app.shell.activateById(panel.id);
      const notebook = panel.content;
      const index = checkerFor(panel).cellIndex(diagnostic);
      notebook.activeCellIndex = index;
      notebook.mode = 'command';
      const cell = notebook.widgets[index];
      await notebook.scrollToItem(index, 'center');
      await cell.ready;
      cell.editor?.setCursorPosition({
        line: Math.max(diagnostic.location.row - 1, 0),
        column: Math.max(diagnostic.location.column - 1, 0)
      });
      cell.node.classList.add('nbd-jumped');
      window.setTimeout(() => cell.node.classList.remove('nbd-jumped'), 1500);
    };

    const isEnabled = () => tracker.currentWidget !== null;
    app.commands.addCommand(CommandIDs.check, {
      label: 'Check notebook',
      caption: 'Check the notebook with nb-discipline now',
      // No icon: the check mark would read, in the Run menu, as a toggle that is on.
      isEnabled,
      execute: async () => {
        const panel = tracker.currentWidget;
        if (panel) {
          openPanel();
          await checkerFor(panel).check();
        }
      }
    });
    app.commands.addCommand(CommandIDs.repro, {
      label: 'Check reproducibility',
      caption: 'Save the notebook, run it in fresh kernels and compare the runs (nbcheck repro)',
      isEnabled,
      execute: async () => {
        const panel = tracker.currentWidget;
        if (panel) {
          openPanel();
          await reproFor(panel).start();
        }
      }
    });
    app.commands.addCommand(CommandIDs.docs, {
      label: args => (args.code ? `Show docs of ${args.code}` : 'Show rule docs'),
      caption: 'The documentation of the nb-discipline rules',
      execute: async args => {
        const rules = await fetchRules();
        const wanted = args.code ? [rules.get(String(args.code))] : [...rules.values()];
        const body = new Widget();
        body.addClass('nbd-docs-dialog');
        for (const rule of wanted) {
          if (rule) {
            body.node.append(await renderDocs(rule));
          }
        }
        await showDialog({
          title: args.code ? `nb-discipline: ${args.code}` : 'nb-discipline rules',
          body,
          buttons: [Dialog.okButton({ label: 'Close' })]
        });
      }
    });
    app.commands.addCommand(CommandIDs.panel, {
      label: 'Show nb-discipline findings',
      execute: openPanel
    });
    for (const command of [CommandIDs.check, CommandIDs.repro, CommandIDs.docs, CommandIDs.panel]) {
      palette?.addItem({ command, category: 'nb-discipline' });
    }

    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (
        panel: NotebookPanel,
        _context: DocumentRegistry.IContext<INotebookModel>
      ): IDisposable => {
        const count = new CountButton(checkerFor(panel), openPanel);
        const repro = new CommandToolbarButton({
          commands: app.commands,
          id: CommandIDs.repro,
          label: 'Reproducible?'
        });
        repro.addClass('nbd-toolbar-repro');
        panel.toolbar.insertItem(10, 'nb-discipline-count', count);
        panel.toolbar.insertItem(11, 'nb-discipline-repro', repro);
        return new DisposableDelegate(() => {
          count.dispose();
          repro.dispose();
        });
      }
    });

    if (settingRegistry) {
      const apply = (loaded: ISettingRegistry.ISettings) => {
        settings = { ...DEFAULT_SETTINGS, ...(loaded.composite as Partial<ICheckSettings>) };
        checkers.forEach(checker => checker.settingsChanged());
      };
      try {
        const loaded = await settingRegistry.load(PLUGIN_ID);
        apply(loaded);
        loaded.changed.connect(apply);
      } catch (error) {
        console.warn('nb-discipline: settings not loaded, using the defaults', error);
      }
    }
    follow(tracker.currentWidget);
  }
};

export default plugin;
