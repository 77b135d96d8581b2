import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator } from '@jupyterlab/translation';

import { CostGuardStatus, EndpointsModel, EndpointsPanel } from './costguard';
import { pipelineIcon } from './icons';
import { ensureNotebook } from './notebook';
import { describeError, KfsmApiError, requestAPI } from './request';
import { RunsPanel } from './runs';
import { VERSION } from './version';

export namespace CommandIDs {
  export const openNotebook = 'kfsm-lab:open-notebook';
  export const endpoints = 'kfsm-lab:endpoints';
  export const runs = 'kfsm-lab:runs';
}

const CATEGORY = 'SageMaker';

/** Warn once when the server side is missing or is another version than this frontend. */
async function checkServer(): Promise<void> {
  try {
    const info = await requestAPI<{ version: string }>('version');
    if (info.version !== VERSION) {
      Notification.warning(
        `kfsm_lab: the frontend is version ${VERSION} but the server extension is ${info.version}. ` +
          'Reinstall kfsm_lab in the environment that runs Jupyter and restart it.',
        { autoClose: false }
      );
    }
  } catch (err) {
    const missing = !(err instanceof KfsmApiError) || err.status === 404;
    Notification.warning(
      missing
        ? 'kfsm_lab: the server extension appears to be missing. Run ' +
            '`jupyter server extension enable kfsm_lab` and restart Jupyter.'
        : `kfsm_lab: the server extension did not answer: ${describeError(err)}`,
      { autoClose: false }
    );
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'kfsm-lab:plugin',
  description: 'SageMaker Pipeline Lab: launcher card, endpoint cost guard and runs panel.',
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

    commands.addCommand(CommandIDs.openNotebook, {
      label: 'SageMaker Pipeline Lab',
      caption: 'Copy the SageMaker pipeline notebook into this folder (once) and open it',
      icon: args => (args.isPalette ? undefined : pipelineIcon),
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
          Notification.error(`Could not open the SageMaker pipeline notebook: ${describeError(err)}`, {
            autoClose: false
          });
        }
      }
    });

    const model = new EndpointsModel();
    const tracker = new WidgetTracker<MainAreaWidget<EndpointsPanel>>({
      namespace: 'kfsm-lab-endpoints'
    });
    commands.addCommand(CommandIDs.endpoints, {
      label: 'SageMaker Endpoints (cost guard)',
      caption: 'List the endpoints kfsm_lab created, with a cost estimate, and delete them',
      execute: async () => {
        let widget = tracker.currentWidget;
        if (!widget || widget.isDisposed) {
          widget = new MainAreaWidget({ content: new EndpointsPanel(model) });
          widget.id = 'kfsm-lab-endpoints-main';
          widget.title.label = 'SageMaker endpoints';
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

    const runsPanel = new RunsPanel(() => void commands.execute(CommandIDs.openNotebook));
    runsPanel.title.icon = pipelineIcon;
    shell.add(runsPanel, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(runsPanel, 'kfsm-lab-runs');
    }
    commands.addCommand(CommandIDs.runs, {
      label: 'SageMaker Pipeline Runs',
      caption: 'Show recent pipeline runs and their steps',
      execute: () => {
        if (labShell) {
          labShell.expandLeft();
        }
        shell.activateById(runsPanel.id);
      }
    });

    if (launcher) {
      launcher.add({ command: CommandIDs.openNotebook, category: CATEGORY, rank: 0 });
    }
    if (palette) {
      for (const command of [CommandIDs.openNotebook, CommandIDs.endpoints, CommandIDs.runs]) {
        palette.addItem({ command, category: CATEGORY, args: { isPalette: true } });
      }
    }
    if (statusBar) {
      statusBar.registerStatusItem('kfsm-lab:cost-guard', {
        item: new CostGuardStatus(model, () => void commands.execute(CommandIDs.endpoints)),
        align: 'left',
        rank: 50
      });
    }
    void checkServer();
    void model.refresh(false);
  }
};

export default plugin;
