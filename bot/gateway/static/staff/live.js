/* Staff console, section 4 (agents and admins): the live chat (docs/handoff.md, "Staff side").
 * The queue per team with waiting times that count up, the agent's own conversations, the open
 * conversation's transcript with the reply box, canned answers, transfer, handback and close.
 * Live updates come over the WebSocket /staff/ws/live (queue, message, typing, ended frames, and
 * callbacks, passed on to callbacks.js as the document event bb-callbacks-changed); the
 * console sends typing frames and reconnects with backoff, then fetches the state again.
 * Admins also manage the canned answers here. Everything from the server is rendered as text. */
import { $, announce, api, busy, clear, clearError, dateTime, el, fail, isAdmin, showError, state } from './core.js';
import { announce as announceIn, markInvalid } from '/static/shared/ui.js';

const API = '/staff/api';
const ROLES = ['agent', 'admin'];
const CHANNELS = { web: 'Web-Chat', telegram: 'Telegram', api: 'API' };
const REASONS = {
  human_handoff: 'möchte mit einem Menschen sprechen',
  complain: 'Beschwerde',
  not_understood: 'Bot hat nicht verstanden',
};
const AUTHORS = { citizen: 'Bürger/in', bot: 'Bot', agent: 'Mitarbeiter/in', system: 'Systemhinweis' };
const ENDED = {
  returned: 'wurde an den Bot zurückgegeben',
  closed: 'wurde beendet',
  abandoned: 'wurde von der Bürgerin oder dem Bürger verlassen',
  queued: 'ist wieder in der Warteschlange',
};
const CONNECTION = {
  connecting: 'Verbindung wird aufgebaut …',
  online: 'Live-Verbindung besteht.',
  offline: 'Verbindung unterbrochen – wird wiederhergestellt',
};
const LIMIT = {
  typingShownMs: 10_000, // a citizen's "typing" is dropped after this without a new frame
  typingEveryMs: 3_000, // the console repeats its own "typing on" at most this often
  typingOffMs: 2_000, // … and sends "off" this long after the last key
  reconnectBaseMs: 1_000,
  reconnectMaxMs: 30_000,
};

const live = {
  started: false,
  teams: [], // GET teams
  canned: [], // GET canned
  queue: { teams: [], mine: [] }, // the last queue frame or GET handoffs
  waiting: null, // queued conversations in all teams, for the announcement of changes
  openId: null, // the conversation shown
  openItem: null,
  seqs: new Set(), // seqs in the open transcript (a line pushed and returned by POST is shown once)
  unread: new Set(), // own conversations with messages not yet seen
  known: new Map(), // id → item of every conversation seen in "mine" (an ended frame may follow the queue frame)
  endedHere: new Set(), // conversations this console transferred, handed back or closed: no notice
  typing: new Map(), // handoff id → timer hiding "Bürger/in schreibt …"
  drafts: new Map(), // handoff id → unsent reply text while another conversation is open
  pending: null, // {handoff, text, clientId} of a reply not yet stored: a retry reuses the client_id
  sending: false,
  typingOut: { on: false, handoff: null, last: 0, offTimer: null },
  loadToken: 0,
  ws: null,
  connection: 'connecting', // as console.html starts
  attempt: 0,
  reconnectTimer: null,
};

export const canAnswer = () => Boolean(state.me && ROLES.includes(state.me.role));

// --- small helpers -------------------------------------------------------------------------------
const url = (...parts) => `${API}/${parts.map((part) => encodeURIComponent(String(part))).join('/')}`;
const channelName = (channel) => CHANNELS[channel] || channel || 'unbekannter Kanal';
const reasonText = (reason) => REASONS[reason] || reason || '–';
const teamName = (id) => (live.teams.find((team) => team.id === id) || {}).name || id || '–';
const title = (item) => `Gespräch ${item.id} (${channelName(item.channel)})`;
const sectionVisible = () => !$('section-live').hidden;
const hasFocusIn = (node) => node.contains(document.activeElement);

