/* Staff console of the Bürgerbot (entry module): sign-in state, navigation between the sections
 * NLU inbox, training & models, dashboard and audit log. The sections live in inbox.js,
 * models.js, dashboard.js and audit.js; shared state and API access in core.js; DOM, live-region
 * and fetch helpers in /static/shared/ui.js. */
import { $, FALLBACK, api, busy, el, fail, isAdmin, clearError, state } from './core.js';
import { loadInbox, setupInbox } from './inbox.js';
import { loadConflicts, loadModels, resumeRunningJob, setupTraining } from './models.js';
import { loadDashboard, setupDashboard } from './dashboard.js';
import { loadAudit, setupAudit } from './audit.js';

const SECTIONS = {
  inbox: { hash: 'posteingang', title: 'Posteingang', load: () => loadInbox(false) },
  training: { hash: 'training', title: 'Training & Modelle', load: () => { loadConflicts(); loadModels(); } },
  dashboard: { hash: 'uebersicht', title: 'Übersicht', load: loadDashboard },
  audit: { hash: 'protokoll', title: 'Protokoll', admin: true, load: loadAudit },
};
const ROLES = { admin: 'Administration', reviewer: 'Prüfung' };

function sectionFromHash() {
  const hash = window.location.hash.replace(/^#/, '');
  const found = Object.keys(SECTIONS).find((key) => SECTIONS[key].hash === hash && (!SECTIONS[key].admin || isAdmin()));
  return found || 'inbox';
}

function showSection(key, moveFocus) {
  for (const name of Object.keys(SECTIONS)) $(`section-${name}`).hidden = name !== key;
  document.querySelectorAll('.site-nav a[data-section]').forEach((link) => {
    if (link.dataset.section === key) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  });
  $('page-title').textContent = SECTIONS[key].title;
  document.title = `${SECTIONS[key].title} – Bürgerbot-Konsole`;
  clearError();
  $('status').textContent = '';
  if (moveFocus) $('page-title').focus();
  if (!state.loaded[key]) {
    state.loaded[key] = true;
    SECTIONS[key].load();
  }
}

async function signIn() {
  try {
    const me = await api('GET', '/staff/api/me');
    state.me = me;
    state.csrf = me.csrf;
    $('user-info').textContent = `Angemeldet: ${me.name} (${ROLES[me.role] || me.role})`;
    document.querySelectorAll('[data-admin-only]').forEach((node) => {
      if (node.id === 'override') return; // shown only when a promotion needs a reason
      node.hidden = !isAdmin();
    });
    const labels = await api('GET', '/staff/api/labels');
    state.intents = labels.intents || [];
    state.entities = labels.entities || [];
    $('f-intent').append(
      ...state.intents.map((intent) => el('option', { value: intent, text: intent })),
      el('option', { value: FALLBACK, text: `${FALLBACK} (nicht verstanden)` }),
    );
    showSection(sectionFromHash(), false);
    resumeRunningJob();
  } catch (error) {
    fail(error);
  }
}

function start() {
  signIn();
  $('logout').addEventListener('click', async () => {
    try {
      await busy($('logout'), api('POST', '/staff/api/logout'));
      window.location.assign('/staff/login');
    } catch (error) {
      fail(error);
    }
  });
  window.addEventListener('hashchange', () => {
    if (state.me) showSection(sectionFromHash(), true);
  });
  setupDashboard();
  setupAudit();
  setupInbox();
  setupTraining();
}

start();
