/* Staff console, section 3: the dashboard (key figures, three charts, each with its data as a table;
 * the live chat's figures when the server sends them; no-shows of appointments from the backend). */
import { $, announce, api, busy, clear, clearError, el, fail, headRow, percent, scrollTable } from './core.js';

function dataTable(label, headers, rows) {
  const body = el('tbody', null, rows.map((cells) => el('tr', null, cells.map((cell, index) =>
    (index === 0 ? el('th', { scope: 'row', text: String(cell) }) : el('td', { text: String(cell) }))))));
  if (!rows.length) body.append(el('tr', null, [el('td', { colspan: String(headers.length), text: 'Keine Daten.' })]));
  return el('details', null, [
    el('summary', { text: 'Daten als Tabelle' }),
    scrollTable(label, el('table', { className: 'data' }, [headRow(headers), body])),
  ]);
}

function chart(container, name, days, alt, table) {
  clear(container);
  container.append(
    el('img', { src: `/staff/api/charts/${name}.svg?days=${days}&t=${Date.now()}`, alt, className: 'chart-img',
      width: '640', height: '260' }),
    table,
  );
}

const figure = (label, value) => el('div', { className: 'figure' }, [el('dt', { text: label }), el('dd', { text: value })]);

/** 45 → "45 s", 125 → "2 Min. 5 s", 3720 → "1 Std. 2 Min."; no number → "–". */
function duration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '–';
  const total = Math.round(Math.max(0, seconds));
  if (total < 60) return `${total} s`;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  if (hours) return minutes ? `${hours} Std. ${minutes} Min.` : `${hours} Std.`;
  return total % 60 ? `${minutes} Min. ${total % 60} s` : `${minutes} Min.`;
}

const COUNT_NAMES = { total: 'insgesamt', open: 'offen', assigned: 'zugewiesen', done: 'erledigt' };

/** A count, or an object of counts ("3 offen, 2 erledigt"). */
function countText(value) {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (value && typeof value === 'object') {
    const parts = Object.entries(value).filter(([, count]) => typeof count === 'number')
      .map(([key, count]) => `${count} ${COUNT_NAMES[key] || key}`);
    if (parts.length) return parts.join(', ');
  }
  return '–';
}

/** The live chat's figures (data.handoffs), or nothing when the server sends none. */
function renderHandoffs(handoffs) {
  const box = $('dashboard-handoffs');
  if (!handoffs || typeof handoffs !== 'object') {
    box.hidden = true;
    clear(box);
    return;
  }
  const perDay = Array.isArray(handoffs.per_day) ? handoffs.per_day : [];
  const body = el('tbody', null, perDay.map((r) => el('tr', null, [
    el('th', { scope: 'row', text: String(r.day) }),
    el('td', { text: String(r.count) }),
  ])));
  if (!perDay.length) body.append(el('tr', null, [el('td', { colspan: '2', text: 'Keine Daten.' })]));
  box.replaceChildren(
    el('h2', { text: 'Live-Chat und Rückrufe' }),
    el('dl', { className: 'figures' }, [
      figure('Wartezeit bis zur Übernahme (Median)', duration(handoffs.wait_median_seconds)),
      figure('90 % warteten höchstens', duration(handoffs.wait_p90_seconds)),
      figure('Gesprächsdauer (Median)', duration(handoffs.handling_median_seconds)),
      figure('Abgebrochen (Warteschlange verlassen)', countText(handoffs.abandoned)),
      figure('Rückrufbitten', countText(handoffs.callbacks)),
    ]),
    scrollTable('Gespräche mit Mitarbeitenden pro Tag',
      el('table', { className: 'data handoffs-per-day' }, [headRow(['Tag', 'Gespräche']), body])),
  );
  box.hidden = false;
}

/** "Nicht erschienene Termine" of the period: a figure of its own, fetched after the others (the
 * appointments backend may be down while the dashboard itself works). */
async function addNoShows(days) {
  const box = $('figures');
  const item = figure('Nicht erschienene Termine', '…');
  item.dataset.testid = 'figure-no-shows';
  box.append(item);
  const value = item.querySelector('dd');
  try {
    const data = await api('GET', `/staff/api/appointments/no-shows?days=${days}`);
    const top = (data.offices || []).slice(0, 3).map((o) => `${o.name}: ${o.count}`).join(', ');
    value.textContent = top ? `${data.total} (${top})` : String(data.total);
  } catch (error) {
    if (error && error.status === 401) return;
    value.textContent = '– (Fachdienst nicht erreichbar)';
  }
}

export async function loadDashboard() {
  const days = $('days').value;
  clearError();
  const button = $('dashboard-form').querySelector('button[type=submit]');
  try {
    const data = await busy(button, api('GET', `/staff/api/dashboard?days=${days}`));
    $('figures').replaceChildren(
      figure('Nachrichten', String(data.total)),
      figure('Anteil nicht verstanden', percent(data.fallback_rate)),
      figure('Anteil niedrige Konfidenz', percent(data.low_confidence_rate)),
      figure('Bewertungen hilfreich', String(data.ratings.up)),
      figure('Bewertungen nicht hilfreich', String(data.ratings.down)),
    );
    addNoShows(days);

    const perDay = data.messages_per_day || [];
    chart($('chart-messages'), 'messages', days,
      `Balkendiagramm: Nachrichten pro Tag und Kanal in den letzten ${days} Tagen, insgesamt ${data.total}. ` +
      'Die Werte stehen in der Tabelle darunter.',
      dataTable('Nachrichten pro Tag und Kanal', ['Tag', 'Web', 'Telegram', 'API', 'andere', 'Summe'],
        perDay.map((r) => [r.day, r.web, r.telegram, r.api, r.other, r.web + r.telegram + r.api + r.other])));
    const top = data.top_intents || [];
    chart($('chart-intents'), 'intents', days,
      `Balkendiagramm: die häufigsten Absichten in den letzten ${days} Tagen` +
      (top.length ? `, am häufigsten ${top[0].intent} mit ${top[0].count} Nachrichten` : '') +
      '. Die Werte stehen in der Tabelle darunter.',
      dataTable('Häufigste Absichten', ['Absicht', 'Nachrichten'], top.map((r) => [r.intent, r.count])));
    const ratings = data.ratings.per_day || [];
    chart($('chart-ratings'), 'ratings', days,
      `Balkendiagramm: Bewertungen pro Tag in den letzten ${days} Tagen, ${data.ratings.up} hilfreich und ` +
      `${data.ratings.down} nicht hilfreich. Die Werte stehen in der Tabelle darunter.`,
      dataTable('Bewertungen pro Tag', ['Tag', 'hilfreich', 'nicht hilfreich'], ratings.map((r) => [r.day, r.up, r.down])));
    renderHandoffs(data.handoffs);
    announce(`Übersicht für die letzten ${days} Tage geladen.`);
  } catch (error) {
    fail(error);
  }
}

export function setupDashboard() {
  $('dashboard-form').addEventListener('submit', (event) => {
    event.preventDefault();
    loadDashboard();
  });
}