/** The list in a response: the response itself or its first array-valued field (also callbacks.js). */
export function listOf(data) {
  if (Array.isArray(data)) return data;
  if (data && typeof data === 'object') return Object.values(data).find(Array.isArray) || [];
  return [];
}

/** 32 random hex digits: the client_id that makes a repeated POST of the same reply harmless. */
function newClientId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Epoch seconds from a number (seconds) or an ISO date string; null otherwise. */
function toSeconds(value) {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms / 1000;
  }
  return null;
}

/** 75 → "1:15 Min.", 3675 → "1:01:15 Std.". */
function clock(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const two = (n) => String(n).padStart(2, '0');
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  return hours ? `${hours}:${two(minutes)}:${two(total % 60)} Std.` : `${minutes}:${two(total % 60)} Min.`;
}

function waitingText(count) {
  if (!count) return 'Niemand wartet.';
  return count === 1 ? '1 Gespräch wartet.' : `${count} Gespräche warten.`;
}

function timeOfDay(seconds) {
  const date = new Date(seconds * 1000);
  return el('time', { datetime: date.toISOString(), text: date.toLocaleTimeString('de-DE', { hour: '2-digit', minute: '2-digit' }) });
}

/** The data-focus-key of the focused element inside #queue or #mine (re-rendering replaces them). */
function focusedKey() {
  const active = document.activeElement;
  if (!active || !active.dataset || !active.dataset.focusKey) return null;
  return hasFocusIn($('queue')) || hasFocusIn($('mine')) ? active.dataset.focusKey : null;
}

/** Focus the element with that key again, or the heading of its list when it is gone. */
function restoreFocus(key) {
  if (!key) return;
  const node = document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
  if (node) node.focus();
  else $(key.startsWith('take-') ? 'queue-heading' : 'mine-heading').focus();
}

function setConnection(kind) {
  if (live.connection === kind) return; // the status region announces changes only
  live.connection = kind;
  const node = $('live-connection');
  node.className = `connection ${kind}`;
  node.textContent = CONNECTION[kind];
}

/** A visible notice in the live-chat section (ended conversations and the like), also announced
 * while another section is shown. */
function notice(text) {
  announceIn($('live-notice'), text);
  if (!sectionVisible()) announceIn($('live-announce'), text);
}

// --- queue and own conversations -----------------------------------------------------------------
/** Items get a numeric id and the moment their waiting started (performance.now() clock). */
function normaliseItem(item, now) {
  const waited = Number(item.waiting_seconds) || 0;
  return { ...item, id: Number(item.id), since: now - waited * 1000 };
}

function applyQueue(data) {
  const now = performance.now();
  const teams = listOf(data && data.teams).map((team) => ({
    ...team,
    queue: listOf(team.queue).map((item) => normaliseItem(item, now)),
  }));
  const mine = listOf(data && data.mine).map((item) => normaliseItem(item, now));
  for (const item of mine) live.known.set(item.id, item);
  live.queue = { teams, mine };
  renderQueue();
}

function renderQueue() {
  const key = focusedKey();
  const box = $('queue');
  box.replaceChildren(...live.queue.teams.map(teamBox));
  if (!live.queue.teams.length) box.append(el('p', { className: 'empty', text: 'Es sind keine Teams eingerichtet.' }));
  renderMineList();
  restoreFocus(key);
  summarise();
}

function teamBox(team, index) {
  const headingId = `team-${index}-heading`;
  const online = Number(team.agents_online) || 0;
  return el('section', { className: 'team', 'aria-labelledby': headingId, dataset: { testid: 'team', team: team.id } }, [
    el('h3', { id: headingId, text: team.name || team.id }),
    el('p', { className: 'team-state' }, [
      el('span', { className: team.open ? 'state-badge open' : 'state-badge closed', text: team.open ? 'geöffnet' : 'geschlossen' }),
      ` · ${online === 1 ? '1 Person online' : `${online} Personen online`} · ${waitingText(team.queue.length)}`,
    ]),
    team.queue.length
      ? el('ul', { className: 'queue-list', 'aria-label': `Wartende Gespräche: ${team.name || team.id}` }, team.queue.map(queueItem))
      : null,
  ]);
}

