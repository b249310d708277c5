/* Staff console of the Bürgerbot (entry module): sign-in state, navigation between the sections
 * NLU inbox, training & models, dashboard, live chat, callback requests, appointments and audit log.
 * The sections live in inbox.js, models.js, dashboard.js, live.js, callbacks.js, appointments.js and
 * audit.js; shared state and API access in core.js; DOM, live-region and fetch helpers in
 * /static/shared/ui.js. Which sections a user sees depends on the role (reviewer: inbox and
 * training; agent: live chat, callbacks and appointments; admin: everything); elements with
 * data-roles="…" are shown to those roles only. */
import { $, FALLBACK, api, busy, el, fail, isAdmin, clearError, state } from './core.js';
import { loadInbox, setupInbox } from './inbox.js';
import { loadConflicts, loadModels, resumeRunningJob, setupTraining } from './models.js';
import { loadDashboard, setupDashboard } from './dashboard.js';
import { loadAudit, setupAudit } from './audit.js';
import { loadLive, setupLive, showLive } from './live.js';
import { loadCallbacks, setupCallbacks } from './callbacks.js';
import { loadAppointments, setupAppointments } from './appointments.js';

const REVIEW = ['reviewer', 'admin'];
const ANSWER = ['agent', 'admin'];

const SECTIONS = {
  inbox: { hash: 'posteingang', title: 'Posteingang', roles: REVIEW, load: () => loadInbox(false) },
  training: { hash: 'training', title: 'Training & Modelle', roles: REVIEW, load: () => { loadConflicts(); loadModels(); } },
  dashboard: { hash: 'uebersicht', title: 'Übersicht', load: loadDashboard },
  live: { hash: 'live-chat', title: 'Live-Chat', roles: ANSWER, load: loadLive, show: showLive },
  callbacks: { hash: 'rueckrufe', title: 'Rückrufe', roles: ANSWER, load: () => loadCallbacks() },
  appointments: { hash: 'termine', title: 'Termine', roles: ANSWER, load: loadAppointments },
  audit: { hash: 'protokoll', title: 'Protokoll', admin: true, load: loadAudit },
};
const DEFAULT_ORDER = ['inbox', 'live', 'dashboard']; // the first one the user may see
const ROLES = { admin: 'Administration', reviewer: 'Prüfung', agent: 'Live-Chat' };

const hasRole = (roles) => Boolean(state.me && roles.includes(state.me.role));

function allowed(key) {
  const section = SECTIONS[key];
  if (section.admin) return isAdmin();
  return !section.roles || hasRole(section.roles);
}

function sectionFromHash() {
  const hash = window.location.hash.replace(/^#/, '');
  const found = Object.keys(SECTIONS).find((key) => SECTIONS[key].hash === hash && allowed(key));
  return found || DEFAULT_ORDER.find(allowed);
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
  if (SECTIONS[key].show) SECTIONS[key].show();
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
    document.querySelectorAll('[data-roles]').forEach((node) => {
      node.hidden = !hasRole(node.dataset.roles.split(' '));
    });
    if (hasRole(REVIEW)) {
      const labels = await api('GET', '/staff/api/labels');
      state.intents = labels.intents || [];
      state.entities = labels.entities || [];
      $('f-intent').append(
        ...state.intents.map((intent) => el('option', { value: intent, text: intent })),
        el('option', { value: FALLBACK, text: `${FALLBACK} (nicht verstanden)` }),
      );
    }
    showSection(sectionFromHash(), false);
    if (hasRole(REVIEW)) resumeRunningJob();
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
  setupLive();
  setupCallbacks();
  setupAppointments();
}

start();
