/* Staff console, section 2: export of reviewed examples, conflicts, retraining with progress,
 * models (details, promotion with or without a reason, rollback). */
import { $, announce, api, busy, clear, clearError, dateTime, decimal, dig, el, fail, headRow, intentSelect, isAdmin,
  percent, scrollTable, showError, state } from './core.js';

const MODEL_STATUS = { live: 'live', candidate: 'Kandidat', retired: 'früher live' };

// --- export and conflicts ------------------------------------------------------------------------
async function exportExamples() {
  clearError();
  try {
    const result = await busy($('export'), api('POST', '/staff/api/export'));
    const text = `${result.exported} Beispiele exportiert, ${result.already_in_training_data} schon in den ` +
      `Trainingsdaten, ${result.conflicts.length}${result.conflicts.length === 1 ? ' Widerspruch.' : ' Widersprüche.'}`;
    $('export-result').textContent = text;
    announce(text);
    renderConflicts(result.conflicts);
  } catch (error) {
    fail(error);
  }
}

export async function loadConflicts() {
  try {
    renderConflicts(await api('GET', '/staff/api/conflicts'));
  } catch (error) {
    fail(error);
  }
}

async function resolveConflict(conflict, intent, button) {
  clearError();
  try {
    const result = await busy(button, api('POST', '/staff/api/conflicts/resolve', { key: conflict.key, intent }));
    announce(intent ? `Entschieden: „${conflict.text}“ ist ${intent} (${result.reviews} Prüfungen geändert).`
      : `Verworfen: „${conflict.text}“ wird nicht exportiert.`);
    $('conflicts-heading').focus();
    await loadConflicts();
  } catch (error) {
    fail(error);
  }
}

function renderConflicts(conflicts) {
  const list = $('conflicts');
  clear(list);
  if (!conflicts.length) {
    list.append(el('li', { className: 'empty', text: 'Keine Widersprüche.' }));
    return;
  }
  conflicts.forEach((conflict, index) => {
    const id = `conflict-${index}`;
    const reviews = conflict.reviews.map((r) => `${r.intent} (${r.reviewer})`).join(', ');
    const last = conflict.reviews[conflict.reviews.length - 1];
    const select = intentSelect(`${id}-intent`, last ? last.intent : '', null);
    const decide = el('button', { type: 'button', className: 'primary small', text: 'Entscheiden',
      'aria-describedby': `${id}-text` });
    const discard = el('button', { type: 'button', className: 'secondary small', text: 'Verwerfen',
      'aria-describedby': `${id}-text` });
    decide.addEventListener('click', () => resolveConflict(conflict, select.value, decide));
    discard.addEventListener('click', () => resolveConflict(conflict, null, discard));
    list.append(el('li', { className: 'conflict' }, [
      el('p', { id: `${id}-text`, className: 'message-text', text: conflict.text }),
      el('p', { text: `Trainingsdaten: ${conflict.training_data || '–'} · Prüfungen: ${reviews}` }),
      el('div', { className: 'inline-form' }, [
        el('div', { className: 'field small' }, [el('label', { for: `${id}-intent`, text: 'Richtige Absicht' }), select]),
        decide, discard,
      ]),
    ]));
  });
}

// --- retraining ------------------------------------------------------------------------------------
function jobSummary(job) {
  const result = job.result || {};
  const heldout = result.heldout || {};
  const parts = [`Training fertig: Modell ${result.model || '?'}.`];
  if (heldout.candidate !== undefined) {
    parts.push(`Trefferquote auf den Testdaten: live ${percent(heldout.live)}, Kandidat ${percent(heldout.candidate)}.`);
  }
  if (result.changed !== undefined) parts.push(`${result.changed} geänderte Vorhersagen.`);
  return parts.join(' ');
}