function queueItem(item) {
  const descId = `queue-desc-${item.id}`;
  const take = el('button', {
    type: 'button', className: 'primary small', text: 'Übernehmen', 'aria-describedby': descId,
    dataset: { testid: 'take', handoff: String(item.id), focusKey: `take-${item.id}` },
  });
  take.addEventListener('click', () => takeHandoff(item, take));
  return el('li', { className: 'queue-item', dataset: { testid: 'queue-item', handoff: String(item.id) } }, [
    el('p', { id: descId, className: 'queue-desc' }, [
      el('strong', { text: title(item) }),
      ` · Grund: ${reasonText(item.reason)} · wartet seit `,
      el('span', { className: 'wait', dataset: { testid: 'wait' }, text: clock((performance.now() - item.since) / 1000) }),
    ]),
    lastMessages(item),
    take,
  ]);
}

function lastMessages(item) {
  const texts = listOf(item.last_messages).filter((text) => typeof text === 'string' && text);
  if (!texts.length) return null;
  return el('ul', { className: 'last-messages', 'aria-label': 'Letzte Nachrichten (geschwärzt)' },
    texts.map((text) => el('li', { className: 'message-text', text })));
}

/** Every second: the waiting times in the queue count up. */
function tick() {
  if (!sectionVisible()) return;
  const now = performance.now();
  for (const team of live.queue.teams) {
    for (const item of team.queue) {
      const node = document.querySelector(`#queue [data-handoff="${item.id}"] .wait`);
      if (node) node.textContent = clock((now - item.since) / 1000);
    }
  }
}

/** The total in text; a change of the number is announced (politely, at most every 2 s). */
function summarise() {
  const waiting = live.queue.teams.reduce((sum, team) => sum + team.queue.length, 0);
  $('queue-summary').textContent = waitingText(waiting);
  if (live.waiting !== null && waiting !== live.waiting) announceIn($('queue-announce'), `Warteschlange: ${waitingText(waiting)}`, 2000);
  live.waiting = waiting;
}

function renderMine() {
  const key = focusedKey();
  renderMineList();
  restoreFocus(key);
}

function renderMineList() {
  const list = $('mine');
  const { mine } = live.queue;
  for (const id of live.unread) if (!mine.some((item) => item.id === id)) live.unread.delete(id);
  list.replaceChildren(...mine.map(mineEntry));
  if (!mine.length) list.append(el('li', { className: 'empty', text: 'Sie führen gerade kein Gespräch.' }));
  const unread = live.unread.size;
  $('nav-live-unread').hidden = !unread;
  $('nav-live-unread').textContent = unread ? ` (${unread} neu)` : '';
}

function mineEntry(item) {
  const texts = listOf(item.last_messages);
  const last = typeof texts[texts.length - 1] === 'string' ? texts[texts.length - 1] : '';
  const button = el('button', {
    type: 'button', className: 'mine-button', 'aria-current': item.id === live.openId ? 'true' : null,
    dataset: { testid: 'mine-item', handoff: String(item.id), focusKey: `mine-${item.id}` },
  }, [
    el('span', { className: 'mine-title', text: title(item) }),
    el('span', { className: 'mine-meta', text: `${item.team_name || teamName(item.team)} · ${reasonText(item.reason)}` }),
    last ? el('span', { className: 'mine-preview', text: last.length > 80 ? `${last.slice(0, 79)}…` : last }) : null,
    live.unread.has(item.id) ? el('span', { className: 'unread-badge', dataset: { testid: 'unread' }, text: 'neue Nachricht' }) : null,
  ]);
  button.addEventListener('click', () => openConversation(item.id, true));
  return el('li', { className: 'mine-entry' }, [button]);
}

function removeFromMine(id) {
  live.queue.mine = live.queue.mine.filter((item) => item.id !== id);
  live.unread.delete(id);
  live.drafts.delete(id);
  if (live.openId === id) hideConversation();
  renderMine();
}

