import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  Notification,
  showDialog,
  WidgetTracker
} from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator } from '@jupyterlab/translation';

import { CostGuardStatus, EndpointsModel, EndpointsPanel } from './costguard';
import { bundle, Trans } from './i18n';
import { pipelineColorIcon, pipelineColorUrl, pipelineIcon } from './icons';
import { interceptRunLinks } from './links';
import { ensureNotebook } from './notebook';
import { describeError, KfsmApiError, requestAPI } from './request';
import { RunsPanel } from './runs';
import { ExperimentPage } from './runpage/experiment';
import { RunModel } from './runpage/model';
import { IRunPageHost, RunPage } from './runpage/page';
import { VERSION } from './version';

export namespace CommandIDs {
  export const openNotebook = 'kfsm-lab:open-notebook';
  export const endpoints = 'kfsm-lab:endpoints';
  export const runs = 'kfsm-lab:runs';
  export const openRun = 'kfsm-lab:open-run';
  export const openExperiment = 'kfsm-lab:open-experiment';
}

/** Warn once when the server side is missing or is another version than this frontend. */
async function checkServer(trans: Trans): Promise<void> {
  try {
    const info = await requestAPI<{ version: string }>('version');
    if (info.version !== VERSION) {
      Notification.warning(
        trans.__(
          'kfsm_lab: the frontend is version %1 but the server extension is %2. Reinstall kfsm_lab in the environment that runs Jupyter and restart it.',
          VERSION,
          info.version
        ),
        { autoClose: false }
      );
    }
  } catch (err) {
    const missing = !(err instanceof KfsmApiError) || err.status === 404;
    Notification.warning(
      missing
        ? trans.__(
            'kfsm_lab: the server extension appears to be missing. Run `jupyter server extension enable kfsm_lab` and restart Jupyter.'
          )
        : trans.__('kfsm_lab: the server extension did not answer: %1', describeError(err)),
      { autoClose: false }
    );
  }
}