function showJob(job) {
  state.job = job;
  const percentValue = Math.round((job.progress || 0) * 100);
  $('job').hidden = false;
  $('job-progress').value = percentValue;
  $('job-percent').textContent = `${percentValue} %`;
  $('job-stage').textContent = job.stage ? `Schritt: ${job.stage}` : '';
  if (job.stage !== state.lastStage && job.status === 'running') {
    state.lastStage = job.stage;
    $('job-status').textContent = `Training ${percentValue} %: ${job.stage || ''}`;
  }
  $('retrain').disabled = job.status === 'running';
  if (job.status === 'succeeded') {
    $('job-result').textContent = jobSummary(job);
    $('job-result').className = 'result success';
    $('job-status').textContent = jobSummary(job);
  } else if (job.status === 'failed') {
    const text = `Training fehlgeschlagen: ${job.error || 'unbekannter Fehler'}`;
    $('job-result').textContent = text;
    $('job-result').className = 'result error';
    $('job-status').textContent = '';
    showError(text);
  }
}

function pollJob() {
  clearTimeout(state.pollTimer);
  state.pollTimer = setTimeout(async () => {
    let job;
    try {
      job = await api('GET', `/staff/api/jobs/${state.job.id}`);
    } catch (error) {
      if (error.status === 401) return;
      if (error.status === 404) fail(error);
      else pollJob(); // a passing network problem: keep trying
      return;
    }
    showJob(job);
    if (job.status === 'running') pollJob();
    else loadModels();
  }, 1000);
}

function followJob(job) {
  state.lastStage = null;
  $('job-result').textContent = '';
  $('job-result').className = 'result';
  showJob(job);
  if (job.status === 'running') pollJob();
  else loadModels();
}

async function startRetrain() {
  clearError();
  let job;
  try {
    job = await busy($('retrain'), api('POST', '/staff/api/retrain'));
  } catch (error) {
    fail(error);
    if (error.status === 409) resumeRunningJob();
    return;
  }
  followJob(job);
}

/** Follows a training that is already running (started in another console or before a reload). */
export async function resumeRunningJob() {
  try {
    const jobs = await api('GET', '/staff/api/jobs');
    const running = (jobs || []).find((job) => job.status === 'running');
    if (running) followJob(running);
  } catch (error) {
    fail(error);
  }
}

// --- models ---------------------------------------------------------------------------------------
const evaluationOf = (model, path) => dig(model.evaluation, path);

function pair(live, candidate, format) {
  if (live === undefined && candidate === undefined) return '–';
  return `${format(live)} / ${format(candidate)}`;
}

export async function loadModels() {
  try {
    const data = await api('GET', '/staff/api/models');
    state.models = data.models || [];
    state.live = data.live;
    state.maxDrop = data.max_accuracy_drop;
    $('live-model').textContent = data.live ? `Live-Modell: ${data.live}` : 'Kein Live-Modell bekannt.';
    renderModels();
    const selected = state.models.find((m) => m.name === state.selectedModel);
    if (selected) renderDetails(selected);
  } catch (error) {
    fail(error);
  }
}