/** GET handoffs; quiet: errors are not shown (background refresh after reconnect). */
async function refreshQueue(quiet) {
  try {
    applyQueue(await api('GET', url('handoffs')));
    return true;
  } catch (error) {
    if (!quiet) fail(error);
    return false;
  }
}

async function takeHandoff(item, button) {
  clearError();
  try {
    const taken = await busy(button, api('POST', url('handoffs', item.id, 'take')));
    const mine = normaliseItem(taken && taken.id !== undefined ? taken : { ...item, state: 'assigned' }, performance.now());
    for (const team of live.queue.teams) team.queue = team.queue.filter((queued) => queued.id !== mine.id);
    if (!live.queue.mine.some((own) => own.id === mine.id)) live.queue.mine.push(mine);
    live.known.set(mine.id, mine);
    renderQueue();
    announce(`${title(mine)} übernommen.`);
    await openConversation(mine.id, true);
  } catch (error) {
    fail(error); // 409: the server's German message (another agent was faster)
    if (error.status === 409 || error.status === 404) await refreshQueue(true);
    if (!button.isConnected) $('queue-heading').focus();
  }
}

// --- the open conversation -----------------------------------------------------------------------
async function openConversation(id, moveFocus) {
  const token = ++live.loadToken;
  const box = $('reply-text');
  if (live.openId !== id) {
    stopTyping();
    if (live.openId !== null && box.value) live.drafts.set(live.openId, box.value);
    box.value = live.drafts.get(id) || '';
    live.drafts.delete(id);
    replyError('');
  }
  live.openId = id;
  live.unread.delete(id);
  renderMine();
  clearError();
  try {
    const data = await api('GET', url('handoffs', id));
    if (token !== live.loadToken) return;
    showConversation(data);
    if (moveFocus) $('conversation-heading').focus();
  } catch (error) {
    if (token !== live.loadToken) return;
    fail(error);
    if (error.status === 404) removeFromMine(id);
  }
}

function showConversation(data) {
  const item = { ...(data.handoff || {}), id: live.openId };
  live.openItem = item;
  live.seqs = new Set();
  $('conversation-empty').hidden = true;
  $('conversation').hidden = false;
  $('conversation-heading').textContent = title(item);
  const started = toSeconds(item.created_at);
  $('conversation-meta').textContent = `Team: ${item.team_name || teamName(item.team)} · Grund: ${reasonText(item.reason)}` +
    (started ? ` · begonnen ${dateTime(started)}` : '');
  $('transcript-redacted').hidden = !data.redacted;
  clear($('transcript'));
  listOf(data.transcript).forEach(appendLine);
  if (!$('transcript').children.length) {
    $('transcript').append(el('li', { className: 'empty', dataset: { empty: 'true' }, text: 'Noch keine Nachrichten.' }));
  }
  scrollToEnd();
  refreshTyping();
  fillTransferTeams(item.team);
  fillCannedSelect(item.team);
}

function hideConversation() {
  const hadFocus = hasFocusIn($('conversation'));
  stopTyping();
  Object.assign(live, { openId: null, openItem: null, seqs: new Set(), pending: null });
  $('conversation').hidden = true;
  $('conversation-empty').hidden = false;
  clear($('transcript'));
  $('reply-text').value = '';
  replyError('');
  refreshTyping();
  if (hadFocus) $('mine-heading').focus();
}

function authorLabel(line, kind) {
  if ((kind === 'agent' || kind === 'citizen') && line.author) return `${AUTHORS[kind]}: ${line.author}`;
  return AUTHORS[kind];
}

function lineNode(line) {
  const kind = AUTHORS[line.author_kind] ? line.author_kind : 'system';
  const seconds = toSeconds(line.time ?? line.at);
  return el('li', { className: `line line-${kind}`, dataset: { testid: 'line', kind, seq: String(line.seq ?? '') } }, [
    el('p', { className: 'line-head' }, [
      el('span', { className: 'line-author', text: authorLabel(line, kind) }),
      seconds ? ' · ' : null,
      seconds ? timeOfDay(seconds) : null,
    ]),
    el('p', { className: 'line-text', text: line.text || '' }),
  ]);
}

