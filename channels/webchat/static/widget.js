/* Bürgerbot web chat widget (Stadt Musterstadt), an ES2020 module without a build step.
 * Embed: <script type="module" src="https://GATEWAY/widget.js"></script>
 * Script attributes: data-gateway="https://host" (gateway base URL), data-open="true". Page URL: ?kiosk=1[&kiosk_timeout=S].
 * It imports the shared kit from the gateway (/static/shared/ui.js; module scripts load in CORS mode, so the
 * gateway sends Access-Control-Allow-Origin: * for them). Message text is only ever rendered with text nodes,
 * never parsed as HTML.
 * Secrets: when the bot asks for the access code (a message with input "secret"), the next entry is typed into a
 * password field and neither it nor the bot's answer to it is ever stored in the browser (memory only).
 * Human handoff (docs/handoff.md, "Web chat frames"): pushes of staff members and system notices (kept with their
 * seq; the highest one shown goes back as ?since= on every connect, and replays at or below it are ignored), the
 * queue position above the input, the staff member's typing indicator, and the citizen's typing frames (only over
 * an open WebSocket, never through the outbox). On the HTTP fallback the same pushes come from polling. */
import { announce, el, fetchJson } from './static/shared/ui.js';

const TEXT = {
  launcher: 'Chat mit dem Bürgerbot',
  panelLabel: 'Chat mit dem Bürgerbot',
  title: 'Bürgerbot',
  subtitle: 'Stadt Musterstadt',
  intro: 'Stellen Sie Ihre Frage zu Leistungen, Öffnungszeiten, Terminen oder zum Stand Ihres Antrags. ' +
    'Bitte geben Sie keine Gesundheits- oder Bankdaten ein.',
  logLabel: 'Gesprächsverlauf',
  newConversation: 'Neues Gespräch',
  close: 'Chat schließen',
  inputLabel: 'Ihre Nachricht',
  placeholder: 'Schreiben Sie Ihre Frage …',
  secretPlaceholder: 'Zugangscode eingeben',
  secretHint: 'Der Zugangscode wird verdeckt eingegeben und nicht im Browser gespeichert.',
  inputHint: 'Die Eingabetaste sendet die Nachricht, Umschalt und Eingabetaste fügen eine neue Zeile ein.',
  send: 'Senden',
  counter: (length, max) => `${length} von ${max} Zeichen`,
  typing: 'Bürgerbot schreibt …',
  agentTyping: (author) => `${author} schreibt …`,
  agentTypingAnonymous: 'Eine Mitarbeiterin oder ein Mitarbeiter schreibt …',
  agentAnonymous: 'Mitarbeiterin oder Mitarbeiter',
  prefix: { user: 'Sie: ', bot: 'Bürgerbot: ', system: 'Hinweis: ' },
  authorSeparator: ': ',
  queue: {
    position: (position) => (position === 1 ? 'Sie sind als Nächstes an der Reihe.'
      : `Sie sind an Position ${position} in der Warteschlange.`),
    wait: (minutes) => (minutes < 1 ? 'Geschätzte Wartezeit: weniger als eine Minute.'
      : `Geschätzte Wartezeit: etwa ${minutes} ${minutes === 1 ? 'Minute' : 'Minuten'}.`),
    leave: 'Warteschlange verlassen',
  },
  quickReplies: 'Antwortvorschläge',
  newTab: '(öffnet in neuem Tab)',
  pending: 'wird gesendet …',
  failed: 'nicht gesendet',
  status: {
    online: 'Verbunden',
    offline: 'Verbindung unterbrochen – Ihre Nachricht wird gesendet, sobald die Verbindung wieder steht.',
    connecting: 'Verbinde …',
  },
  kioskReset: 'Das Gespräch wurde aus Datenschutzgründen zurückgesetzt.',
  sendFailed: 'Ihre Nachricht konnte nicht gesendet werden.',
  rating: { question: 'War diese Antwort hilfreich?', up: 'Ja', down: 'Nein', thanks: 'Danke für Ihre Rückmeldung.',
    failed: 'Ihre Bewertung konnte nicht gespeichert werden.' },
  genericError: 'Es ist ein Fehler aufgetreten. Bitte versuchen Sie es erneut.',
};

