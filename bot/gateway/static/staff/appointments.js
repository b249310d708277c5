/* Staff console, section 6 (agents and admins): appointments. Choose an office and a day or a week
 * (previous/next), see its bookings (time, service, citizen's name; the e-mail address for admins
 * only), mark a citizen who did not come ("Nicht erschienen", after a confirmation), and add or delete
 * the office's closures. Everything goes through /staff/api/appointments (docs/appointments.md). */
import { $, announce, api, busy, clearError, el, fail, headRow, isAdmin, showError } from './core.js';

const ZONE = 'Europe/Berlin';
const STATUS = { booked: 'gebucht', cancelled: 'abgesagt', no_show: 'nicht erschienen' };
const STEP = {
  day: { days: 1, prev: 'Vorheriger Tag', next: 'Nächster Tag' },
  week: { days: 7, prev: 'Vorherige Woche', next: 'Nächste Woche' },
};

const dayFormat = new Intl.DateTimeFormat('de-DE', { timeZone: ZONE, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat('de-DE', { timeZone: ZONE, hour: '2-digit', minute: '2-digit' });
const stampFormat = new Intl.DateTimeFormat('de-DE', { timeZone: ZONE, weekday: 'short', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const isoDay = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

let officesLoaded = false;

// --- days (ISO strings, computed in UTC so that no time zone shifts them) -------------------------
const asDate = (day) => new Date(`${day}T00:00:00Z`);
const iso = (date) => date.toISOString().slice(0, 10);

function addDays(day, count) {
  const date = asDate(day);
  date.setUTCDate(date.getUTCDate() + count);
  return iso(date);
}

const monday = (day) => addDays(day, -((asDate(day).getUTCDay() + 6) % 7));
const spoken = (day) => dayFormat.format(new Date(`${day}T12:00:00Z`));

/** The chosen view: {first, last} (ISO days, inclusive) and its label. */
function range() {
  const day = $('appointments-date').value || isoDay.format(new Date());
  if ($('appointments-view').value === 'week') {
    const first = monday(day);
    const last = addDays(first, 6);
    return { first, last, label: `Woche vom ${spoken(first)} bis ${spoken(last)}` };
  }
  return { first: day, last: day, label: spoken(day) };
}

const week = () => $('appointments-view').value === 'week';
const officeId = () => $('appointments-office').value;
const officeName = () => ($('appointments-office').selectedOptions[0] || {}).textContent || '';
const officePath = () => `/staff/api/appointments/offices/${encodeURIComponent(officeId())}`;

function when(booking) {
  const start = new Date(booking.start);
  const span = `${timeFormat.format(start)}–${timeFormat.format(new Date(booking.end))} Uhr`;
  return week() ? `${dayFormat.format(start)}, ${span}` : span;
}

// --- confirmation (the console's shared <dialog>) ----------------------------------------------------
/** Asks in the modal dialog; resolves true for "yes". Escape and "Abbrechen" answer false. */
function ask(title, text, yes) {
  const dialog = $('confirm-dialog');
  const back = document.activeElement;
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-yes').textContent = yes;
  return new Promise((resolve) => {
    const stop = new AbortController();
    const answer = (value) => () => {
      stop.abort();
      dialog.close();
      if (back && back.isConnected) back.focus();
      else $('appointments-heading').focus();
      resolve(value);
    };
    $('confirm-yes').addEventListener('click', answer(true), { signal: stop.signal });
    $('confirm-no').addEventListener('click', answer(false), { signal: stop.signal });
    dialog.addEventListener('cancel', (event) => { event.preventDefault(); answer(false)(); }, { signal: stop.signal });
    dialog.showModal();
    $('confirm-no').focus();
  });
}

// --- bookings ------------------------------------------------------------------------------------------
function columns() {
  return ['Zeit', 'Leistung', 'Name', isAdmin() ? 'E-Mail' : null, 'Schalter', 'Status', 'Aktion'].filter(Boolean);
}

function bookingRow(booking) {
  const timeId = `booking-time-${booking.id}`;
  const begun = Date.parse(booking.start) <= Date.now();
  let action = '–';
  if (booking.status === 'booked' && begun) {
    action = el('button', {
      type: 'button', className: 'secondary small', text: 'Nicht erschienen', 'aria-describedby': timeId,
      dataset: { testid: 'no-show', id: String(booking.id) },
    });
    action.addEventListener('click', () => markNoShow(booking, action));
  }
  return el('tr', { id: `booking-${booking.id}`, dataset: { testid: 'booking-row', id: String(booking.id), status: booking.status } }, [
    el('th', { scope: 'row', id: timeId, className: 'reference', tabindex: '-1' }, [
      el('time', { datetime: booking.start, text: when(booking) }),
    ]),
    el('td', { text: booking.service_name }),
    el('td', { text: booking.name || '–' }),
    isAdmin() ? el('td', { className: 'contact', text: booking.email || '–' }) : null,
    el('td', { text: String(booking.counter) }),
    el('td', { className: `status-cell booking-${booking.status}`, text: STATUS[booking.status] || booking.status }),
    el('td', null, [action]),
  ]);
}

async function markNoShow(booking, button) {
  const sure = await ask('Als nicht erschienen markieren?',
    `${booking.name}, ${booking.service_name}, ${when(booking)}: Die Bürgerin oder der Bürger ist nicht erschienen. ` +
    'Das lässt sich in der Konsole nicht rückgängig machen.', 'Nicht erschienen');
  if (!sure) return;
  clearError();
  try {
    const changed = await busy(button, api('POST', `/staff/api/appointments/bookings/${encodeURIComponent(booking.id)}/no-show`));
    const row = bookingRow(changed);
    $(`booking-${booking.id}`).replaceWith(row);
    row.querySelector('th').focus();
    announce(`Der Termin um ${timeFormat.format(new Date(booking.start))} Uhr ist als nicht erschienen markiert.`);
  } catch (error) {
    fail(error);
  }
}

async function loadBookings(view) {
  const table = $('appointments-table');
  table.setAttribute('aria-busy', 'true');
  try {
    const bookings = await api('GET', `${officePath()}/bookings?from=${view.first}&to=${view.last}`);
    $('appointments-head').replaceWith(Object.assign(headRow(columns()), { id: 'appointments-head' }));
    const body = $('appointments-rows');
    body.replaceChildren(...bookings.map(bookingRow));
    if (!bookings.length) {
      body.append(el('tr', null, [el('td', { colspan: String(columns().length), className: 'empty', text: 'Keine Termine.' })]));
    }
    $('appointments-caption').textContent = `Termine ${officeName()}, ${view.label}`;
    const open = bookings.filter((b) => b.status === 'booked').length;
    $('appointments-count').textContent = bookings.length === 1 ? `1 Termin (${open} gebucht).`
      : `${bookings.length} Termine (${open} gebucht).`;
    return bookings.length;
  } finally {
    table.removeAttribute('aria-busy');
  }
}

// --- closures ------------------------------------------------------------------------------------------
function closureRow(closure) {
  const startId = `closure-start-${closure.id}`;
  const remove = el('button', {
    type: 'button', className: 'secondary small', text: 'Löschen', 'aria-describedby': startId,
    dataset: { testid: 'closure-delete', id: String(closure.id) },
  });
  remove.addEventListener('click', () => deleteClosure(closure, remove));
  const affected = closure.affected_bookings.length;
  return el('tr', { dataset: { testid: 'closure-row', id: String(closure.id) } }, [
    el('th', { scope: 'row', id: startId }, [el('time', { datetime: closure.start, text: stampFormat.format(new Date(closure.start)) })]),
    el('td', null, [el('time', { datetime: closure.end, text: stampFormat.format(new Date(closure.end)) })]),
    el('td', { className: 'message-text', text: closure.reason || '–' }),
    el('td', { text: affected ? String(affected) : 'keine' }),
    el('td', null, [remove]),
  ]);
}

async function loadClosures(view) {
  const closures = await api('GET', `${officePath()}/closures?from=${view.first}`);
  const body = $('closures-rows');
  body.replaceChildren(...closures.map(closureRow));
  if (!closures.length) body.append(el('tr', null, [el('td', { colspan: '5', className: 'empty', text: 'Keine Schließungen.' })]));
  $('closures-caption').textContent = `Schließungen ${officeName()} ab ${spoken(view.first)}`;
}

async function deleteClosure(closure, button) {
  const from = stampFormat.format(new Date(closure.start));
  const sure = await ask('Schließung löschen?',
    `Die Schließung ab ${from}${closure.reason ? ` („${closure.reason}“)` : ''} wird gelöscht; ihre Zeit ist wieder buchbar.`,
    'Löschen');
  if (!sure) return;
  clearError();
  try {
    await busy(button, api('DELETE', `/staff/api/appointments/closures/${encodeURIComponent(closure.id)}`));
    await loadClosures(range());
    $('closures-heading').focus();
    announce(`Die Schließung ab ${from} ist gelöscht.`);
  } catch (error) {
    fail(error);
  }
}

async function addClosure(event) {
  event.preventDefault();
  clearError();
  const start = $('closure-start');
  const end = $('closure-end');
  const problem = !start.value ? 'Bitte geben Sie den Beginn der Schließung an.'
    : !end.value ? 'Bitte geben Sie das Ende der Schließung an.'
      : end.value <= start.value ? 'Das Ende der Schließung muss nach ihrem Beginn liegen.' : '';
  for (const input of [start, end]) input.removeAttribute('aria-invalid');
  $('closure-error').textContent = problem;
  if (problem) {
    const wrong = !start.value ? start : end;
    wrong.setAttribute('aria-invalid', 'true');
    wrong.focus();
    return;
  }
  try {
    const closure = await busy($('closure-add'), api('POST', `${officePath()}/closures`,
      { start: start.value, end: end.value, reason: $('closure-reason').value.trim() }));
    $('closure-form').reset();
    const view = range();
    await Promise.all([loadClosures(view), loadBookings(view)]);
    const affected = closure.affected_bookings.length;
    announce(affected
      ? `Schließung eingetragen. ${affected} gebuchte Termine liegen darin und wurden nicht abgesagt: Bitte informieren Sie die Betroffenen.`
      : 'Schließung eingetragen. Keine gebuchten Termine liegen darin.');
  } catch (error) {
    if (error && error.status === 422) $('closure-error').textContent = error.message;
    fail(error);
  }
}

// --- the view ------------------------------------------------------------------------------------------
async function show(quiet) {
  if (!officeId()) return;
  clearError();
  const view = range();
  try {
    const count = await busy($('appointments-load'), loadBookings(view));
    await loadClosures(view);
    if (!quiet) announce(`${officeName()}, ${view.label}: ${count === 1 ? '1 Termin' : `${count} Termine`}.`);
  } catch (error) {
    fail(error);
  }
}

function labelSteps() {
  const step = STEP[$('appointments-view').value] || STEP.day;
  $('appointments-prev').textContent = step.prev;
  $('appointments-next').textContent = step.next;
}

function move(direction) {
  const step = STEP[$('appointments-view').value] || STEP.day;
  $('appointments-date').value = addDays(range().first, direction * step.days);
  show(false);
}

export async function loadAppointments() {
  if (!$('appointments-date').value) $('appointments-date').value = isoDay.format(new Date());
  labelSteps();
  if (!officesLoaded) {
    try {
      const offices = await api('GET', '/staff/api/appointments/offices');
      $('appointments-office').replaceChildren(...offices.map((o) => el('option', { value: o.id, text: o.name })));
      officesLoaded = offices.length > 0;
      if (!offices.length) showError('Der Fachdienst kennt keine Dienststellen.');
    } catch (error) {
      fail(error);
      return;
    }
  }
  await show(false);
}

export function setupAppointments() {
  $('appointments-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    if (!officesLoaded) loadAppointments();
    else show(false);
  });
  $('appointments-view').addEventListener('change', labelSteps);
  $('appointments-prev').addEventListener('click', () => move(-1));
  $('appointments-next').addEventListener('click', () => move(1));
  $('closure-form').addEventListener('submit', addClosure);
}