/** Appends a line unless its seq is already shown; true when it was added. */
function appendLine(line) {
  if (!line || typeof line !== 'object') return false;
  const seq = line.seq ?? null;
  if (seq !== null) {
    if (live.seqs.has(seq)) return false;
    live.seqs.add(seq);
  }
  const list = $('transcript');
  const empty = list.querySelector('[data-empty]');
  if (empty) empty.remove();
  const stick = nearEnd();
  list.append(lineNode(line));
  if (stick) scrollToEnd();
  return true;
}

function nearEnd() {
  const box = $('transcript').parentElement;
  return box.scrollHeight - box.scrollTop - box.clientHeight < 48;
}

function scrollToEnd() {
  const box = $('transcript').parentElement;
  box.scrollTop = box.scrollHeight;
}

function refreshTyping() {
  $('typing-indicator').hidden = live.openId === null || !live.typing.has(live.openId);
}

function setCitizenTyping(id, on) {
  clearTimeout(live.typing.get(id));
  live.typing.delete(id);
  if (on) live.typing.set(id, setTimeout(() => { live.typing.delete(id); refreshTyping(); }, LIMIT.typingShownMs));
  refreshTyping();
}

// --- reply box -----------------------------------------------------------------------------------
function replyError(text) {
  markInvalid($('reply-text'), Boolean(text));
  announceIn($('reply-error'), text);
}

async function sendReply(event) {
  event.preventDefault();
  const id = live.openId;
  if (id === null || live.sending) return;
  const box = $('reply-text');
  const text = box.value.trim();
  if (!text) {
    replyError('Bitte schreiben Sie eine Nachricht.');
    box.focus();
    return;
  }
  const same = live.pending && live.pending.handoff === id && live.pending.text === text;
  live.pending = same ? live.pending : { handoff: id, text, clientId: newClientId() };
  replyError('');
  stopTyping();
  live.sending = true;
  try {
    const result = await busy($('reply-send'),
      api('POST', url('handoffs', id, 'messages'), { text, client_id: live.pending.clientId }));
    live.pending = null;
    if (live.openId === id) {
      appendLine({ seq: result && result.seq !== undefined ? result.seq : null, author_kind: 'agent',
        author: result && typeof result.author === 'string' ? result.author : '', text, time: Date.now() / 1000 });
      if (box.value.trim() === text) box.value = '';
      box.focus();
    }
  } catch (error) {
    if (error.status === 401) return;
    replyError(`Nicht gesendet: ${error.message}`); // the text stays in the box for another try
    box.focus();
    if (error.status === 409) refreshQueue(true);
  } finally {
    live.sending = false;
  }
}

function onReplyKey(event) {
  if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  $('reply-form').requestSubmit();
}

/** Typing frames for the citizen: "on" at most every 3 s while keys come, "off" 2 s after the last. */
function onReplyInput() {
  const id = live.openId;
  if (id === null) return;
  const out = live.typingOut;
  const now = Date.now();
  if (!out.on || out.handoff !== id || now - out.last >= LIMIT.typingEveryMs) {
    if (out.on && out.handoff !== id) stopTyping();
    sendFrame({ type: 'typing', handoff: id, on: true });
    Object.assign(out, { on: true, handoff: id, last: now });
  }
  clearTimeout(out.offTimer);
  out.offTimer = setTimeout(stopTyping, LIMIT.typingOffMs);
}

function stopTyping() {
  const out = live.typingOut;
  clearTimeout(out.offTimer);
  if (out.on) sendFrame({ type: 'typing', handoff: out.handoff, on: false });
  out.on = false;
}

// --- canned answers ------------------------------------------------------------------------------
async function loadCanned() {
  try {
    live.canned = listOf(await api('GET', url('canned')));
  } catch (error) {
    fail(error);
    return;
  }
  fillCannedSelect(live.openItem ? live.openItem.team : null);
  if (isAdmin()) renderCannedAdmin();
}

