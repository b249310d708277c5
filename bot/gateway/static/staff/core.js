/* Staff console: state, API access, messages and formatting shared by the sections.
 * Everything that comes from the server (above all what citizens wrote) is rendered as text,
 * never as HTML (see /static/shared/ui.js). Every POST carries the session's CSRF token; any
 * 401 sends the browser back to the login page. */
import { UNREACHABLE, announce as announceIn, byId, clearMessage, detailText, el, fetchJson, showError as showErrorIn }
  from '/static/shared/ui.js';

export { byId as $, clear, el } from '/static/shared/ui.js';

export const FALLBACK = 'nlu_fallback';

export const state = {
  me: null,
  csrf: '',
  intents: [],
  entities: [],
  lowConfidence: 0.6,
  inboxQuery: null,
  items: {},
  next: null,
  loaded: {},
  job: null,
  pollTimer: null,
  lastStage: null,
  models: [],
  live: null,
  selectedModel: null,
  overrideModel: null,
};

export const isAdmin = () => Boolean(state.me && state.me.role === 'admin');

// --- messages (live regions in console.html) ----------------------------------------------------
export const announce = (text) => announceIn(byId('status'), text);
export const showError = (text) => showErrorIn(byId('alert'), text);
export const clearError = () => clearMessage(byId('alert'));

// --- API -----------------------------------------------------------------------------------------
export class ApiError extends Error {
  constructor(status, text, code = null) {
    super(text);
    this.status = status;
    this.code = code;
  }
}

const MESSAGES = {
  422: 'Die Eingaben sind ungültig. Bitte prüfen Sie sie.',
  403: 'Dafür fehlt Ihnen die Berechtigung.',
  default: (status) => `Es ist ein Fehler aufgetreten (HTTP ${status}). Bitte versuchen Sie es erneut.`,
};

/** A JSON API call; resolves to the response's data or rejects with an ApiError. */
export async function api(method, path, body) {
  const options = { method, credentials: 'same-origin' };
  if (method !== 'GET') {
    options.headers = { 'X-CSRF-Token': state.csrf };
    options.body = body || {};
  }
  const { ok, status, data } = await fetchJson(path, options);
  if (status === 0) throw new ApiError(0, UNREACHABLE);
  if (status === 401) {
    window.location.assign('/staff/login');
    throw new ApiError(401, 'Bitte melden Sie sich an.');
  }
  if (!ok) throw new ApiError(status, detailText(data, status, MESSAGES), data && data.code);
  return data;
}

/** Shows an API error in the alert region (a 401 is already on its way to the login page). */
export function fail(error) {
  if (error && error.status === 401) return;
  showError(error && error.message ? error.message : 'Es ist ein Fehler aufgetreten.');
}

/** Disables button (aria-busy) while promise runs; passes its result or error on. */
export async function busy(button, promise) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await promise;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// --- formatting ----------------------------------------------------------------------------------
const percentFormat = new Intl.NumberFormat('de-DE', { style: 'percent', maximumFractionDigits: 1 });
const decimalFormat = new Intl.NumberFormat('de-DE', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const percent = (value) => (typeof value === 'number' && Number.isFinite(value) ? percentFormat.format(value) : '–');
export const decimal = (value) => (typeof value === 'number' && Number.isFinite(value) ? decimalFormat.format(value) : '–');

export function dateTime(seconds) {
  if (!seconds) return '–';
  return new Date(seconds * 1000).toLocaleString('de-DE', { dateStyle: 'short', timeStyle: 'short' });
}

export function timeElement(seconds) {
  if (!seconds) return document.createTextNode('–');
  return el('time', { datetime: new Date(seconds * 1000).toISOString(), text: dateTime(seconds) });
}

export const dig = (object, path) =>
  path.reduce((value, key) => (value && typeof value === 'object' ? value[key] : undefined), object);

// --- shared controls -----------------------------------------------------------------------------
export function intentSelect(id, selected, placeholder) {
  return el('select', { id }, [
    placeholder ? el('option', { value: '', text: placeholder }) : null,
    state.intents.map((intent) => el('option', { value: intent, text: intent, selected: intent === selected })),
  ]);
}

/** A table with a caption inside a keyboard-scrollable region labelled by that caption. */
export function scrollTable(label, table) {
  const id = `region-${Math.random().toString(36).slice(2)}`;
  table.prepend(el('caption', { id, text: label }));
  return el('div', { className: 'table-scroll', role: 'region', 'aria-labelledby': id, tabindex: '0' }, [table]);
}

export const headRow = (names) => el('thead', null, [el('tr', null, names.map((name) => el('th', { scope: 'col', text: name })))]);
