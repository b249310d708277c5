/* Staff console, section 4 (admins): the audit log. */
import { $, api, busy, clear, clearError, el, fail, timeElement } from './core.js';

const ACTIONS = {
  'login': 'Anmeldung',
  'logout': 'Abmeldung',
  'review.confirm': 'Nachricht bestätigt',
  'review.correct': 'Nachricht korrigiert',
  'review.discard': 'Nachricht verworfen',
  'export': 'Export',
  'conflict.resolve': 'Widerspruch entschieden',
  'model.retrain': 'Neu trainiert',
  'model.promote': 'Modell übernommen',
  'model.promote_override': 'Modell mit Begründung übernommen',
  'model.rollback': 'Zurück zum früheren Modell',
  'model.adopt': 'Live-Modell übernommen (System)',
  'handoff.take': 'Gespräch übernommen',
  'handoff.transfer': 'Gespräch an ein Team übergeben',
  'handoff.requeue': 'Gespräch zurück in die Warteschlange',
  'handoff.returned': 'Gespräch an den Bot zurückgegeben',
  'handoff.closed': 'Gespräch beendet',
  'handoff.abandoned': 'Warteschlange verlassen (Bürger/in)',
  'callback.assign': 'Rückrufbitte zugewiesen',
  'callback.done': 'Rückrufbitte erledigt',
  'canned.add': 'Textvorlage angelegt',
  'canned.delete': 'Textvorlage gelöscht',
  'appointment.closure_add': 'Schließzeit eingetragen',
  'appointment.closure_delete': 'Schließzeit gelöscht',
  'appointment.no_show': 'Termin als nicht erschienen markiert',
};

function detailSummary(detail) {
  if (!detail || typeof detail !== 'object') return '';
  return Object.entries(detail)
    .map(([key, value]) => `${key}: ${value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join('; ');
}

export async function loadAudit() {
  clearError();
  try {
    const entries = await busy($('audit-reload'), api('GET', '/staff/api/audit'));
    const body = $('audit-rows');
    clear(body);
    for (const entry of entries) {
      body.append(el('tr', null, [
        el('td', null, [timeElement(entry.at)]),
        el('td', { text: entry.actor }),
        el('td', { text: ACTIONS[entry.action] || entry.action }),
        el('td', { className: 'message-text', text: entry.target || '–' }),
        el('td', { className: 'message-text', text: detailSummary(entry.detail) || '–' }),
      ]));
    }
    if (!entries.length) body.append(el('tr', null, [el('td', { colspan: '5', text: 'Keine Einträge.' })]));
  } catch (error) {
    fail(error);
  }
}

export function setupAudit() {
  $('audit-reload').addEventListener('click', loadAudit);
}