function fillCannedSelect(team) {
  const select = $('canned-select');
  const fitting = live.canned.filter((answer) => !answer.team || !team || answer.team === team);
  select.replaceChildren(
    el('option', { value: '', text: fitting.length ? '– bitte wählen –' : '– keine Textvorlagen –' }),
    ...fitting.map((answer) => el('option', { value: String(answer.id), text: answer.title })),
  );
}

function insertCanned() {
  const select = $('canned-select');
  const answer = live.canned.find((item) => String(item.id) === select.value);
  if (!answer) {
    replyError('Bitte wählen Sie zuerst eine Textvorlage aus.');
    select.focus();
    return;
  }
  const box = $('reply-text');
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? start;
  box.setRangeText(answer.text, start, end, 'end');
  select.value = '';
  replyError('');
  box.focus();
  onReplyInput();
}

function renderCannedAdmin() {
  const body = $('canned-rows');
  body.replaceChildren(...live.canned.map((answer) => {
    const titleId = `canned-title-${answer.id}`;
    const remove = el('button', { type: 'button', className: 'secondary small', text: 'Löschen', 'aria-describedby': titleId,
      dataset: { testid: 'canned-delete', id: String(answer.id) } });
    remove.addEventListener('click', () => deleteCanned(answer, remove));
    return el('tr', { dataset: { testid: 'canned-row', id: String(answer.id) } }, [
      el('th', { scope: 'row', id: titleId, text: answer.title }),
      el('td', { className: 'message-text', text: answer.text }),
      el('td', { text: answer.team ? teamName(answer.team) : 'alle Teams' }),
      el('td', null, [remove]),
    ]);
  }));
  if (!live.canned.length) body.append(el('tr', null, [el('td', { colspan: '4', className: 'empty', text: 'Noch keine Textvorlagen.' })]));
}

async function addCanned(event) {
  event.preventDefault();
  const titleInput = $('canned-title');
  const textInput = $('canned-text');
  const values = { title: titleInput.value.trim(), text: textInput.value.trim(), team: $('canned-team').value || null };
  markInvalid(titleInput, !values.title);
  markInvalid(textInput, !values.text);
  if (!values.title || !values.text) {
    showError(values.title ? 'Bitte geben Sie den Text der Vorlage ein.' : 'Bitte geben Sie einen Titel ein.');
    (values.title ? textInput : titleInput).focus();
    return;
  }
  clearError();
  try {
    await busy($('canned-add'), api('POST', url('canned'), values));
    $('canned-form').reset();
    announce(`Textvorlage „${values.title}“ hinzugefügt.`);
    await loadCanned();
    titleInput.focus();
  } catch (error) {
    fail(error);
  }
}

async function deleteCanned(answer, button) {
  clearError();
  try {
    await busy(button, api('DELETE', url('canned', answer.id)));
    announce(`Textvorlage „${answer.title}“ gelöscht.`);
    await loadCanned();
    $('canned-heading').focus();
  } catch (error) {
    fail(error);
  }
}

// --- teams, transfer, handback, close --------------------------------------------------------------
async function loadTeams() {
  try {
    live.teams = listOf(await api('GET', url('teams')));
  } catch (error) {
    fail(error);
    return;
  }
  $('canned-team').replaceChildren(
    el('option', { value: '', text: 'alle Teams' }),
    ...live.teams.map((team) => el('option', { value: team.id, text: team.name || team.id })),
  );
  if (live.openItem) fillTransferTeams(live.openItem.team);
}

function fillTransferTeams(current) {
  const others = live.teams.filter((team) => team.id !== current);
  $('transfer-team').replaceChildren(...(others.length
    ? others.map((team) => el('option', { value: team.id, text: `${team.name || team.id}${team.open === false ? ' (geschlossen)' : ''}` }))
    : [el('option', { value: '', text: '– kein anderes Team –' })]));
  $('transfer-team').disabled = !others.length;
  $('transfer').disabled = !others.length;
}

