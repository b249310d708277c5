/* Shared front-end kit of the Bürgerbot (web chat widget, staff console, login page).
 * ES2020 module without dependencies, served at /static/shared/ui.js (also cross-origin: the widget
 * runs on the city's own pages).
 *
 * Safety rule: everything that people typed (citizens, staff) and everything the server sends is
 * rendered with text nodes. Nothing in here parses HTML or sets innerHTML. */

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden']);
const pending = new WeakMap(); // live region → timer of its next announcement

/** document.getElementById. */
export const byId = (id) => document.getElementById(id);

/**
 * Builds an element. attrs: `text` (text content), `className`, `dataset` (object), `on` (event
 * type → listener), the properties value/checked/disabled/selected/hidden, any other attribute
 * (true → empty attribute; false/null/undefined → left out). Inline event-handler attributes
 * (onclick …) are refused. children: nodes, strings or numbers (as text nodes); null/false are skipped.
 */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'className') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name === 'on') {
      for (const [type, listener] of Object.entries(value)) node.addEventListener(type, listener);
    } else if (PROPERTIES.has(name)) node[name] = value;
    else if (/^on/i.test(name)) throw new TypeError(`el(): use {on: {…}} instead of the attribute ${name}`);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

/** Appends nodes and strings (always as text nodes); arrays are flattened, null/false skipped. */
export function append(parent, children) {
  const list = [children].flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false);
  parent.append(...list.map((child) => (child instanceof Node ? child : document.createTextNode(String(child)))));
  return parent;
}

/** Removes all children of node. */
export const clear = (node) => node.replaceChildren();

/**
 * Puts text into a live region (role=status/alert or aria-live) so that screen readers announce
 * it, even when it is the same text as before: the region is emptied first and filled a moment
 * later. A newer announcement replaces one that is still waiting.
 */
export function announce(region, text, delay = 50) {
  if (!region) return;
  clearTimeout(pending.get(region));
  region.textContent = '';
  if (!text) return;
  pending.set(region, setTimeout(() => {
    pending.delete(region);
    region.textContent = text;
  }, delay));
}

/** Shows an error message in an alert region (role="alert"); announced every time. */
export const showError = (region, text) => announce(region, text);

/** Empties a live region, cancelling an announcement that is still waiting. */
export const clearMessage = (region) => announce(region, '');

/** Marks a form control as invalid (aria-invalid) or valid again. */
export function markInvalid(input, invalid) {
  if (invalid) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/**
 * fetch() for JSON APIs. `body` (if given) is sent as JSON; all other options go to fetch().
 * Never throws: resolves to {ok, status, data} where status is 0 for a network error and data is
 * the parsed JSON body or null.
 */
export async function fetchJson(url, { body, headers = {}, ...options } = {}) {
  const init = { ...options, headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    return { ok: false, status: 0, data: null };
  }
  const data = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, data };
}

/**
 * The server's error text (`detail` of a JSON error body), else messages[status], else
 * messages.default (a string or a function of the status), else a generic German message.
 */
export function detailText(data, status, messages = {}) {
  if (data && typeof data.detail === 'string' && data.detail) return data.detail;
  const text = messages[status] ?? messages.default ?? 'Es ist ein Fehler aufgetreten. Bitte versuchen Sie es erneut.';
  return typeof text === 'function' ? text(status) : text;
}

/** German message for a request that did not reach the server. */
export const UNREACHABLE = 'Der Server ist nicht erreichbar. Bitte versuchen Sie es später erneut.';
