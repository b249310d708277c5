/* Staff console, section 1: the NLU inbox (filter, confirm, correct, discard, bulk confirm). */
import { $, FALLBACK, announce, api, busy, clear, clearError, el, fail, intentSelect, percent, showError, state,
  timeElement } from './core.js';

const CHANNELS = { web: 'Web', telegram: 'Telegram', api: 'API', other: 'andere' };
const FILTERS = [['f-intent', 'intent'], ['f-channel', 'channel'], ['f-from', 'date_from'], ['f-to', 'date_to'],
  ['f-reviewed', 'reviewed']];

function filterQuery() {
  const params = new URLSearchParams();
  if ($('f-low').checked) params.set('low_confidence', 'true');
  if ($('f-fallback').checked) params.set('fallback', 'true');
  if ($('f-rated-down').checked) params.set('rated_down', 'true');
  for (const [id, name] of FILTERS) {
    const { value } = $(id);
    if (value) params.set(name, value);
  }
  const q = $('f-q').value.trim();
  if (q) params.set('q', q);
  return params;
}

function ratingText(rating) {
  if (rating === 1) return 'hilfreich';
  if (rating === -1) return 'nicht hilfreich';
  return '–';
}

function statusText(review) {
  const status = review && review.status;
  if (status === 'confirmed') return 'bestätigt';
  if (status === 'corrected') return `korrigiert: ${review.intent}`;
  if (status === 'discarded') return 'verworfen';
  return 'offen';
}

/** Predicted entities carry the words as written (text) and a canonical value. */
const entitiesText = (entities) => (entities || []).map((e) => `${e.entity}=${e.text || e.value}`).join('; ');

/** "entity=value; entity=value" → [{entity, value}], or null if a part is malformed. */
function parseEntities(text) {
  const result = [];
  for (const raw of text.split(/[;\n]/)) {
    const part = raw.trim();
    if (!part) continue;
    const at = part.indexOf('=');
    if (at <= 0 || !part.slice(at + 1).trim()) return null;
    result.push({ entity: part.slice(0, at).trim(), value: part.slice(at + 1).trim() });
  }
  return result;
}

function setRowStatus(item) {
  const cell = $(`status-${item.id}`);
  if (!cell) return;
  cell.textContent = statusText(item.review);
  cell.className = `status-cell status-${(item.review && item.review.status) || 'open'}`;
}

async function reviewMessage(item, decision, button) {
  const body = { decision };
  const entityInput = $(`entities-${item.id}`);
  if (decision === 'correct') {
    const intentInput = $(`intent-${item.id}`);
    if (!intentInput.value) {
      showError('Bitte wählen Sie die richtige Absicht aus.');
      intentInput.focus();
      return;
    }
    const entities = parseEntities(entityInput.value);
    if (entities === null) {
      entityInput.setAttribute('aria-invalid', 'true');
      showError('Bitte geben Sie Entitäten so an: entität=Wert; entität=Wert');
      entityInput.focus();
      return;
    }
    entityInput.removeAttribute('aria-invalid');
    body.intent = intentInput.value;
    body.entities = entities;
  }
  clearError();
  try {
    const result = await busy(button, api('POST', `/staff/api/messages/${item.id}/review`, body));
    item.review = { status: result.status, intent: result.intent, entities: result.entities, reviewer: state.me.name };
    setRowStatus(item);
    if (result.status === 'confirmed') announce(`Nachricht bestätigt: ${result.intent}.`);
    else if (result.status === 'corrected') announce(`Nachricht korrigiert: ${result.intent}.`);
    else announce('Nachricht verworfen.');
  } catch (error) {
    fail(error);
  }
}