/** A modal confirmation (native <dialog>: focus stays inside, Escape cancels); resolves true or false. */
function confirmAction(question, text, yesLabel) {
  const dialog = $('confirm-dialog');
  const opener = document.activeElement;
  $('confirm-title').textContent = question;
  $('confirm-text').textContent = text;
  $('confirm-yes').textContent = yesLabel;
  return new Promise((resolve) => {
    const finish = (answer) => {
      $('confirm-yes').removeEventListener('click', yes);
      $('confirm-no').removeEventListener('click', no);
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      if (opener && opener.isConnected && opener.offsetParent !== null) opener.focus();
      else $('mine-heading').focus(); // the conversation ended meanwhile
      resolve(answer);
    };
    const yes = () => finish(true);
    const no = () => finish(false);
    const cancel = (event) => {
      event.preventDefault();
      finish(false);
    };
    $('confirm-yes').addEventListener('click', yes);
    $('confirm-no').addEventListener('click', no);
    dialog.addEventListener('cancel', cancel);
    dialog.showModal();
    $('confirm-no').focus();
  });
}

/** POST handoffs/{id}/{action}; on success the conversation leaves "Meine Gespräche". */
async function endConversation(action, button, body, doneText) {
  const id = live.openId;
  if (id === null) return;
  const item = live.openItem || { id };
  clearError();
  live.endedHere.add(id);
  try {
    await busy(button, api('POST', url('handoffs', id, action), body));
    removeFromMine(id);
    $('mine-heading').focus(); // the conversation panel is gone
    announce(`${title(item)} ${doneText}`);
  } catch (error) {
    live.endedHere.delete(id);
    fail(error);
    if (error.status === 409 || error.status === 404) resync();
  }
}

function transfer() {
  const team = $('transfer-team').value;
  if (!team) {
    showError('Bitte wählen Sie ein Team aus.');
    $('transfer-team').focus();
    return;
  }
  endConversation('transfer', $('transfer'), { team }, `an das Team ${teamName(team)} übergeben.`);
}

async function handback() {
  const yes = await confirmAction('Gespräch an den Bot zurückgeben?',
    'Der Bot antwortet dann wieder selbst. Das Gespräch verschwindet aus „Meine Gespräche“.', 'Ja, an den Bot zurückgeben');
  if (yes) await endConversation('handback', $('handback'), undefined, 'an den Bot zurückgegeben.');
}

async function closeConversation() {
  const yes = await confirmAction('Gespräch beenden?',
    'Das Gespräch wird geschlossen, und die Bürgerin oder der Bürger wird um eine Bewertung gebeten.', 'Ja, Gespräch beenden');
  if (yes) await endConversation('close', $('close-conversation'), undefined, 'beendet.');
}

// --- WebSocket /staff/ws/live ----------------------------------------------------------------------
function connect() {
  clearTimeout(live.reconnectTimer);
  if (live.ws) return;
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  let ws;
  try {
    ws = new WebSocket(`${scheme}//${window.location.host}/staff/ws/live`);
  } catch (error) {
    onClosed(false);
    return;
  }
  live.ws = ws;
  let opened = false;
  ws.addEventListener('open', () => {
    opened = true;
    live.attempt = 0;
    setConnection('online');
    resync(); // whatever happened while there was no connection
  });
  ws.addEventListener('message', (event) => onFrame(event.data));
  ws.addEventListener('close', () => {
    if (live.ws !== ws) return;
    live.ws = null;
    onClosed(opened);
  });
}

function onClosed(wasOpen) {
  setConnection('offline');
  live.typingOut.on = false;
  for (const id of Array.from(live.typing.keys())) setCitizenTyping(id, false);
  const delay = Math.min(LIMIT.reconnectMaxMs, LIMIT.reconnectBaseMs * 2 ** Math.min(live.attempt, 5));
  live.attempt += 1;
  live.reconnectTimer = setTimeout(connect, delay * (0.8 + Math.random() * 0.4));
  // A socket refused again and again may mean the session has ended: GET /me sends a 401 to the login page.
  if (!wasOpen && live.attempt >= 2) api('GET', '/staff/api/me').catch(() => {});
}

function sendFrame(frame) {
  const { ws } = live;
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  try {
    ws.send(JSON.stringify(frame));
  } catch (error) {
    // closing: the close handler reconnects
  }
}