const KEY = {
  session: 'buergerbot.session', history: 'buergerbot.history', outbox: 'buergerbot.outbox', seq: 'buergerbot.seq',
};
const LIMIT = {
  history: 200, input: 2000, secret: 64, counterFrom: 1800, wsBaseDelay: 500, wsMaxDelay: 10000, fallbackMaxDelay: 30000,
  httpBaseDelay: 1000, typingSafety: 30000, styleWait: 3000, kioskTimeoutSeconds: 120,
  agentTyping: 10000, typingEvery: 3000, typingIdle: 2000, poll: 3000, author: 120,
};
const URL_PATTERN = /https?:\/\/[^\s<>"'`]+/g;
const ICON = {
  chat: 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z',
  close: 'M6 6l12 12M18 6L6 18',
  send: 'M3 20.5l18-8.5L3 3.5V10l12 2-12 2z',
};
const timeFormat = new Intl.DateTimeFormat('de-DE', { hour: '2-digit', minute: '2-digit' });
const dateFormat = new Intl.DateTimeFormat('de-DE', { dateStyle: 'full', timeStyle: 'short' });

// Module scripts have no document.currentScript: find our tag by its URL (for the data-* attributes).
const script = Array.from(document.querySelectorAll('script[src]')).find((tag) => tag.src === import.meta.url)
  || document.querySelector('script[src*="widget.js"]');
const config = readConfig(script);
const store = createStore(config.kiosk);
const state = {
  open: false, started: false, status: '', dirty: false,
  session: store.get(KEY.session) || '',
  history: loadList(KEY.history, isValidEntry).slice(-LIMIT.history),
  outbox: loadList(KEY.outbox, (item) => typeof item.id === 'string'),
  seq: loadSeq(), // the highest push seq shown; sent as ?since= so that the gateway replays only newer ones
  queue: null, // {position, wait} while queued for a staff member
  botTyping: false, agentTyping: false,
  citizenTyping: false, citizenTypingSentAt: 0, // the citizen's own typing frames (WebSocket only)
  polling: false, // an HTTP fallback poll for updates is under way
  transport: 'WebSocket' in window ? 'ws' : 'http', // 'http' = fallback while WebSocket is unavailable
  ws: null, wsReady: false, wsFailures: 0, attempt: 0, httpAttempt: 0, httpBusy: false,
  generation: 0, // bumped on every reset so late answers of an old conversation are ignored
  secretIds: new Set(), // ids of secret entries: they and the answers to them live in memory only
};
state.expectSecret = expectsSecret(state.history);
const timers = {};
const ui = {};

// ---------------------------------------------------------------- configuration & storage

function readConfig(tag) {
  const params = new URLSearchParams(window.location.search);
  const override = tag && tag.dataset.gateway;
  const base = override
    ? new URL(override, window.location.href).href.replace(/\/+$/, '')
    : new URL(import.meta.url).origin; // the gateway that served this module
  const kiosk = params.get('kiosk') === '1';
  const timeout = Number(params.get('kiosk_timeout'));
  return {
    base,
    wsBase: base.replace(/^http/, 'ws'),
    kiosk,
    startOpen: kiosk || Boolean(tag && tag.dataset.open === 'true'),
    kioskTimeoutMs: (timeout > 0 ? timeout : LIMIT.kioskTimeoutSeconds) * 1000,
  };
}

/** Returns fn(), or fallback if it throws (blocked storage, bad JSON, closed socket, bad URL). */
function attempt(fn, fallback = null) {
  try {
    return fn();
  } catch (error) {
    return fallback;
  }
}

/** localStorage wrapper; in kiosk mode (or when storage is blocked) nothing is ever read or written. */
function createStore(memoryOnly) {
  const storage = memoryOnly ? null : attempt(() => (window.localStorage.getItem(KEY.session), window.localStorage));
  const use = (fn) => (storage ? attempt(() => fn(storage)) : null); // quota errors: memory stays authoritative
  return {
    get: (key) => use((s) => s.getItem(key)),
    set: (key, value) => use((s) => s.setItem(key, value)),
    remove: (key) => use((s) => s.removeItem(key)),
  };
}

function loadList(key, isValid) {
  const value = attempt(() => JSON.parse(store.get(key) || '[]'), []);
  return Array.isArray(value) ? value.filter((item) => item && typeof item === 'object' && isValid(item)) : [];
}

function isValidEntry(entry) {
  return ['user', 'bot', 'system'].includes(entry.kind) && typeof entry.text === 'string'
    && (entry.buttons === undefined || Array.isArray(entry.buttons))
    && (entry.author === undefined || entry.author === null || typeof entry.author === 'string');
}

function isSeq(value) {
  return Number.isSafeInteger(value) && value > 0;
}

function loadSeq() {
  const value = Number(store.get(KEY.seq));
  return isSeq(value) ? value : 0;
}

/** Whether the last bot answer asked for a secret (the access code). */
function expectsSecret(history) {
  const last = history.filter((entry) => entry.kind !== 'system').pop();
  return Boolean(last && last.kind === 'bot' && last.secretPrompt);
}

function save() {
  if (state.session) store.set(KEY.session, state.session);
  else store.remove(KEY.session);
  // Local notices (errors, kiosk reset) are not kept; pushed ones (system notices of a handoff) are.
  const kept = state.history.filter((entry) => (entry.kind !== 'system' || entry.push) && !entry.ephemeral);
  store.set(KEY.history, JSON.stringify(kept));
  if (state.seq) store.set(KEY.seq, String(state.seq));
  else store.remove(KEY.seq);
  const outbox = state.outbox.filter((item) => !item.secret).map(({ id, text, title, payload }) => ({ id, text, title, payload }));
  store.set(KEY.outbox, JSON.stringify(outbox));
}

function clearStorage() {
  Object.values(KEY).forEach((key) => store.remove(key));
}

function uuid() {
  if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---------------------------------------------------------------- DOM helpers (el() comes from the shared kit)

function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const path = document.createElementNS(ns, 'path');
  const attrs = { viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false', class: `bb-icon bb-icon-${name}` };
  Object.entries(attrs).forEach(([key, value]) => svg.setAttribute(key, value));
  path.setAttribute('d', ICON[name]);
  svg.append(path);
  return svg;
}

function buildUi() {
  ui.launcher = el('button', {
    type: 'button', id: 'buergerbot-launcher', className: 'bb-launcher',
    'aria-expanded': 'false', 'aria-controls': 'buergerbot-panel',
  }, [icon('chat'), el('span', { text: TEXT.launcher })]);
  ui.newButton = el('button',
    { type: 'button', id: 'buergerbot-new', className: 'bb-header-button', text: TEXT.newConversation });
  ui.closeButton = el('button', {
    type: 'button', id: 'buergerbot-close', className: 'bb-header-button bb-icon-button', 'aria-label': TEXT.close,
  }, icon('close'));
  const header = el('div', { className: 'bb-header' }, [
    el('div', { className: 'bb-title' }, [el('h2', { className: 'bb-heading', text: TEXT.title }),
      el('p', { className: 'bb-subtitle', text: TEXT.subtitle })]),
    el('div', { className: 'bb-actions' }, [ui.newButton, config.kiosk ? null : ui.closeButton]),
  ]);
  ui.intro = el('p', { className: 'bb-intro', text: TEXT.intro });
  ui.log = el('div', {
    id: 'buergerbot-log', className: 'bb-log', role: 'log', 'aria-live': 'polite',
    'aria-relevant': 'additions', 'aria-label': TEXT.logLabel, tabindex: '0',
  });
  ui.typingText = el('span', { text: TEXT.typing });
  ui.typing = el('div', { id: 'buergerbot-typing', className: 'bb-typing', hidden: true }, [
    el('span', { className: 'bb-dots', 'aria-hidden': 'true' }, [el('span'), el('span'), el('span')]),
    ui.typingText,
  ]);
  ui.status = el('p', { id: 'buergerbot-status', className: 'bb-status', role: 'status' });
  // The queue position: only the position sentence is a live region, so that a new estimate at the same
  // position is shown but not announced again.
  ui.queuePosition = el('span', {
    id: 'buergerbot-queue-position', className: 'bb-queue-position', role: 'status', 'aria-live': 'polite',
    'aria-atomic': 'true',
  });
  ui.queueWait = el('span', { id: 'buergerbot-queue-wait', className: 'bb-queue-wait' });
  ui.queueLeave = el('button', {
    type: 'button', id: 'buergerbot-queue-leave', className: 'bb-quick-reply bb-queue-leave',
    text: TEXT.queue.leave,
  });
  ui.queue = el('div', { id: 'buergerbot-queue', className: 'bb-queue', hidden: true }, [
    el('p', { className: 'bb-queue-text' }, [ui.queuePosition, ' ', ui.queueWait]), ui.queueLeave,
  ]);
  ui.textInput = el('textarea', {
    id: 'buergerbot-input', className: 'bb-input', rows: 1, maxlength: LIMIT.input, placeholder: TEXT.placeholder,
    autocomplete: 'off', 'aria-describedby': 'buergerbot-hint buergerbot-counter',
  });
  // Takes the textarea's place (and id) while the bot waits for the access code.
  ui.secretInput = el('input', {
    id: 'buergerbot-input', className: 'bb-input bb-secret-input', type: 'password', maxlength: LIMIT.secret,
    placeholder: TEXT.secretPlaceholder, autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false',
    'aria-describedby': 'buergerbot-hint buergerbot-secret-hint',
  });
  ui.input = state.expectSecret ? ui.secretInput : ui.textInput;
  ui.send = el('button', { type: 'submit', id: 'buergerbot-send', className: 'bb-send', disabled: true },
    [icon('send'), el('span', { text: TEXT.send })]);
  ui.counter = el('p', { id: 'buergerbot-counter', className: 'bb-counter', hidden: true });
  ui.form = el('form', { className: 'bb-form', novalidate: true }, [
    el('label', { for: 'buergerbot-input', className: 'bb-label', text: TEXT.inputLabel }),
    el('p', { id: 'buergerbot-hint', className: 'bb-sr', text: TEXT.inputHint }),
    el('p', { id: 'buergerbot-secret-hint', className: 'bb-sr', text: TEXT.secretHint }),
    el('div', { className: 'bb-input-row' }, [ui.input, ui.send]),
    ui.counter,
  ]);
  ui.panel = el('section', {
    id: 'buergerbot-panel', className: 'bb-panel', role: 'dialog', 'aria-modal': 'false',
    'aria-label': TEXT.panelLabel, hidden: true,
  }, [header, ui.intro, ui.log, ui.typing, ui.status, ui.queue, ui.form,
    el('span', { id: 'buergerbot-newtab', className: 'bb-sr', text: TEXT.newTab })]);
  ui.root = el('div', { id: 'buergerbot', className: config.kiosk ? 'bb-root bb-kiosk' : 'bb-root', lang: 'de' },
    [ui.panel, config.kiosk ? null : ui.launcher]);
}

// ---------------------------------------------------------------- rendering messages

function renderEntry(entry) {
  const text = el('p', { className: 'bb-text' });
  if (entry.kind === 'bot') appendLinkified(text, entry.text);
  else text.textContent = entry.text;
  const agent = isAgentEntry(entry);
  // Screen readers hear who wrote it: a hidden prefix, or for a staff member the visible name.
  const prefix = agent ? renderAuthor(entry.author) : el('span', { className: 'bb-sr', text: TEXT.prefix[entry.kind] });
  const bubble = el('div', { className: 'bb-bubble' }, [prefix, text]);
  const node = el('div', { className: `bb-msg bb-${entry.kind}${agent ? ' bb-agent' : ''}` }, bubble);
  if (entry.id) node.dataset.id = entry.id;
  if (entry.kind !== 'system') node.append(renderMeta(entry));
  if (entry.kind === 'user') setDelivery(node, entry.failed ? 'failed' : isPending(entry.id) ? 'pending' : 'sent');
  if (entry.kind !== 'user' && entry.buttons && entry.buttons.length) node.append(renderQuickReplies(entry.buttons));
  if (entry.kind === 'bot' && entry.rateable && entry.replyTo) node.append(renderRating(entry));
  return node;
}

const isAgentEntry = (entry) => Boolean(entry.push && entry.kind === 'bot');

/** The visible name of a staff member above their message ("Frau B. (Bürgeramt)"). */
function renderAuthor(author) {
  return el('p', { className: 'bb-author' }, [
    typeof author === 'string' && author ? author : TEXT.agentAnonymous,
    el('span', { className: 'bb-sr', text: TEXT.authorSeparator }),
  ]);
}

/** Thumbs up/down for the last message of an answer; staff see the rating next to the question. */
function renderRating(entry) {
  const question = el('span', { className: 'bb-rating-question', text: TEXT.rating.question });
  const feedback = el('span', { className: 'bb-rating-feedback', role: 'status' });
  const group = el('div', { className: 'bb-rating', role: 'group', 'aria-label': TEXT.rating.question }, [question]);
  const choices = [['up', 1, '\u{1F44D}'], ['down', -1, '\u{1F44E}']].map(([key, value, symbol]) => {
    const node = el('button', { type: 'button', className: 'bb-rating-button', 'aria-pressed': String(entry.rating === value) },
      [el('span', { 'aria-hidden': 'true', text: `${symbol} ` }), TEXT.rating[key]]);
    node.addEventListener('click', () => rate(entry, value, choices, feedback));
    return node;
  });
  group.append(...choices, feedback);
  return group;
}

async function rate(entry, value, choices, feedback) {
  const response = await fetchJson(`${config.base}/api/webchat/rating`, {
    method: 'POST', credentials: 'omit', cache: 'no-store',
    body: { session: state.session, id: entry.replyTo, value },
  });
  if (!response.ok) {
    announce(feedback, TEXT.rating.failed);
    return;
  }
  entry.rating = value;
  save();
  choices[0].setAttribute('aria-pressed', String(value === 1));
  choices[1].setAttribute('aria-pressed', String(value === -1));
  announce(feedback, TEXT.rating.thanks);
}

function renderMeta(entry) {
  const meta = el('div', { className: 'bb-meta' });
  const date = new Date(entry.time);
  if (!Number.isNaN(date.getTime())) {
    meta.append(el('time', { datetime: date.toISOString(), title: dateFormat.format(date), text: timeFormat.format(date) }));
  }
  if (entry.kind === 'user') meta.append(el('span', { className: 'bb-delivery' }));
  return meta;
}

function setDelivery(node, delivery) {
  const label = node && node.querySelector('.bb-delivery');
  if (!label) return;
  node.classList.toggle('bb-pending', delivery === 'pending');
  node.classList.toggle('bb-failed', delivery === 'failed');
  label.textContent = delivery === 'pending' ? TEXT.pending : delivery === 'failed' ? TEXT.failed : '';
}

/** Appends text to parent, turning http(s) URLs into links; never parses HTML. */
function appendLinkified(parent, text) {
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = trimUrl(match[0]);
    if (match.index > last) parent.append(text.slice(last, match.index));
    parent.append(makeLink(url) || url);
    last = match.index + url.length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

function trimUrl(url) {
  let result = url.replace(/[.,;:!?»«“”‘’]+$/, '');
  const count = (s, ch) => s.split(ch).length - 1;
  while (result.endsWith(')') && count(result, '(') < count(result, ')')) {
    result = result.slice(0, -1).replace(/[.,;:!?]+$/, '');
  }
  return result;
}

function makeLink(url) {
  const parsed = attempt(() => new URL(url));
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) return null;
  const attrs = { href: parsed.href, target: '_blank', rel: 'noopener noreferrer', 'aria-describedby': 'buergerbot-newtab' };
  return el('a', { ...attrs, text: url });
}

function renderQuickReplies(buttons) {
  const group = el('div', { className: 'bb-quick-replies', role: 'group', 'aria-label': TEXT.quickReplies });
  for (const button of buttons) {
    const node = el('button', { type: 'button', className: 'bb-quick-reply', text: button.title });
    const send = () => sendOutgoing({ id: uuid(), title: button.title, payload: button.payload }, button.title);
    node.addEventListener('click', send); // buttons stay usable after a click
    group.append(node);
  }
  return group;
}

function renderHistory() {
  ui.log.replaceChildren(...state.history.map(renderEntry));
  updateIntro();
  scrollToEnd();
}

function addEntry(entry) {
  state.history.push(entry);
  ui.log.append(renderEntry(entry));
  while (state.history.length > LIMIT.history) {
    state.history.shift();
    ui.log.firstElementChild.remove();
  }
  save();
  updateIntro();
  scrollToEnd();
}

const addSystem = (text) => addEntry({ kind: 'system', text: String(text), time: new Date().toISOString() });

const frameTime = (frame) => (Number.isNaN(Date.parse(frame.time)) ? new Date().toISOString() : frame.time);
const frameMessages = (frame) => (Array.isArray(frame.messages) ? frame.messages : [])
  .filter((message) => message && typeof message === 'object');
const messageText = (message) => (typeof message.text === 'string' ? message.text : '');

function readButtons(message) {
  return (Array.isArray(message.buttons) ? message.buttons : [])
    .filter((b) => b && typeof b.title === 'string')
    .map((b) => ({ title: b.title, payload: typeof b.payload === 'string' ? b.payload : b.title }));
}

function addBotMessages(frame) {
  const time = frameTime(frame);
  const replyTo = typeof frame.reply_to === 'string' ? frame.reply_to : null;
  // The server de-duplicates resent messages; ignore a replayed copy of a reply already shown.
  if (replyTo && state.history.some((e) => e.kind === 'bot' && e.replyTo === replyTo && e.time === time)) return;
  const valid = frameMessages(frame);
  const ephemeral = Boolean(replyTo && state.secretIds.has(replyTo)); // the answer to a secret: memory only
  valid.forEach((message, index) => {
    // One rating per answer, under its last message; the gateway's own answers (handoff) are not the bot's.
    const rateable = frame.rateable !== false && index === valid.length - 1;
    const secretPrompt = message.input === 'secret';
    addEntry({ kind: 'bot', text: messageText(message), time, replyTo, buttons: readButtons(message), rateable,
      secretPrompt, ephemeral });
  });
  setSecretMode(valid.some((message) => message.input === 'secret'));
}

/** A message that answers nothing the citizen sent: from a staff member (role "agent") or a system notice.
 * Shown once: a push at or below the highest seq shown is a replay after a reconnect. */
function addPush(frame) {
  const seq = isSeq(frame.seq) ? frame.seq : null;
  if (seq !== null && seq <= state.seq) return;
  if (seq !== null) state.seq = seq; // saved with the entries below
  setAgentTyping(false);
  const kind = frame.role === 'system' ? 'system' : 'bot';
  const author = kind === 'bot' && typeof frame.author === 'string' && frame.author.trim()
    ? frame.author.trim().slice(0, LIMIT.author) : null;
  const time = frameTime(frame);
  frameMessages(frame).forEach((message) => {
    addEntry({ kind, push: true, seq, author, text: messageText(message), time, buttons: readButtons(message) });
  });
  save(); // also when the push had no messages: its seq counts
}

/** The author of the last push (null for a system notice or an unnamed staff member). */
function lastPushAuthor() {
  const entry = state.history.slice().reverse().find((e) => e.push);
  return entry && typeof entry.author === 'string' && entry.author ? entry.author : null;
}

/** Password-style input (nothing kept in the browser) while the bot waits for a secret. */
function setSecretMode(on) {
  state.expectSecret = on;
  const next = on ? ui.secretInput : ui.textInput;
  if (ui.input === next) return;
  const hadFocus = document.activeElement === ui.input;
  ui.input.value = '';
  ui.input.replaceWith(next);
  ui.input = next;
  updateInputState();
  if (hadFocus) ui.input.focus();
}

const findMessageNode = (id) => Array.from(ui.log.children).find((node) => node.dataset.id === id) || null;
const updateIntro = () => { ui.intro.hidden = state.history.length > 0; };
const scrollToEnd = () => { ui.log.scrollTop = ui.log.scrollHeight; };

/** The bot's typing indicator; a staff member's (below) takes the same place and wins while both are on. */
function setTyping(on) {
  state.botTyping = on;
  clearTimeout(timers.typing);
  if (on) timers.typing = setTimeout(() => setTyping(false), LIMIT.typingSafety);
  renderTyping();
}

/** Dropped after LIMIT.agentTyping without a new agent_typing frame: an indicator that never ends misleads. */
function setAgentTyping(on) {
  state.agentTyping = on;
  clearTimeout(timers.agentTyping);
  if (on) timers.agentTyping = setTimeout(() => setAgentTyping(false), LIMIT.agentTyping);
  renderTyping();
}

function renderTyping() {
  const on = state.botTyping || state.agentTyping;
  const author = state.agentTyping && lastPushAuthor();
  ui.typingText.textContent = !state.agentTyping ? TEXT.typing
    : author ? TEXT.agentTyping(author) : TEXT.agentTypingAnonymous;
  ui.typing.classList.toggle('bb-typing-agent', state.agentTyping);
  const wasHidden = ui.typing.hidden;
  ui.typing.hidden = !on;
  if (on && wasHidden) scrollToEnd(); // the log just got shorter
}

/** The queue position and estimated wait above the input; frame.position null hides it. */
function setQueue(frame) {
  const position = frame && Number.isSafeInteger(frame.position) && frame.position > 0 ? frame.position : null;
  const wait = position && Number.isFinite(frame.wait_minutes) && frame.wait_minutes >= 0
    ? Math.round(frame.wait_minutes) : null;
  const before = state.queue;
  state.queue = position ? { position, wait } : null;
  if (!position) {
    if (ui.queue.contains(document.activeElement)) ui.input.focus(); // the leave button goes: keep focus in the chat
    ui.queue.hidden = true;
    announce(ui.queuePosition, ''); // also cancels an announcement still waiting
    ui.queueWait.textContent = '';
    return;
  }
  ui.queue.hidden = false; // first, so that the live region exists (empty) before its text arrives
  // Only a new position changes the live region (and is announced); a new estimate is just shown.
  if (!before || before.position !== position) announce(ui.queuePosition, TEXT.queue.position(position));
  ui.queueWait.textContent = wait === null ? '' : TEXT.queue.wait(wait);
}

function leaveQueue() {
  sendOutgoing({ id: uuid(), title: TEXT.queue.leave, payload: '/handoff_leave' }, TEXT.queue.leave);
}

function setStatus(status) {
  if (state.status === status) return;
  state.status = status;
  ui.status.dataset.state = status;
  ui.status.textContent = TEXT.status[status];
}

// ---------------------------------------------------------------- panel & input

/** Opens or closes the (non-modal) panel; focus goes to the input, or back to the launcher. */
function setOpen(open, moveFocus = true) {
  if (!open && config.kiosk) return; // the kiosk panel is always open
  state.open = open;
  ui.panel.hidden = !open;
  ui.root.classList.toggle('bb-is-open', open);
  ui.launcher.setAttribute('aria-expanded', String(open));
  if (open) {
    updateInputState();
    scrollToEnd();
    ensureConnected();
  }
  if (moveFocus) (open ? ui.input : ui.launcher).focus();
}

function updateInputState() {
  const length = ui.input.value.length;
  const showCounter = length > LIMIT.counterFrom;
  ui.send.disabled = ui.input.value.trim() === '';
  ui.counter.hidden = !showCounter;
  ui.counter.textContent = showCounter ? TEXT.counter(length, LIMIT.input) : '';
  if (ui.input.offsetParent) {
    ui.input.style.height = 'auto';
    ui.input.style.height = `${ui.input.scrollHeight + 4}px`; // + borders; CSS caps the height
  }
}

function submitInput() {
  const text = ui.input.value.trim().slice(0, LIMIT.input);
  if (!text) return;
  ui.input.value = '';
  updateInputState();
  if (state.expectSecret) { // shown masked, kept in memory only, never written to storage
    const item = { id: uuid(), text, secret: true };
    state.secretIds.add(item.id);
    setSecretMode(false);
    sendOutgoing(item, '•'.repeat(Math.min(text.length, LIMIT.secret)), true);
    return;
  }
  sendOutgoing({ id: uuid(), text }, text);
}

// ---------------------------------------------------------------- the citizen's typing frames

/** On every input: "typing on" at once after a pause, then at most every LIMIT.typingEvery while typing
 * goes on; "off" LIMIT.typingIdle after the last keystroke. Only over an open WebSocket and never through
 * the outbox: a late typing frame means nothing. */
function onCitizenInput() {
  if (!isWsReady()) return;
  const now = Date.now();
  const due = !state.citizenTyping || now - state.citizenTypingSentAt >= LIMIT.typingEvery;
  if (due && sendFrame({ type: 'typing', on: true })) {
    Object.assign(state, { citizenTyping: true, citizenTypingSentAt: now });
  }
  clearTimeout(timers.citizenTyping);
  timers.citizenTyping = setTimeout(stopCitizenTyping, LIMIT.typingIdle);
}

function stopCitizenTyping() {
  clearTimeout(timers.citizenTyping);
  if (!state.citizenTyping) return;
  state.citizenTyping = false;
  if (isWsReady()) sendFrame({ type: 'typing', on: false });
}

// ---------------------------------------------------------------- outbox

const isPending = (id) => state.outbox.some((item) => item.id === id);

/** Every outgoing message stays in the outbox until the gateway acknowledges it. */
function sendOutgoing(item, shownText, ephemeral = false) {
  stopCitizenTyping();
  state.outbox.push(item);
  addEntry({ kind: 'user', id: item.id, text: shownText, time: new Date().toISOString(), ephemeral });
  ensureConnected();
  if (state.transport === 'http') flushHttp();
  else if (isWsReady()) wsSend(item);
}

function acknowledge(id) {
  const index = state.outbox.findIndex((item) => item.id === id);
  if (index === -1) return;
  state.outbox.splice(index, 1);
  save();
  setDelivery(findMessageNode(id), 'sent');
}

function dropFromOutbox(id) {
  state.outbox = state.outbox.filter((item) => item.id !== id);
  const entry = state.history.find((e) => e.id === id);
  if (entry) entry.failed = true;
  save();
  setDelivery(findMessageNode(id), 'failed');
}

/** Adopts the session id the gateway assigned; a different id means the old conversation is gone. */
function adoptSession(id, sentId) {
  if (typeof id !== 'string' || !id) return;
  if (sentId && id !== sentId) {
    state.history = state.history.filter((e) => e.kind === 'user' && isPending(e.id));
    state.seq = 0; // the new conversation has had no pushes yet
    setQueue(null);
    renderHistory();
  }
  state.session = id;
  save();
}

// ---------------------------------------------------------------- WebSocket transport

function ensureConnected() {
  if (state.started) return;
  state.started = true;
  setStatus('connecting');
  connectWs();
}

const isWsReady = () => Boolean(state.ws && state.wsReady && state.ws.readyState === WebSocket.OPEN);

function connectWs() {
  clearTimeout(timers.ws);
  if (!('WebSocket' in window)) {
    enterHttpMode();
    return;
  }
  if (state.ws) return;
  const sentId = state.session;
  const query = `session=${encodeURIComponent(sentId)}&since=${state.seq}`; // the gateway replays newer pushes
  const ws = attempt(() => new WebSocket(`${config.wsBase}/ws/chat?${query}`));
  if (!ws) {
    onWsClosed(false); // e.g. ws: blocked on an https page
    return;
  }
  let opened = false;
  Object.assign(state, { ws, wsReady: false });
  ws.onopen = () => { opened = true; state.wsFailures = 0; };
  ws.onmessage = (event) => handleFrame(attempt(() => JSON.parse(event.data)), sentId);
  ws.onerror = () => {}; // a close event always follows
  ws.onclose = () => {
    if (state.ws !== ws) return;
    Object.assign(state, { ws: null, wsReady: false });
    onWsClosed(opened);
  };
}

function closeWs() {
  const ws = state.ws;
  Object.assign(state, { ws: null, wsReady: false });
  if (!ws) return;
  ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
  attempt(() => ws.close(1000));
}

function onWsClosed(wasOpen) {
  setTyping(false);
  setAgentTyping(false);
  Object.assign(state, { citizenTyping: false, citizenTypingSentAt: 0 }); // the gateway forgets it with the connection
  if (!wasOpen) state.wsFailures += 1;
  if (state.transport === 'ws' && state.wsFailures >= 2) enterHttpMode();
  if (state.transport === 'ws' || !navigator.onLine) setStatus('offline');
  const max = state.transport === 'http' ? LIMIT.fallbackMaxDelay : LIMIT.wsMaxDelay;
  const delay = Math.min(max, LIMIT.wsBaseDelay * 2 ** Math.min(state.attempt, 8));
  state.attempt += 1;
  timers.ws = setTimeout(connectWs, delay);
}

function wsSend(item) {
  const frame = item.payload !== undefined
    ? { type: 'button', id: item.id, title: item.title, payload: item.payload }
    : { type: 'message', id: item.id, text: item.text };
  sendFrame(frame); // on failure it stays in the outbox for the next connect
}

/** Sends a frame over the open socket; true if it went out. */
const sendFrame = (frame) => attempt(() => (state.ws.send(JSON.stringify(frame)), true), false);

function handleFrame(frame, sentId) {
  if (!frame || typeof frame !== 'object') return;
  if (frame.type === 'session') onSession(frame.session, sentId);
  else if (frame.type === 'ack') acknowledge(frame.id);
  else if (frame.type === 'typing') setTyping(frame.on === true);
  else if (frame.type === 'push') addPush(frame);
  else if (frame.type === 'queue') setQueue(frame);
  else if (frame.type === 'agent_typing') setAgentTyping(frame.on === true);
  else if (frame.type === 'bot') {
    setTyping(false);
    acknowledge(frame.reply_to);
    addBotMessages(frame);
  } else if (frame.type === 'error') {
    addSystem(typeof frame.text === 'string' ? frame.text : TEXT.genericError);
    if (state.secretIds.has(frame.reply_to)) setSecretMode(true); // the code was refused: ask for it masked again
  }
}

function onSession(id, sentId) {
  adoptSession(id, sentId);
  Object.assign(state, { wsReady: true, wsFailures: 0, attempt: 0, transport: 'ws' });
  [timers.http, timers.poll].forEach(clearTimeout); // the WebSocket works again: no more polling
  setStatus('online');
  state.outbox.forEach(wsSend); // resend unacknowledged messages in order, with the same ids
}

// ---------------------------------------------------------------- HTTP fallback transport

function enterHttpMode() {
  state.transport = 'http';
  flushHttp();
  pollUpdates();
}

/** While on the fallback: pushes and the queue position every LIMIT.poll (once there is a session). */
async function pollUpdates() {
  clearTimeout(timers.poll);
  if (state.transport !== 'http' || state.polling) return;
  state.polling = true;
  const generation = state.generation;
  try {
    if (state.session) {
      const query = `session=${encodeURIComponent(state.session)}&since=${state.seq}`;
      const url = `${config.base}/api/webchat/updates?${query}`;
      const response = await fetchJson(url, { credentials: 'omit', cache: 'no-store' });
      if (generation === state.generation && state.transport === 'http') applyUpdates(response);
    }
  } finally {
    state.polling = false;
    if (state.transport === 'http') timers.poll = setTimeout(pollUpdates, LIMIT.poll);
  }
}

function applyUpdates(response) {
  if (response.status === 0) {
    setStatus('offline');
    return;
  }
  const data = response.data;
  if (!response.ok || !data || typeof data !== 'object') return;
  setStatus('online');
  (Array.isArray(data.pushes) ? data.pushes : []).filter((push) => push && typeof push === 'object')
    .sort((a, b) => (Number(a.seq) || 0) - (Number(b.seq) || 0)).forEach(addPush);
  if (data.queue === null || typeof data.queue === 'object') setQueue(data.queue);
}

async function flushHttp() {
  if (state.httpBusy) return;
  state.httpBusy = true;
  const generation = state.generation;
  try {
    while (state.transport === 'http' && state.outbox.length && generation === state.generation) {
      const outcome = await postItem(state.outbox[0], generation);
      if (outcome === 'retry') {
        scheduleHttpRetry();
        break;
      }
      state.httpAttempt = 0;
    }
  } finally {
    state.httpBusy = false;
    if (generation !== state.generation) flushHttp(); // conversation was reset meanwhile
  }
}

function scheduleHttpRetry() {
  clearTimeout(timers.http);
  const delay = Math.min(LIMIT.fallbackMaxDelay, LIMIT.httpBaseDelay * 2 ** Math.min(state.httpAttempt, 8));
  state.httpAttempt += 1;
  timers.http = setTimeout(flushHttp, delay);
}

async function postItem(item, generation) {
  const sentId = state.session;
  const body = item.payload !== undefined
    ? { session: sentId, id: item.id, payload: item.payload, title: item.title }
    : { session: sentId, id: item.id, text: item.text };
  setTyping(true);
  const response = await fetchJson(`${config.base}/api/webchat/message`, {
    method: 'POST', body, credentials: 'omit', cache: 'no-store',
  });
  const { data } = response;
  setTyping(false);
  if (generation !== state.generation) return 'stale';
  if (response.status === 0) { // network error
    setStatus('offline');
    return 'retry';
  }
  if (response.ok) {
    setStatus('online');
    if (data) adoptSession(data.session, sentId);
    acknowledge(item.id);
    if (data) addBotMessages(data);
    return 'ok';
  }
  const detail = data && typeof data.detail === 'string' ? data.detail : '';
  if (![400, 413, 422].includes(response.status)) { // 429, 503, proxies …: keep the message and retry
    if (detail && !item.noticeShown) addSystem(detail);
    item.noticeShown = true;
    setStatus(response.status === 429 ? 'online' : 'offline');
    return 'retry';
  }
  addSystem(detail || TEXT.sendFailed); // the request itself is unacceptable (e.g. too long): retrying cannot help
  dropFromOutbox(item.id);
  if (item.secret) setSecretMode(true);
  return 'dropped';
}

// ---------------------------------------------------------------- reset & kiosk

function resetConversation() {
  // Leaving for a new conversation while queued for a person: give the place in the queue back
  // (best effort; the gateway also returns it to nobody when no one answers).
  if (state.queue && state.ws && state.ws.readyState === WebSocket.OPEN) {
    sendFrame({ type: 'button', id: uuid(), title: TEXT.queue.leave, payload: '/handoff_leave' });
  }
  state.generation += 1;
  closeWs();
  [timers.ws, timers.http, timers.poll, timers.citizenTyping].forEach(clearTimeout);
  Object.assign(state, {
    session: '', history: [], outbox: [], seq: 0, wsFailures: 0, attempt: 0, httpAttempt: 0, started: true,
    citizenTyping: false, citizenTypingSentAt: 0,
  });
  state.secretIds.clear();
  clearStorage();
  setTyping(false);
  setAgentTyping(false);
  setQueue(null);
  setSecretMode(false);
  renderHistory();
  if (state.transport === 'ws') setStatus('connecting');
  connectWs();
  if (state.transport === 'http') pollUpdates();
}

function onKioskActivity() {
  state.dirty = true;
  clearTimeout(timers.idle);
  timers.idle = setTimeout(onKioskIdle, config.kioskTimeoutMs);
}

function onKioskIdle() {
  if (!state.dirty && !state.history.some((e) => e.kind !== 'system')) return;
  resetConversation();
  ui.input.value = '';
  updateInputState();
  addSystem(TEXT.kioskReset);
  state.dirty = false;
}

function onOnline() {
  if (!state.started) return;
  Object.assign(state, { attempt: 0, httpAttempt: 0 });
  if (isWsReady()) setStatus('online'); // the socket survived a short network loss
  if (!state.ws) connectWs();
  if (state.transport === 'http') {
    clearTimeout(timers.http);
    flushHttp();
    pollUpdates();
  }
}

// ---------------------------------------------------------------- start-up

function bindEvents() {
  const when = (test, action) => (event) => {
    if (!test(event)) return;
    event.preventDefault();
    action();
  };
  const closePanel = () => setOpen(false);
  ui.launcher.addEventListener('click', () => setOpen(!state.open));
  ui.closeButton.addEventListener('click', closePanel);
  ui.newButton.addEventListener('click', () => (resetConversation(), ui.input.focus()));
  ui.panel.addEventListener('keydown', when((e) => e.key === 'Escape' && !config.kiosk, closePanel));
  ui.form.addEventListener('submit', when(() => true, submitInput));
  for (const input of [ui.textInput, ui.secretInput]) {
    input.addEventListener('keydown', when((e) => e.key === 'Enter' && !e.shiftKey && !e.isComposing, submitInput));
    input.addEventListener('input', updateInputState);
    input.addEventListener('input', onCitizenInput);
  }
  ui.queueLeave.addEventListener('click', leaveQueue);
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', () => setStatus('offline'));
  const activity = config.kiosk ? ['pointerdown', 'click', 'keydown', 'input', 'wheel', 'touchstart'] : [];
  activity.forEach((type) => document.addEventListener(type, onKioskActivity, { capture: true, passive: true }));
}

/** Inserts the shared tokens (unless the page links them already) and widget.css from the gateway, and calls
 * done once widget.css has loaded (or failed, or timed out). Two links rather than an @import in widget.css:
 * parallel downloads, and no imported sheets (which some tools copy into inline styles, against the CSP). */
function loadStyles(done) {
  let finished = false;
  const finish = () => {
    if (!finished) done();
    finished = true;
  };
  const tokens = `${config.base}/static/shared/tokens.css`;
  const linked = Array.from(document.querySelectorAll('link[rel="stylesheet"]')).some((link) => link.href === tokens);
  if (!linked) document.head.append(el('link', { rel: 'stylesheet', href: tokens, 'data-buergerbot': 'tokens' }));
  const link = el('link', { rel: 'stylesheet', href: `${config.base}/widget.css`, 'data-buergerbot': 'css' });
  link.addEventListener('load', finish);
  link.addEventListener('error', finish);
  setTimeout(finish, LIMIT.styleWait);
  document.head.append(link);
}

function init() {
  if (document.getElementById('buergerbot')) return;
  buildUi();
  renderHistory();
  bindEvents();
  ui.root.style.visibility = 'hidden'; // avoid a flash of unstyled content
  if (config.kiosk) document.documentElement.classList.add('bb-kiosk-mode');
  document.body.append(ui.root);
  loadStyles(() => {
    ui.root.style.visibility = '';
    if (config.startOpen) setOpen(true, config.kiosk);
    else if (state.outbox.length) ensureConnected(); // deliver what was typed before a reload
  });
  if (config.kiosk) timers.idle = setTimeout(onKioskIdle, config.kioskTimeoutMs);
  window.BuergerbotWidget = { reset: resetConversation, state };
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