function renderModels() {
  const body = $('models-rows');
  clear(body);
  if (!state.models.length) {
    body.append(el('tr', null, [el('td', { colspan: '8', className: 'empty', text: 'Noch keine Modelle.' })]));
    return;
  }
  state.models.forEach((model, index) => {
    const nameId = `model-name-${index}`;
    const changed = evaluationOf(model, ['changed']);
    const details = el('button', { type: 'button', className: 'secondary small', text: 'Details',
      'aria-describedby': nameId, 'aria-controls': 'model-details',
      'aria-expanded': state.selectedModel === model.name ? 'true' : 'false' });
    details.addEventListener('click', () => {
      state.selectedModel = model.name;
      renderModels();
      renderDetails(model);
      $('model-details-heading').focus();
    });
    const actions = el('div', { className: 'row-buttons' }, [details]);
    if (isAdmin() && model.status === 'candidate') {
      const promoteButton = el('button', { type: 'button', className: 'primary small promote', text: 'Übernehmen',
        'aria-describedby': nameId, disabled: !model.exists });
      promoteButton.addEventListener('click', () => promote(model, null, promoteButton));
      actions.append(promoteButton);
    }
    const status = (MODEL_STATUS[model.status] || model.status) + (model.exists ? '' : ' (Datei fehlt)');
    body.append(el('tr', { className: model.status === 'live' ? 'live' : null }, [
      el('th', { scope: 'row', id: nameId, className: 'model-name', text: model.name }),
      el('td', { text: status }),
      el('td', { text: dateTime(model.created_at) + (model.created_by ? ` (${model.created_by})` : '') }),
      el('td', { text: pair(evaluationOf(model, ['heldout', 'live', 'accuracy']),
        evaluationOf(model, ['heldout', 'candidate', 'accuracy']), percent) }),
      el('td', { text: pair(evaluationOf(model, ['heldout', 'live', 'macro_f1']),
        evaluationOf(model, ['heldout', 'candidate', 'macro_f1']), decimal) }),
      el('td', { text: evaluationOf(model, ['reviewed', 'candidate', 'n'])
        ? percent(evaluationOf(model, ['reviewed', 'candidate', 'accuracy'])) : '–' }),
      el('td', { text: Array.isArray(changed) ? String(changed.length) : '–' }),
      el('td', null, [actions]),
    ]));
  });
}

function renderDetails(model) {
  const panel = $('model-details');
  clear(panel);
  panel.hidden = false;
  panel.append(el('h3', { id: 'model-details-heading', tabindex: '-1', text: `Details: ${model.name}` }));
  const { evaluation } = model;
  if (!evaluation || !evaluation.heldout) {
    panel.append(el('p', { text: 'Für dieses Modell gibt es keine Auswertung.' }));
    return;
  }
  if (evaluation.live_model) {
    panel.append(el('p', { text: `Verglichen mit dem damaligen Live-Modell ${evaluation.live_model}.` }));
  }

  // Per intent: candidate compared with the live model.
  const candidate = dig(evaluation, ['heldout', 'candidate', 'per_intent']) || {};
  const live = dig(evaluation, ['heldout', 'live', 'per_intent']) || {};
  panel.append(el('h4', { text: 'Ergebnisse je Absicht (Testdaten)' }));
  const body = el('tbody', null, Object.keys(candidate).sort().map((intent) => {
    const c = candidate[intent];
    const l = live[intent] || {};
    const diff = typeof l.f1 === 'number' ? c.f1 - l.f1 : null;
    const diffText = diff === null ? '–' : (diff > 0 ? '+' : '') + decimal(diff);
    return el('tr', { className: diff !== null && diff < 0 ? 'worse' : null }, [
      el('th', { scope: 'row', text: intent }),
      el('td', { text: decimal(c.precision) }),
      el('td', { text: decimal(c.recall) }),
      el('td', { text: decimal(c.f1) }),
      el('td', { text: decimal(l.f1) }),
      el('td', { text: diffText + (diff !== null && diff < 0 ? ' (schlechter)' : '') }),
      el('td', { text: String(c.support) }),
    ]);
  }));
  panel.append(scrollTable(`Je Absicht: Kandidat ${model.name} im Vergleich zum Live-Modell`,
    el('table', { className: 'data' }, [
      headRow(['Absicht', 'Präzision', 'Trefferquote (Recall)', 'F1 Kandidat', 'F1 live', 'Unterschied F1', 'Beispiele']),
      body,
    ])));

  // Confusion matrix.
  panel.append(el('h4', { text: 'Konfusionsmatrix' }));
  const picture = el('img', {
    src: `/staff/api/models/${encodeURIComponent(model.name)}/confusion.png`,
    alt: `Konfusionsmatrix von ${model.name} auf den Testdaten: Zeilen zeigen die erwartete, ` +
      'Spalten die vorhergesagte Absicht. Die Werte je Absicht stehen in der Tabelle darüber.',
    className: 'confusion',
  });
  picture.addEventListener('error', () => picture.replaceWith(el('p', { text: 'Keine Konfusionsmatrix vorhanden.' })));
  panel.append(el('div', { className: 'picture' }, [picture]));

  // Changed predictions.
  const changed = evaluation.changed || [];
  panel.append(el('h4', { text: `Geänderte Vorhersagen (${changed.length})` }));
  if (!changed.length) {
    panel.append(el('p', { text: 'Der Kandidat sagt für alle Beispiele dasselbe wie das Live-Modell.' }));
    return;
  }
  const rows = el('tbody', null, changed.map((change) => {
    const verdict = change.better ? 'besser' : (change.live === change.expected ? 'schlechter' : 'beide falsch');
    return el('tr', { className: change.better ? 'better' : (verdict === 'schlechter' ? 'worse' : null) }, [
      el('td', { className: 'message-text', text: change.text }),
      el('td', { text: change.source === 'heldout' ? 'Testdaten' : 'geprüfte Nachricht' }),
      el('td', { text: change.expected }),
      el('td', { text: change.live }),
      el('td', { text: change.candidate }),
      el('td', { text: verdict }),
    ]);
  }));
  panel.append(scrollTable(`Geänderte Vorhersagen von ${model.name}`,
    el('table', { className: 'data' }, [headRow(['Text', 'Quelle', 'Erwartet', 'Live-Modell', 'Kandidat', 'Ergebnis']), rows])));
}