function onFrame(raw) {
  let frame;
  try {
    frame = JSON.parse(raw);
  } catch (error) {
    return;
  }
  if (!frame || typeof frame !== 'object') return;
  if (frame.type === 'queue') applyQueue(frame);
  else if (frame.type === 'message') onMessage(Number(frame.handoff), frame.line);
  else if (frame.type === 'typing') setCitizenTyping(Number(frame.handoff), frame.on === true);
  else if (frame.type === 'ended') onEnded(Number(frame.handoff), frame.state);
  else if (frame.type === 'callbacks') document.dispatchEvent(new CustomEvent('bb-callbacks-changed')); // callbacks.js
}

function onMessage(id, line) {
  if (!line || typeof line !== 'object') return;
  const fromOthers = line.author_kind !== 'agent';
  if (line.author_kind === 'citizen') setCitizenTyping(id, false);
  if (id === live.openId && appendLine(line) && fromOthers) {
    if (!sectionVisible()) live.unread.add(id);
    const who = line.author_kind === 'system' ? AUTHORS.system : AUTHORS[line.author_kind] || AUTHORS.system;
    announceIn($('live-announce'), sectionVisible() ? `${who}: ${line.text || ''}` : `Neue Nachricht in ${title(live.openItem)}.`);
  } else if (id !== live.openId && fromOthers && live.queue.mine.some((item) => item.id === id)) {
    live.unread.add(id);
    const item = live.queue.mine.find((own) => own.id === id);
    announceIn($('live-announce'), `Neue Nachricht in ${title(item)}.`);
  }
  renderMine();
}

function onEnded(id, endState) {
  const item = live.known.get(id) || (live.openId === id ? live.openItem : null);
  const ours = !live.endedHere.delete(id);
  live.known.delete(id);
  for (const team of live.queue.teams) team.queue = team.queue.filter((queued) => queued.id !== id);
  removeFromMine(id);
  renderQueue();
  // Not ours (another agent's conversation) or ended by this console (already announced): no notice.
  if (item && ours) notice(`${title(item)} ${ENDED[endState] || 'ist nicht mehr bei Ihnen'}.`);
}

/** After (re)connecting: the queue and own conversations again, and the open transcript. */
async function resync() {
  const before = live.loadToken; // a conversation opened meanwhile is newer than this refresh
  if (!(await refreshQueue(true)) || live.openId === null || live.loadToken !== before) return;
  const id = live.openId;
  if (!live.queue.mine.some((item) => item.id === id)) {
    const item = live.openItem || { id };
    hideConversation();
    notice(`${title(item)} ist nicht mehr bei Ihnen.`);
    return;
  }
  const token = ++live.loadToken;
  try {
    const data = await api('GET', url('handoffs', id));
    if (token === live.loadToken && live.openId === id) showConversation(data);
  } catch (error) {
    // shown again at the next reconnect or selection
  }
}

// --- section entry points --------------------------------------------------------------------------
/** First display of the section: connect (the agent counts as online from now on) and load. */
export async function loadLive() {
  if (live.started) return;
  live.started = true;
  connect();
  setInterval(tick, 1000);
  window.addEventListener('online', () => { if (!live.ws) connect(); });
  await refreshQueue(false);
  await loadTeams();
  await loadCanned();
}

/** Every display of the section: the open conversation is seen now. */
export function showLive() {
  if (live.openId === null || !live.unread.delete(live.openId)) return;
  renderMine();
}

export function setupLive() {
  $('reply-form').addEventListener('submit', sendReply);
  $('reply-text').addEventListener('keydown', onReplyKey);
  $('reply-text').addEventListener('input', onReplyInput);
  $('reply-text').addEventListener('blur', stopTyping);
  $('canned-insert').addEventListener('click', insertCanned);
  $('transfer').addEventListener('click', transfer);
  $('handback').addEventListener('click', handback);
  $('close-conversation').addEventListener('click', closeConversation);
  $('canned-form').addEventListener('submit', addCanned);
}