function messageRow(item) {
  const textId = `text-${item.id}`;
  const low = item.confidence < state.lowConfidence;
  const reviewIntent = item.review && item.review.intent;
  const preselect = reviewIntent || (item.intent !== FALLBACK ? item.intent : '');
  // Pre-filled with the reviewed or predicted entities as written in the text (the API accepts no other value).
  const source = (item.review && item.review.status !== 'discarded' ? item.review.entities : item.entities) || [];
  const entitiesValue = entitiesText(source.filter((e) => {
    const written = e.text || e.value;
    return written && item.text.includes(written) && (!state.entities.length || state.entities.includes(e.entity));
  }));

  const button = (className, text, decision, extra = {}) => {
    const node = el('button', { type: 'button', className, text, 'aria-describedby': textId, ...extra });
    node.addEventListener('click', () => reviewMessage(item, decision, node));
    return node;
  };
  const unclear = !item.intent || item.intent === FALLBACK;
  const confirmButton = button('secondary small', 'Bestätigen', 'confirm',
    { disabled: unclear, title: unclear ? 'Nicht verstandene Nachrichten bitte korrigieren.' : null });

  const actions = el('div', { className: 'row-actions' }, [
    el('div', { className: 'row-buttons' }, [confirmButton]),
    el('div', { className: 'field small' }, [
      el('label', { for: `intent-${item.id}`, text: 'Richtige Absicht' }),
      intentSelect(`intent-${item.id}`, preselect, '– bitte wählen –'),
    ]),
    el('div', { className: 'field small' }, [
      el('label', { for: `entities-${item.id}`, text: 'Entitäten (entität=Wert; …)' }),
      el('input', { type: 'text', id: `entities-${item.id}`, value: entitiesValue, spellcheck: 'false', autocomplete: 'off' }),
    ]),
    el('div', { className: 'row-buttons' }, [
      button('primary small', 'Korrigieren', 'correct'),
      button('secondary small', 'Verwerfen', 'discard'),
    ]),
  ]);

  return el('tr', { id: `row-${item.id}`, 'data-id': item.id }, [
    el('td', null, [
      el('input', { type: 'checkbox', id: `select-${item.id}`, className: 'row-select', 'data-id': item.id,
        'aria-describedby': textId }),
      el('label', { for: `select-${item.id}`, className: 'visually-hidden', text: 'Auswählen' }),
    ]),
    el('td', null, [timeElement(item.at)]),
    el('td', { text: CHANNELS[item.channel] || item.channel }),
    el('td', { id: textId, className: 'message-text', text: item.text }),
    el('td', null, [
      el('span', { className: 'intent', text: item.intent || '–' }), ' ',
      el('span', { className: low ? 'confidence low' : 'confidence',
        text: `(${percent(item.confidence)}${low ? ', niedrig' : ''})` }),
    ]),
    el('td', { text: entitiesText(item.entities) || '–' }),
    el('td', { text: ratingText(item.rating) }),
    el('td', { id: `status-${item.id}` }),
    el('td', null, [actions]),
  ]);
}

export async function loadInbox(more) {
  const params = more ? new URLSearchParams(state.inboxQuery) : filterQuery();
  if (!more) state.inboxQuery = params.toString();
  if (more && state.next !== null) params.set('before', String(state.next));
  const button = more ? $('load-more') : $('inbox-filter').querySelector('button[type=submit]');
  clearError();
  $('inbox-table').setAttribute('aria-busy', 'true');
  try {
    const data = await busy(button, api('GET', `/staff/api/messages?${params}`));
    const body = $('inbox-rows');
    if (typeof data.low_confidence === 'number') state.lowConfidence = data.low_confidence;
    if (!more) {
      clear(body);
      state.items = {};
      $('select-all').checked = false;
    }
    let firstNew = null;
    for (const item of data.items) {
      if (state.items[item.id]) continue;
      state.items[item.id] = item;
      const row = messageRow(item);
      body.append(row);
      setRowStatus(item);
      firstNew = firstNew || row;
    }
    state.next = data.next;
    $('load-more').hidden = data.next === null || data.next === undefined;
    const shown = body.querySelectorAll('tr').length;
    if (!shown) {
      body.append(el('tr', null, [el('td', { colspan: '9', className: 'empty', text: 'Keine Nachrichten für diesen Filter.' })]));
    }
    $('inbox-count').textContent = shown === 1 ? '1 Nachricht angezeigt.' : `${shown} Nachrichten angezeigt.`;
    if (more) {
      announce(`${data.items.length} weitere Nachrichten geladen.`);
      if (firstNew) firstNew.querySelector('.row-select').focus();
    } else {
      announce(shown ? $('inbox-count').textContent : 'Keine Nachrichten für diesen Filter.');
    }
  } catch (error) {
    fail(error);
  } finally {
    $('inbox-table').removeAttribute('aria-busy');
  }
}

async function bulkConfirm() {
  const ids = Array.from(document.querySelectorAll('#inbox-rows .row-select:checked'), (box) => Number(box.dataset.id));
  if (!ids.length) {
    showError('Bitte wählen Sie mindestens eine Nachricht aus.');
    return;
  }
  clearError();
  try {
    const result = await busy($('bulk-confirm'), api('POST', '/staff/api/messages/bulk-confirm', { ids }));
    for (const id of result.confirmed) {
      const item = state.items[id];
      if (!item) continue;
      item.review = { status: 'confirmed', intent: item.intent, entities: item.entities, reviewer: state.me.name };
      setRowStatus(item);
      $(`select-${id}`).checked = false;
    }
    $('select-all').checked = false;
    let text = `${result.confirmed.length} Nachrichten bestätigt.`;
    if (result.skipped.length) {
      text += ` ${result.skipped.length} nicht bestätigt (nicht verstanden oder ungültig): bitte einzeln korrigieren.`;
    }
    announce(text);
  } catch (error) {
    fail(error);
  }
}

export function setupInbox() {
  $('inbox-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    loadInbox(false);
  });
  $('inbox-filter').addEventListener('reset', () => setTimeout(() => loadInbox(false), 0));
  $('load-more').addEventListener('click', () => loadInbox(true));
  $('bulk-confirm').addEventListener('click', bulkConfirm);
  $('select-all').addEventListener('change', () => {
    const { checked } = $('select-all');
    document.querySelectorAll('#inbox-rows .row-select').forEach((box) => { box.checked = checked; });
  });
}