/** Ask before something that cannot be undone; the dialog opens with focus on Cancel. */
async function confirm(
  trans: Trans,
  title: string,
  body: string,
  accept: string
): Promise<boolean> {
  const result = await showDialog({
    title,
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: accept })
    ],
    defaultButton: 0
  });
  return result.button.accept;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'kfsm-lab:plugin',
  description:
    'SageMaker Pipeline Lab: launcher card, endpoint cost guard, runs panel and run page.',
  autoStart: true,
  optional: [
    ILauncher,
    ICommandPalette,
    IStatusBar,
    IDefaultFileBrowser,
    ITranslator,
    ILayoutRestorer,
    ILabShell
  ],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    statusBar: IStatusBar | null,
    browser: IDefaultFileBrowser | null,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    labShell: ILabShell | null
  ) => {
    const { commands, shell } = app;
    const trans = bundle(translator);
    const category = trans.__('SageMaker');

    commands.addCommand(CommandIDs.openNotebook, {
      label: trans.__('SageMaker Pipeline Lab'),
      caption: trans.__('Copy the SageMaker pipeline notebook into this folder (once) and open it'),
      icon: args =>
        args.isPalette ? undefined : args.isLauncher ? pipelineColorIcon : pipelineIcon,
      execute: async () => {
        const folder = browser?.model.path ?? '';
        const lang = translator?.languageCode ?? 'en';
        try {
          const result = await ensureNotebook(folder, lang);
          return await commands.execute('docmanager:open', {
            path: result.path,
            factory: 'Notebook'
          });
        } catch (err) {
          Notification.error(
            trans.__('Could not open the SageMaker pipeline notebook: %1', describeError(err)),
            {
              autoClose: false
            }
          );
        }
      }
    });

    const model = new EndpointsModel();

    // -- run pages and experiment pages --------------------------------------------------------------
    const pages = new WidgetTracker<MainAreaWidget<RunPage | ExperimentPage>>({
      namespace: 'kfsm-lab-pages'
    });
    const host: IRunPageHost = {
      trans,
      confirm: (title, body, accept) => confirm(trans, title, body, accept),
      openNotebook: () => void commands.execute(CommandIDs.openNotebook),
      openRun: runId => void commands.execute(CommandIDs.openRun, { runId }),
      openExperiment: experimentId =>
        void commands.execute(CommandIDs.openExperiment, { experimentId })
    };
    const showPage = async (id: string, make: () => RunPage | ExperimentPage) => {
      let widget = pages.find(w => w.id === id);
      if (!widget || widget.isDisposed) {
        const content = make();
        if (content instanceof RunPage) {
          // The cost guard hears at once when a run's endpoint step starts or ends, not a poll later.
          let seen = '';
          content.model.changed.connect(m => {
            const now = (m.view?.tasks ?? [])
              .filter(t => t.kind === 'endpoint')
              .map(t => t.state)
              .join();
            if (now !== seen) {
              seen = now;
              void model.refresh(true);
            }
          });
        }
        widget = new MainAreaWidget({ content });
        widget.id = id;
        widget.title.label = content.title.label;
        widget.title.caption = content.title.caption;
        widget.title.icon = pipelineIcon;
        content.title.changed.connect(() => {
          widget!.title.label = content.title.label;
        });
        await pages.add(widget);
        shell.add(widget, 'main');
      }
      shell.activateById(widget.id);
      return widget;
    };
    commands.addCommand(CommandIDs.openRun, {
      label: args =>
        args.runId ? trans.__('Open run %1', String(args.runId)) : trans.__('Open run…'),
      caption: trans.__('Show a pipeline run: its graph, each step’s logs, details and outputs'),
      execute: async args => {
        let runId = typeof args.runId === 'string' ? args.runId : '';
        if (!runId) {
          const answer = await InputDialog.getText({
            title: trans.__('Open run'),
            label: trans.__('Run id (the kit’s or the Kubeflow Pipelines one)'),
            placeholder: trans.__('e.g. %1', '260412-101500-ab12'),
            okLabel: trans.__('Open'),
            cancelLabel: trans.__('Cancel')
          });
          runId = (answer.value ?? '').trim();
          if (!answer.button.accept || !runId) {
            return;
          }
        }
        return showPage(`kfsm-lab-run-${runId}`, () => new RunPage(new RunModel(runId), host));
      }
    });
    commands.addCommand(CommandIDs.openExperiment, {
      label: args =>
        args.experimentId
          ? trans.__('Open experiment %1', String(args.experimentId))
          : trans.__('Pipeline Experiments'),
      caption: trans.__('Every run of an experiment, the parameters that differ, compare two'),
      execute: args => {
        const id =
          typeof args.experimentId === 'string' && args.experimentId ? args.experimentId : null;
        return showPage(`kfsm-lab-experiment-${id ?? 'all'}`, () => new ExperimentPage(id, host));
      }
    });
    if (restorer) {
      void restorer.restore(pages, {
        command: CommandIDs.openRun,
        args: w => (w.content instanceof RunPage ? { runId: w.content.model.runId } : {}),
        name: w => w.id
      });
    }
    interceptRunLinks(PageConfig.getBaseUrl(), route => {
      if (route.kind === 'run') {
        void commands.execute(CommandIDs.openRun, { runId: route.id });
      } else if (route.kind === 'experiment') {
        void commands.execute(CommandIDs.openExperiment, { experimentId: route.id });
      }
    });

    // -- cost guard ------------------------------------------------------------------------------------
    const tracker = new WidgetTracker<MainAreaWidget<EndpointsPanel>>({
      namespace: 'kfsm-lab-endpoints'
    });
    commands.addCommand(CommandIDs.endpoints, {
      label: trans.__('SageMaker Endpoints (cost guard)'),
      caption: trans.__(
        'List the endpoints kfsm_lab created, with a cost estimate, and delete them'
      ),
      execute: async () => {
        let widget = tracker.currentWidget;
        if (!widget || widget.isDisposed) {
          widget = new MainAreaWidget({ content: new EndpointsPanel(model, trans, host.confirm) });
          widget.id = 'kfsm-lab-endpoints-main';
          widget.title.label = trans.__('SageMaker endpoints');
          widget.title.icon = pipelineIcon;
          await tracker.add(widget);
        }
        if (!widget.isAttached) {
          shell.add(widget, 'main');
        }
        shell.activateById(widget.id);
        return widget;
      }
    });
    if (restorer) {
      void restorer.restore(tracker, { command: CommandIDs.endpoints, name: () => 'endpoints' });
    }

    // -- runs panel ------------------------------------------------------------------------------------
    const runsPanel = new RunsPanel(trans, {
      openPredictions: () => void commands.execute(CommandIDs.openNotebook),
      openRun: runId => void commands.execute(CommandIDs.openRun, { runId }),
      openExperiments: () => void commands.execute(CommandIDs.openExperiment)
    });
    runsPanel.title.icon = pipelineIcon;
    shell.add(runsPanel, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(runsPanel, 'kfsm-lab-runs');
    }
    commands.addCommand(CommandIDs.runs, {
      label: trans.__('SageMaker Pipeline Runs'),
      caption: trans.__('Show recent pipeline runs and their steps'),
      execute: () => {
        labShell?.expandLeft();
        shell.activateById(runsPanel.id);
      }
    });

    if (launcher) {
      // In the Notebook row, next to the kernels: visible without scrolling on a 1024×768 screen.
      launcher.add({
        command: CommandIDs.openNotebook,
        category: 'Notebook',
        rank: 1,
        kernelIconUrl: pipelineColorUrl,
        args: { isLauncher: true }
      });
    }
    if (palette) {
      for (const command of [
        CommandIDs.openNotebook,
        CommandIDs.endpoints,
        CommandIDs.runs,
        CommandIDs.openRun,
        CommandIDs.openExperiment
      ]) {
        palette.addItem({ command, category, args: { isPalette: true } });
      }
    }
    if (statusBar) {
      statusBar.registerStatusItem('kfsm-lab:cost-guard', {
        item: new CostGuardStatus(model, trans, () => void commands.execute(CommandIDs.endpoints)),
        align: 'left',
        rank: 50
      });
    }
    void checkServer(trans);
    void model.refresh(false);
  }
};

export default plugin;
