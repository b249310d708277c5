/* Staff console, section 5 (agents and admins): callback requests citizens left when nobody could
 * chat. Filter by status, assign a request to oneself, mark it done (docs/handoff.md, "Staff side"). */
import { $, announce, api, busy, clearError, el, fail, state, timeElement } from './core.js';
import { listOf } from './live.js';

const STATUS = { open: 'offen', assigned: 'zugewiesen', done: 'erledigt' };
const CONTACT = { phone: 'Telefon', email: 'E-Mail' };
const COLUMNS = 9;

function contactCell(item) {
  const contact = item.contact || '';
  const kind = CONTACT[item.contact_kind] || 'Kontakt';
  let href = null;
  if (contact && item.contact_kind === 'phone') href = `tel:${contact.replace(/[^+\d]/g, '')}`;
  else if (contact && item.contact_kind === 'email') href = `mailto:${contact}`;
  return el('td', { className: 'contact' }, [`${kind}: `, href ? el('a', { href, text: contact }) : contact || '–']);
}

function actionButton(item, action, text, describedBy) {
  const button = el('button', {
    type: 'button', className: action === 'done' ? 'primary small' : 'secondary small', text,
    'aria-describedby': describedBy, dataset: { testid: `callback-${action}`, id: String(item.id) },
  });
  button.addEventListener('click', () => act(item, action, button));
  return button;
}

function callbackRow(item) {
  const refId = `callback-ref-${item.id}`;
  const mine = Boolean(item.assignee && state.me && item.assignee === state.me.name);
  const buttons = [];
  if (item.status !== 'done' && !(item.status === 'assigned' && mine)) buttons.push(actionButton(item, 'assign', 'Mir zuweisen', refId));
  if (item.status !== 'done') buttons.push(actionButton(item, 'done', 'Erledigt', refId));
  return el('tr', { id: `callback-${item.id}`, dataset: { testid: 'callback-row', id: String(item.id), status: item.status } }, [
    el('th', { scope: 'row', id: refId, className: 'reference', tabindex: '-1', text: item.reference || `#${item.id}` }),
    el('td', { text: item.name || '–' }),
    contactCell(item),
    el('td', { className: 'message-text', text: item.topic || '–' }),
    el('td', { className: 'message-text', text: item.preferred_time || '–' }),
    el('td', null, [timeElement(item.created_at)]),
    el('td', { text: item.assignee ? `${item.assignee}${mine ? ' (Sie)' : ''}` : '–' }),
    el('td', { className: `status-cell callback-${item.status}`, text: STATUS[item.status] || item.status }),
    el('td', null, [buttons.length ? el('div', { className: 'row-buttons' }, buttons) : '–']),
  ]);
}

async function act(item, action, button) {
  clearError();
  try {
    const result = await busy(button, api('POST', `/staff/api/callbacks/${encodeURIComponent(item.id)}/${action}`));
    const changed = result && typeof result === 'object' && result.id !== undefined ? result
      : { ...item, status: action === 'done' ? 'done' : 'assigned', assignee: item.assignee || state.me.name };
    const row = callbackRow(changed);
    $(`callback-${item.id}`).replaceWith(row);
    announce(action === 'done' ? `Rückrufbitte ${item.reference} ist erledigt.`
      : `Rückrufbitte ${item.reference} ist Ihnen zugewiesen.`);
    (row.querySelector('button') || row.querySelector('th')).focus();
  } catch (error) {
    fail(error);
    if (error.status === 409 || error.status === 404) {
      await loadCallbacks(true);
      const again = $(`callback-ref-${item.id}`);
      (again || $('callbacks-table').parentElement).focus(); // the row, else the table's region
    }
  }
}

/** GET callbacks?status=…; quiet: no announcement (a reload after a conflict). */
export async function loadCallbacks(quiet) {
  const status = $('callbacks-status').value;
  if (quiet !== true) clearError();
  const table = $('callbacks-table');
  table.setAttribute('aria-busy', 'true');
  try {
    const data = await busy($('callbacks-load'), api('GET', `/staff/api/callbacks?status=${encodeURIComponent(status)}`));
    const items = listOf(data);
    const body = $('callbacks-rows');
    body.replaceChildren(...items.map(callbackRow));
    const label = STATUS[status] || status;
    if (!items.length) {
      body.append(el('tr', null, [el('td', { colspan: String(COLUMNS), className: 'empty',
        text: `Keine Rückrufbitten mit dem Status „${label}“.` })]));
    }
    const text = items.length === 1 ? `1 Rückrufbitte (${label}).` : `${items.length} Rückrufbitten (${label}).`;
    $('callbacks-count').textContent = text;
    if (quiet !== true) announce(text);
  } catch (error) {
    fail(error);
  } finally {
    table.removeAttribute('aria-busy');
  }
}

/** The list changed on the server (a frame of the live-chat socket): reload it, keeping the focus. */
async function onChanged() {
  if (!state.loaded.callbacks) return;
  const active = document.activeElement;
  const inRows = active && $('callbacks-rows').contains(active);
  const key = inRows && active.dataset.testid ? [active.dataset.testid, active.dataset.id] : null;
  await loadCallbacks(true);
  if (!key) return;
  const again = $('callbacks-rows').querySelector(`[data-testid="${key[0]}"][data-id="${key[1]}"]`);
  (again || $('callbacks-table').parentElement).focus();
}

export function setupCallbacks() {
  $('callbacks-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    loadCallbacks();
  });
  document.addEventListener('bb-callbacks-changed', onChanged);
}