// --- promotion and rollback (admins) ---------------------------------------------------------------
async function promote(model, reason, button) {
  clearError();
  announce(`Modell ${model.name} wird geladen. Das kann einige Minuten dauern …`);
  try {
    const result = await busy(button,
      api('POST', `/staff/api/models/${encodeURIComponent(model.name)}/promote`, reason ? { reason } : {}));
    hideOverride();
    announce(`Modell ${result.name} ist jetzt live.`);
    await loadModels();
  } catch (error) {
    fail(error);
    if (error.code === 'promotion_refused' && !reason) showOverride(model);
  }
}

function showOverride(model) {
  state.overrideModel = model;
  $('override-heading').textContent = `Übernahme mit Begründung: ${model.name}`;
  $('override-info').textContent = 'Die Trefferquote des Kandidaten ist zu stark gesunken. Sie können das Modell ' +
    'trotzdem übernehmen, wenn Sie es begründen.';
  $('override-reason').value = '';
  $('override').hidden = false;
  $('override-reason').focus();
}

function hideOverride() {
  state.overrideModel = null;
  $('override').hidden = true;
}

async function rollback() {
  if (!window.confirm('Wirklich zum vorherigen Live-Modell zurückkehren?')) return;
  clearError();
  announce('Das vorherige Modell wird geladen …');
  try {
    const result = await busy($('rollback'), api('POST', '/staff/api/models/rollback', {}));
    announce(`Zurück zum vorherigen Modell: ${result.name} ist jetzt live.`);
    await loadModels();
  } catch (error) {
    fail(error);
  }
}

export function setupTraining() {
  $('export').addEventListener('click', exportExamples);
  $('retrain').addEventListener('click', startRetrain);
  $('rollback').addEventListener('click', rollback);
  $('override').addEventListener('submit', (event) => {
    event.preventDefault();
    const reason = $('override-reason').value.trim();
    if (reason.length < 10) {
      $('override-reason').setAttribute('aria-invalid', 'true');
      showError('Bitte begründen Sie die Übernahme in mindestens 10 Zeichen.');
      $('override-reason').focus();
      return;
    }
    $('override-reason').removeAttribute('aria-invalid');
    promote(state.overrideModel, reason, $('override').querySelector('button[type=submit]'));
  });
  $('override-cancel').addEventListener('click', () => {
    hideOverride();
    $('models-heading').setAttribute('tabindex', '-1');
    $('models-heading').focus();
  });
}
