/**
 * The run page outside the Lab shell (/kfsm-lab/ui/#/runs/details/<id>): the same widgets as in the
 * Lab, with the Lab's theme and language read from the user's Lab settings.
 */
import '@lumino/widgets/style/widget.css';
import '@jupyterlab/ui-components/style/styling.css';
import '../style/base.css';

import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { TranslationManager } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { bundle, Trans } from './i18n';
import { requestAPI } from './request';
import { ExperimentPage } from './runpage/experiment';
import { RunModel } from './runpage/model';
import { IRunPageHost, RunPage } from './runpage/page';
import { experimentFragment, parseFragment, runFragment } from './runpage/router';

const THEMES: { [name: string]: string } = {
  'JupyterLab Light': '@jupyterlab/theme-light-extension',
  'JupyterLab Dark': '@jupyterlab/theme-dark-extension',
  'JupyterLab Dark High Contrast': '@jupyterlab/theme-dark-high-contrast-extension'
};

async function labSetting(id: string): Promise<{ [key: string]: any }> {
  const base = PageConfig.getBaseUrl();
  try {
    const response = await fetch(URLExt.join(base, 'lab/api/settings', id), {
      credentials: 'same-origin'
    });
    if (!response.ok) {
      return {};
    }
    const data = await response.json();
    return data.settings ?? {};
  } catch {
    return {};
  }
}

function themeName(settings: { [key: string]: any }): string {
  if (settings['adaptive-theme']) {
    const dark = window.matchMedia?.('(prefers-color-scheme: dark)').matches;
    return dark
      ? (settings['preferred-dark-theme'] ?? 'JupyterLab Dark')
      : (settings['preferred-light-theme'] ?? 'JupyterLab Light');
  }
  return settings.theme ?? 'JupyterLab Light';
}

function applyTheme(name: string): Promise<void> {
  const pkg = THEMES[name] ?? THEMES['JupyterLab Light'];
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = URLExt.join(PageConfig.getBaseUrl(), 'lab/api/themes', pkg, 'index.css');
  document.body.dataset.jpThemeName = name;
  document.body.dataset.jpThemeLight = String(!/dark/i.test(name));
  return new Promise(resolve => {
    link.onload = () => resolve();
    link.onerror = () => resolve();
    document.head.appendChild(link);
  });
}

/** A native dialog whose focus starts on Cancel: Enter never confirms by accident. */
function confirmDialog(
  trans: Trans,
  title: string,
  body: string,
  accept: string
): Promise<boolean> {
  return new Promise(resolve => {
    const dialog = document.createElement('dialog');
    dialog.className = 'kfsm-lab-dialog';
    dialog.setAttribute('aria-labelledby', 'kfsm-lab-dialog-title');
    const h = document.createElement('h2');
    h.id = 'kfsm-lab-dialog-title';
    h.textContent = title;
    const p = document.createElement('p');
    p.textContent = body;
    const buttons = document.createElement('div');
    buttons.className = 'kfsm-lab-dialog-buttons';
    const cancel = document.createElement('button');
    cancel.className = 'jp-Button jp-mod-styled kfsm-lab-btn jp-mod-reject';
    cancel.textContent = trans.__('Cancel');
    const ok = document.createElement('button');
    ok.className = 'jp-Button jp-mod-styled kfsm-lab-btn jp-mod-warn';
    ok.textContent = accept;
    buttons.append(cancel, ok);
    dialog.append(h, p, buttons);
    const done = (value: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancel.addEventListener('click', () => done(false));
    ok.addEventListener('click', () => done(true));
    dialog.addEventListener('cancel', ev => {
      ev.preventDefault();
      done(false);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

async function main(): Promise<void> {
  const root = document.getElementById('kfsm-lab-root') as HTMLElement;
  const [themes, language] = await Promise.all([
    labSetting('@jupyterlab/apputils-extension:themes'),
    labSetting('@jupyterlab/translation-extension:plugin')
  ]);
  // The Lab's own translations API, relative to the base URL (as the Lab's translator plugin passes it).
  const manager = new TranslationManager(
    PageConfig.getOption('translationsApiUrl') || '/lab/api/translations'
  );
  await Promise.all([applyTheme(themeName(themes)), manager.fetch(language.locale ?? 'default')]);
  const trans = bundle(manager);
  document.documentElement.lang = manager.languageCode;
  const appUrl = URLExt.join(PageConfig.getBaseUrl(), PageConfig.getOption('appUrl') || '/lab');
  let current: Widget | null = null;
  const host: IRunPageHost = {
    trans,
    confirm: (title, body, accept) => confirmDialog(trans, title, body, accept),
    openNotebook: () => {
      window.location.href = appUrl;
    },
    openRun: id => {
      window.location.hash = runFragment(id);
    },
    openExperiment: id => {
      window.location.hash = experimentFragment(id);
    }
  };
  const show = () => {
    const route = parseFragment(window.location.hash);
    current?.dispose();
    if (route.kind === 'run') {
      current = new RunPage(new RunModel(route.id), host);
      document.title = trans.__('Run %1', route.id);
    } else {
      current = new ExperimentPage(route.kind === 'experiment' ? route.id : null, host);
      document.title = trans.__('Experiments');
    }
    root.replaceChildren();
    Widget.attach(current, root);
  };
  window.addEventListener('hashchange', show);
  window.addEventListener('resize', () => current?.update());
  show();
  void requestAPI('version').catch(() => undefined);
}

void main();
