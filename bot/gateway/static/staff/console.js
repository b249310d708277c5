/* Staff console of the Bürgerbot: NLU inbox, training and models, dashboard, audit log.
 *
 * Plain DOM, no libraries. Everything that comes from the server (above all what citizens
 * wrote) is rendered with textContent, never as HTML. Every POST carries the session's CSRF
 * token; any 401 sends the browser back to the login page.
 */
(function () {
  'use strict';

  var SECTIONS = {
    inbox: { hash: 'posteingang', title: 'Posteingang' },
    training: { hash: 'training', title: 'Training & Modelle' },
    dashboard: { hash: 'uebersicht', title: 'Übersicht' },
    audit: { hash: 'protokoll', title: 'Protokoll', admin: true }
  };
  var CHANNELS = { web: 'Web', telegram: 'Telegram', api: 'API', other: 'andere' };
  var ROLES = { admin: 'Administration', reviewer: 'Prüfung' };
  var MODEL_STATUS = { live: 'live', candidate: 'Kandidat', retired: 'früher live' };
  var ACTIONS = {
    'login': 'Anmeldung', 'logout': 'Abmeldung',
    'review.confirm': 'Nachricht bestätigt', 'review.correct': 'Nachricht korrigiert',
    'review.discard': 'Nachricht verworfen', 'export': 'Export', 'conflict.resolve': 'Widerspruch entschieden',
    'model.retrain': 'Neu trainiert', 'model.promote': 'Modell übernommen',
    'model.promote_override': 'Modell mit Begründung übernommen', 'model.rollback': 'Zurück zum früheren Modell',
    'model.adopt': 'Live-Modell übernommen (System)'
  };
  var FALLBACK = 'nlu_fallback';

  var state = {
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
    overrideModel: null
  };

  var percentFormat = new Intl.NumberFormat('de-DE', { style: 'percent', maximumFractionDigits: 1 });
  var decimalFormat = new Intl.NumberFormat('de-DE', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  // --- small helpers --------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === null || value === undefined || value === false) { return; }
        if (key === 'text') { node.textContent = value; }
        else if (key === 'className') { node.className = value; }
        else if (key === 'on') {
          Object.keys(value).forEach(function (name) { node.addEventListener(name, value[name]); });
        } else if (key === 'value' || key === 'checked' || key === 'disabled' || key === 'selected') {
          node[key] = value;
        } else { node.setAttribute(key, value === true ? '' : String(value)); }
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function percent(value) {
    return typeof value === 'number' && isFinite(value) ? percentFormat.format(value) : '–';
  }

  function decimal(value) {
    return typeof value === 'number' && isFinite(value) ? decimalFormat.format(value) : '–';
  }

  function dateTime(seconds) {
    if (!seconds) { return '–'; }
    return new Date(seconds * 1000).toLocaleString('de-DE', { dateStyle: 'short', timeStyle: 'short' });
  }

  function timeElement(seconds) {
    if (!seconds) { return document.createTextNode('–'); }
    return el('time', { datetime: new Date(seconds * 1000).toISOString(), text: dateTime(seconds) });
  }

  function dig(object, path) {
    return path.reduce(function (value, key) {
      return value && typeof value === 'object' ? value[key] : undefined;
    }, object);
  }

  // Live regions: clear first, so that the same message is announced again.
  function announce(text) {
    var region = $('status');
    region.textContent = '';
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function showError(text) {
    var region = $('alert');
    region.textContent = '';
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function clearError() { $('alert').textContent = ''; }

  // --- API ------------------------------------------------------------------------------------
  function ApiError(status, text, code) {
    this.status = status;
    this.message = text;
    this.code = code || null;
  }

  function detailText(data, status) {
    if (data && typeof data.detail === 'string') { return data.detail; }
    if (status === 422) { return 'Die Eingaben sind ungültig. Bitte prüfen Sie sie.'; }
    if (status === 403) { return 'Dafür fehlt Ihnen die Berechtigung.'; }
    return 'Es ist ein Fehler aufgetreten (HTTP ' + status + '). Bitte versuchen Sie es erneut.';
  }

  function api(method, path, body) {
    var headers = { 'Accept': 'application/json' };
    var options = { method: method, credentials: 'same-origin', headers: headers };
    if (method !== 'GET') {
      headers['X-CSRF-Token'] = state.csrf;
      headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body || {});
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 401) {
        window.location.assign('/staff/login');
        throw new ApiError(401, 'Bitte melden Sie sich an.');
      }
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) {
          throw new ApiError(response.status, detailText(data, response.status), data && data.code);
        }
        return data;
      });
    }, function () {
      throw new ApiError(0, 'Der Server ist nicht erreichbar. Bitte versuchen Sie es später erneut.');
    });
  }

  function fail(error) {
    if (error && error.status === 401) { return; }
    showError(error && error.message ? error.message : 'Es ist ein Fehler aufgetreten.');
  }

  function isAdmin() { return state.me && state.me.role === 'admin'; }

  // A button that is disabled while its request runs.
  function busy(button, promise) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    return promise.then(function (value) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      return value;
    }, function (error) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      throw error;
    });
  }

  function intentSelect(id, selected, placeholder) {
    var select = el('select', { id: id });
    if (placeholder) { select.appendChild(el('option', { value: '', text: placeholder })); }
    state.intents.forEach(function (intent) {
      select.appendChild(el('option', { value: intent, text: intent, selected: intent === selected }));
    });
    return select;
  }

  // --- navigation -----------------------------------------------------------------------------
  function sectionFromHash() {
    var hash = window.location.hash.replace(/^#/, '');
    var found = 'inbox';
    Object.keys(SECTIONS).forEach(function (key) {
      if (SECTIONS[key].hash === hash && (!SECTIONS[key].admin || isAdmin())) { found = key; }
    });
    return found;
  }

  function showSection(key, moveFocus) {
    Object.keys(SECTIONS).forEach(function (name) {
      $('section-' + name).hidden = name !== key;
    });
    document.querySelectorAll('.site-nav a[data-section]').forEach(function (link) {
      if (link.getAttribute('data-section') === key) { link.setAttribute('aria-current', 'page'); }
      else { link.removeAttribute('aria-current'); }
    });
    $('page-title').textContent = SECTIONS[key].title;
    document.title = SECTIONS[key].title + ' – Bürgerbot-Konsole';
    clearError();
    $('status').textContent = '';
    if (moveFocus) { $('page-title').focus(); }
    if (!state.loaded[key]) {
      state.loaded[key] = true;
      if (key === 'inbox') { loadInbox(false); }
      if (key === 'training') { loadConflicts(); loadModels(); }
      if (key === 'dashboard') { loadDashboard(); }
      if (key === 'audit') { loadAudit(); }
    }
  }

  // --- 1. inbox -------------------------------------------------------------------------------
  function filterQuery() {
    var params = new URLSearchParams();
    if ($('f-low').checked) { params.set('low_confidence', 'true'); }
    if ($('f-fallback').checked) { params.set('fallback', 'true'); }
    if ($('f-rated-down').checked) { params.set('rated_down', 'true'); }
    [['f-intent', 'intent'], ['f-channel', 'channel'], ['f-from', 'date_from'], ['f-to', 'date_to'],
      ['f-reviewed', 'reviewed']].forEach(function (pair) {
      var value = $(pair[0]).value;
      if (value) { params.set(pair[1], value); }
    });
    var q = $('f-q').value.trim();
    if (q) { params.set('q', q); }
    return params;
  }

  function ratingText(rating) {
    if (rating === 1) { return 'hilfreich'; }
    if (rating === -1) { return 'nicht hilfreich'; }
    return '–';
  }

  function statusText(review) {
    var status = review && review.status;
    if (status === 'confirmed') { return 'bestätigt'; }
    if (status === 'corrected') { return 'korrigiert: ' + review.intent; }
    if (status === 'discarded') { return 'verworfen'; }
    return 'offen';
  }

  function entitiesText(entities) {
    // Predicted entities carry the words as written (text) and a canonical value.
    return (entities || []).map(function (e) { return e.entity + '=' + (e.text || e.value); }).join('; ');
  }

  function parseEntities(text) {
    var result = [];
    var parts = text.split(/[;\n]/);
    for (var i = 0; i < parts.length; i += 1) {
      var part = parts[i].trim();
      if (!part) { continue; }
      var at = part.indexOf('=');
      if (at <= 0 || !part.slice(at + 1).trim()) { return null; }
      result.push({ entity: part.slice(0, at).trim(), value: part.slice(at + 1).trim() });
    }
    return result;
  }

  function setRowStatus(item) {
    var cell = $('status-' + item.id);
    if (!cell) { return; }
    cell.textContent = statusText(item.review);
    cell.className = 'status-cell status-' + ((item.review && item.review.status) || 'open');
  }

  function reviewMessage(item, decision, button) {
    var body = { decision: decision };
    var entityInput = $('entities-' + item.id);
    if (decision === 'correct') {
      var intent = $('intent-' + item.id).value;
      if (!intent) {
        showError('Bitte wählen Sie die richtige Absicht aus.');
        $('intent-' + item.id).focus();
        return;
      }
      var entities = parseEntities(entityInput.value);
      if (entities === null) {
        entityInput.setAttribute('aria-invalid', 'true');
        showError('Bitte geben Sie Entitäten so an: entität=Wert; entität=Wert');
        entityInput.focus();
        return;
      }
      entityInput.removeAttribute('aria-invalid');
      body.intent = intent;
      body.entities = entities;
    }
    clearError();
    busy(button, api('POST', '/staff/api/messages/' + item.id + '/review', body)).then(function (result) {
      item.review = { status: result.status, intent: result.intent, entities: result.entities,
        reviewer: state.me.name };
      setRowStatus(item);
      if (result.status === 'confirmed') { announce('Nachricht bestätigt: ' + result.intent + '.'); }
      else if (result.status === 'corrected') { announce('Nachricht korrigiert: ' + result.intent + '.'); }
      else { announce('Nachricht verworfen.'); }
    }).catch(fail);
  }

  function messageRow(item) {
    var textId = 'text-' + item.id;
    var low = item.confidence < state.lowConfidence;
    var reviewIntent = item.review && item.review.intent;
    var preselect = reviewIntent || (item.intent !== FALLBACK ? item.intent : '');
    // Pre-filled with the reviewed or predicted entities as written in the text (the API accepts
    // no other value).
    var entitiesValue = entitiesText(((item.review && item.review.status !== 'discarded' ? item.review.entities
      : item.entities) || []).filter(function (e) {
      var written = e.text || e.value;
      return written && item.text.indexOf(written) >= 0 && (!state.entities.length || state.entities.indexOf(e.entity) >= 0);
    }));

    var select = el('input', { type: 'checkbox', id: 'select-' + item.id, className: 'row-select',
      'data-id': item.id, 'aria-describedby': textId });
    var intentCell = el('td', null, [
      el('span', { className: 'intent', text: item.intent || '–' }), ' ',
      el('span', { className: low ? 'confidence low' : 'confidence',
        text: '(' + percent(item.confidence) + (low ? ', niedrig' : '') + ')' })
    ]);

    var confirmButton = el('button', { type: 'button', className: 'secondary small', text: 'Bestätigen',
      'aria-describedby': textId, disabled: !item.intent || item.intent === FALLBACK });
    var correctButton = el('button', { type: 'button', className: 'primary small', text: 'Korrigieren',
      'aria-describedby': textId });
    var discardButton = el('button', { type: 'button', className: 'secondary small', text: 'Verwerfen',
      'aria-describedby': textId });
    confirmButton.addEventListener('click', function () { reviewMessage(item, 'confirm', confirmButton); });
    correctButton.addEventListener('click', function () { reviewMessage(item, 'correct', correctButton); });
    discardButton.addEventListener('click', function () { reviewMessage(item, 'discard', discardButton); });
    if (confirmButton.disabled) {
      confirmButton.setAttribute('title', 'Nicht verstandene Nachrichten bitte korrigieren.');
    }

    var actions = el('div', { className: 'row-actions' }, [
      el('div', { className: 'row-buttons' }, [confirmButton]),
      el('div', { className: 'field small' }, [
        el('label', { for: 'intent-' + item.id, text: 'Richtige Absicht' }),
        intentSelect('intent-' + item.id, preselect, '– bitte wählen –')
      ]),
      el('div', { className: 'field small' }, [
        el('label', { for: 'entities-' + item.id, text: 'Entitäten (entität=Wert; …)' }),
        el('input', { type: 'text', id: 'entities-' + item.id, value: entitiesValue, spellcheck: 'false',
          autocomplete: 'off' })
      ]),
      el('div', { className: 'row-buttons' }, [correctButton, discardButton])
    ]);

    var row = el('tr', { id: 'row-' + item.id, 'data-id': item.id }, [
      el('td', null, [select, el('label', { for: 'select-' + item.id, className: 'visually-hidden',
        text: 'Auswählen' })]),
      el('td', null, [timeElement(item.at)]),
      el('td', { text: CHANNELS[item.channel] || item.channel }),
      el('td', { id: textId, className: 'message-text', text: item.text }),
      intentCell,
      el('td', { text: entitiesText(item.entities) || '–' }),
      el('td', { text: ratingText(item.rating) }),
      el('td', { id: 'status-' + item.id }),
      el('td', null, [actions])
    ]);
    return row;
  }

  function loadInbox(more) {
    var params = more ? new URLSearchParams(state.inboxQuery) : filterQuery();
    if (!more) { state.inboxQuery = params.toString(); }
    if (more && state.next !== null) { params.set('before', String(state.next)); }
    var button = more ? $('load-more') : $('inbox-filter').querySelector('button[type=submit]');
    clearError();
    $('inbox-table').setAttribute('aria-busy', 'true');
    return busy(button, api('GET', '/staff/api/messages?' + params.toString())).then(function (data) {
      var body = $('inbox-rows');
      if (typeof data.low_confidence === 'number') { state.lowConfidence = data.low_confidence; }
      if (!more) {
        clear(body);
        state.items = {};
        $('select-all').checked = false;
      }
      var firstNew = null;
      data.items.forEach(function (item) {
        if (state.items[item.id]) { return; }
        state.items[item.id] = item;
        var row = messageRow(item);
        body.appendChild(row);
        setRowStatus(item);
        if (!firstNew) { firstNew = row; }
      });
      state.next = data.next;
      $('load-more').hidden = data.next === null || data.next === undefined;
      var shown = body.querySelectorAll('tr').length;
      if (!shown) {
        body.appendChild(el('tr', null, [el('td', { colspan: '9', className: 'empty',
          text: 'Keine Nachrichten für diesen Filter.' })]));
      }
      $('inbox-count').textContent = shown === 1 ? '1 Nachricht angezeigt.' : shown + ' Nachrichten angezeigt.';
      if (more) {
        announce(data.items.length + ' weitere Nachrichten geladen.');
        if (firstNew) { firstNew.querySelector('.row-select').focus(); }
      } else {
        announce(shown ? $('inbox-count').textContent : 'Keine Nachrichten für diesen Filter.');
      }
    }).catch(fail).then(function () {
      $('inbox-table').removeAttribute('aria-busy');
    });
  }

  function bulkConfirm() {
    var ids = Array.prototype.map.call(document.querySelectorAll('#inbox-rows .row-select:checked'),
      function (box) { return Number(box.getAttribute('data-id')); });
    if (!ids.length) {
      showError('Bitte wählen Sie mindestens eine Nachricht aus.');
      return;
    }
    clearError();
    busy($('bulk-confirm'), api('POST', '/staff/api/messages/bulk-confirm', { ids: ids })).then(function (result) {
      result.confirmed.forEach(function (id) {
        var item = state.items[id];
        if (!item) { return; }
        item.review = { status: 'confirmed', intent: item.intent, entities: item.entities, reviewer: state.me.name };
        setRowStatus(item);
        $('select-' + id).checked = false;
      });
      $('select-all').checked = false;
      var text = result.confirmed.length + ' Nachrichten bestätigt.';
      if (result.skipped.length) {
        text += ' ' + result.skipped.length + ' nicht bestätigt (nicht verstanden oder ungültig): ' +
          'bitte einzeln korrigieren.';
      }
      announce(text);
    }).catch(fail);
  }

  function setupInbox() {
    $('inbox-filter').addEventListener('submit', function (event) {
      event.preventDefault();
      loadInbox(false);
    });
    $('inbox-filter').addEventListener('reset', function () {
      window.setTimeout(function () { loadInbox(false); }, 0);
    });
    $('load-more').addEventListener('click', function () { loadInbox(true); });
    $('bulk-confirm').addEventListener('click', bulkConfirm);
    $('select-all').addEventListener('change', function () {
      var checked = $('select-all').checked;
      document.querySelectorAll('#inbox-rows .row-select').forEach(function (box) { box.checked = checked; });
    });
  }

  // --- 2. training and models ----------------------------------------------------------------
  function exportExamples() {
    clearError();
    busy($('export'), api('POST', '/staff/api/export')).then(function (result) {
      var text = result.exported + ' Beispiele exportiert, ' + result.already_in_training_data +
        ' schon in den Trainingsdaten, ' + result.conflicts.length +
        (result.conflicts.length === 1 ? ' Widerspruch.' : ' Widersprüche.');
      $('export-result').textContent = text;
      announce(text);
      renderConflicts(result.conflicts);
    }).catch(fail);
  }

  function loadConflicts() {
    return api('GET', '/staff/api/conflicts').then(renderConflicts).catch(fail);
  }

  function resolveConflict(conflict, intent, button) {
    clearError();
    busy(button, api('POST', '/staff/api/conflicts/resolve', { key: conflict.key, intent: intent }))
      .then(function (result) {
        announce(intent ? 'Entschieden: „' + conflict.text + '“ ist ' + intent + ' (' + result.reviews +
          ' Prüfungen geändert).' : 'Verworfen: „' + conflict.text + '“ wird nicht exportiert.');
        $('conflicts-heading').focus();
        return loadConflicts();
      }).catch(fail);
  }

  function renderConflicts(conflicts) {
    var list = $('conflicts');
    clear(list);
    if (!conflicts.length) {
      list.appendChild(el('li', { className: 'empty', text: 'Keine Widersprüche.' }));
      return;
    }
    conflicts.forEach(function (conflict, index) {
      var id = 'conflict-' + index;
      var reviews = conflict.reviews.map(function (r) { return r.intent + ' (' + r.reviewer + ')'; }).join(', ');
      var select = intentSelect(id + '-intent', conflict.reviews.length ? conflict.reviews[conflict.reviews.length - 1].intent
        : '', null);
      var decide = el('button', { type: 'button', className: 'primary small', text: 'Entscheiden',
        'aria-describedby': id + '-text' });
      var discard = el('button', { type: 'button', className: 'secondary small', text: 'Verwerfen',
        'aria-describedby': id + '-text' });
      decide.addEventListener('click', function () { resolveConflict(conflict, select.value, decide); });
      discard.addEventListener('click', function () { resolveConflict(conflict, null, discard); });
      list.appendChild(el('li', { className: 'conflict' }, [
        el('p', { id: id + '-text', className: 'message-text', text: conflict.text }),
        el('p', { text: 'Trainingsdaten: ' + (conflict.training_data || '–') + ' · Prüfungen: ' + reviews }),
        el('div', { className: 'inline-form' }, [
          el('div', { className: 'field small' }, [el('label', { for: id + '-intent', text: 'Richtige Absicht' }), select]),
          decide, discard
        ])
      ]));
    });
  }

  function jobSummary(job) {
    var result = job.result || {};
    var heldout = result.heldout || {};
    var parts = ['Training fertig: Modell ' + (result.model || '?') + '.'];
    if (heldout.candidate !== undefined) {
      parts.push('Trefferquote auf den Testdaten: live ' + percent(heldout.live) + ', Kandidat ' +
        percent(heldout.candidate) + '.');
    }
    if (result.changed !== undefined) { parts.push(result.changed + ' geänderte Vorhersagen.'); }
    return parts.join(' ');
  }

  function showJob(job) {
    state.job = job;
    var percentValue = Math.round((job.progress || 0) * 100);
    $('job').hidden = false;
    $('job-progress').value = percentValue;
    $('job-percent').textContent = percentValue + ' %';
    $('job-stage').textContent = job.stage ? 'Schritt: ' + job.stage : '';
    if (job.stage !== state.lastStage && job.status === 'running') {
      state.lastStage = job.stage;
      $('job-status').textContent = 'Training ' + percentValue + ' %: ' + (job.stage || '');
    }
    $('retrain').disabled = job.status === 'running';
    if (job.status === 'succeeded') {
      $('job-result').textContent = jobSummary(job);
      $('job-result').className = 'result success';
      $('job-status').textContent = jobSummary(job);
    } else if (job.status === 'failed') {
      var text = 'Training fehlgeschlagen: ' + (job.error || 'unbekannter Fehler');
      $('job-result').textContent = text;
      $('job-result').className = 'result error';
      $('job-status').textContent = '';
      showError(text);
    }
  }

  function pollJob() {
    window.clearTimeout(state.pollTimer);
    state.pollTimer = window.setTimeout(function () {
      api('GET', '/staff/api/jobs/' + state.job.id).then(function (job) {
        showJob(job);
        if (job.status === 'running') { pollJob(); } else { loadModels(); }
      }, function (error) {
        if (error.status === 401) { return; }
        if (error.status === 404) { fail(error); return; }
        pollJob();  // a passing network problem: keep trying
      });
    }, 1000);
  }

  function followJob(job) {
    state.lastStage = null;
    $('job-result').textContent = '';
    $('job-result').className = 'result';
    showJob(job);
    if (job.status === 'running') { pollJob(); } else { loadModels(); }
  }

  function startRetrain() {
    clearError();
    busy($('retrain'), api('POST', '/staff/api/retrain')).then(followJob).catch(function (error) {
      fail(error);
      if (error.status === 409) { resumeRunningJob(); }
    });
  }

  function resumeRunningJob() {
    return api('GET', '/staff/api/jobs').then(function (jobs) {
      var running = (jobs || []).filter(function (job) { return job.status === 'running'; })[0];
      if (running) { followJob(running); }
    }).catch(fail);
  }

  function evaluationOf(model, path) { return dig(model.evaluation, path); }

  function pair(live, candidate, format) {
    if (live === undefined && candidate === undefined) { return '–'; }
    return format(live) + ' / ' + format(candidate);
  }

  function loadModels() {
    return api('GET', '/staff/api/models').then(function (data) {
      state.models = data.models || [];
      state.live = data.live;
      state.maxDrop = data.max_accuracy_drop;
      $('live-model').textContent = data.live ? 'Live-Modell: ' + data.live : 'Kein Live-Modell bekannt.';
      renderModels();
      if (state.selectedModel) {
        var model = state.models.filter(function (m) { return m.name === state.selectedModel; })[0];
        if (model) { renderDetails(model); }
      }
    }).catch(fail);
  }

  function renderModels() {
    var body = $('models-rows');
    clear(body);
    if (!state.models.length) {
      body.appendChild(el('tr', null, [el('td', { colspan: '8', className: 'empty', text: 'Noch keine Modelle.' })]));
      return;
    }
    state.models.forEach(function (model, index) {
      var nameId = 'model-name-' + index;
      var changed = evaluationOf(model, ['changed']);
      var details = el('button', { type: 'button', className: 'secondary small', text: 'Details',
        'aria-describedby': nameId, 'aria-controls': 'model-details',
        'aria-expanded': state.selectedModel === model.name ? 'true' : 'false' });
      details.addEventListener('click', function () {
        state.selectedModel = model.name;
        renderModels();
        renderDetails(model);
        $('model-details-heading').focus();
      });
      var actions = el('div', { className: 'row-buttons' }, [details]);
      if (isAdmin() && model.status === 'candidate') {
        var promoteButton = el('button', { type: 'button', className: 'primary small promote', text: 'Übernehmen',
          'aria-describedby': nameId, disabled: !model.exists });
        promoteButton.addEventListener('click', function () { promote(model, null, promoteButton); });
        actions.appendChild(promoteButton);
      }
      var status = MODEL_STATUS[model.status] || model.status;
      if (!model.exists) { status += ' (Datei fehlt)'; }
      body.appendChild(el('tr', { className: model.status === 'live' ? 'live' : null }, [
        el('th', { scope: 'row', id: nameId, className: 'model-name', text: model.name }),
        el('td', { text: status }),
        el('td', { text: dateTime(model.created_at) + (model.created_by ? ' (' + model.created_by + ')' : '') }),
        el('td', { text: pair(evaluationOf(model, ['heldout', 'live', 'accuracy']),
          evaluationOf(model, ['heldout', 'candidate', 'accuracy']), percent) }),
        el('td', { text: pair(evaluationOf(model, ['heldout', 'live', 'macro_f1']),
          evaluationOf(model, ['heldout', 'candidate', 'macro_f1']), decimal) }),
        el('td', { text: evaluationOf(model, ['reviewed', 'candidate', 'n'])
          ? percent(evaluationOf(model, ['reviewed', 'candidate', 'accuracy'])) : '–' }),
        el('td', { text: Array.isArray(changed) ? String(changed.length) : '–' }),
        el('td', null, [actions])
      ]));
    });
  }

  function scrollTable(label, table) {
    var id = 'region-' + Math.random().toString(36).slice(2);
    table.insertBefore(el('caption', { id: id, text: label }), table.firstChild);
    return el('div', { className: 'table-scroll', role: 'region', 'aria-labelledby': id, tabindex: '0' }, [table]);
  }

  function headRow(names) {
    return el('thead', null, [el('tr', null, names.map(function (name) {
      return el('th', { scope: 'col', text: name });
    }))]);
  }

  function renderDetails(model) {
    var panel = $('model-details');
    clear(panel);
    panel.hidden = false;
    panel.appendChild(el('h3', { id: 'model-details-heading', tabindex: '-1', text: 'Details: ' + model.name }));
    var evaluation = model.evaluation;
    if (!evaluation || !evaluation.heldout) {
      panel.appendChild(el('p', { text: 'Für dieses Modell gibt es keine Auswertung.' }));
      return;
    }
    if (evaluation.live_model) {
      panel.appendChild(el('p', { text: 'Verglichen mit dem damaligen Live-Modell ' + evaluation.live_model + '.' }));
    }

    // Per intent: candidate compared with the live model.
    var candidate = dig(evaluation, ['heldout', 'candidate', 'per_intent']) || {};
    var live = dig(evaluation, ['heldout', 'live', 'per_intent']) || {};
    panel.appendChild(el('h4', { text: 'Ergebnisse je Absicht (Testdaten)' }));
    var body = el('tbody');
    Object.keys(candidate).sort().forEach(function (intent) {
      var c = candidate[intent];
      var l = live[intent] || {};
      var diff = typeof l.f1 === 'number' ? c.f1 - l.f1 : null;
      var diffText = diff === null ? '–' : (diff > 0 ? '+' : '') + decimal(diff);
      body.appendChild(el('tr', { className: diff !== null && diff < 0 ? 'worse' : null }, [
        el('th', { scope: 'row', text: intent }),
        el('td', { text: decimal(c.precision) }),
        el('td', { text: decimal(c.recall) }),
        el('td', { text: decimal(c.f1) }),
        el('td', { text: decimal(l.f1) }),
        el('td', { text: diffText + (diff !== null && diff < 0 ? ' (schlechter)' : '') }),
        el('td', { text: String(c.support) })
      ]));
    });
    panel.appendChild(scrollTable('Je Absicht: Kandidat ' + model.name + ' im Vergleich zum Live-Modell',
      el('table', { className: 'data' }, [
        headRow(['Absicht', 'Präzision', 'Trefferquote (Recall)', 'F1 Kandidat', 'F1 live', 'Unterschied F1',
          'Beispiele']), body])));

    // Confusion matrix.
    panel.appendChild(el('h4', { text: 'Konfusionsmatrix' }));
    var picture = el('img', {
      src: '/staff/api/models/' + encodeURIComponent(model.name) + '/confusion.png',
      alt: 'Konfusionsmatrix von ' + model.name + ' auf den Testdaten: Zeilen zeigen die erwartete, ' +
        'Spalten die vorhergesagte Absicht. Die Werte je Absicht stehen in der Tabelle darüber.',
      className: 'confusion'
    });
    picture.addEventListener('error', function () {
      picture.replaceWith(el('p', { text: 'Keine Konfusionsmatrix vorhanden.' }));
    });
    panel.appendChild(el('div', { className: 'picture' }, [picture]));

    // Changed predictions.
    var changed = evaluation.changed || [];
    panel.appendChild(el('h4', { text: 'Geänderte Vorhersagen (' + changed.length + ')' }));
    if (!changed.length) {
      panel.appendChild(el('p', { text: 'Der Kandidat sagt für alle Beispiele dasselbe wie das Live-Modell.' }));
      return;
    }
    var rows = el('tbody');
    changed.forEach(function (change) {
      var verdict = change.better ? 'besser' : (change.live === change.expected ? 'schlechter' : 'beide falsch');
      rows.appendChild(el('tr', { className: change.better ? 'better' : (verdict === 'schlechter' ? 'worse' : null) }, [
        el('td', { className: 'message-text', text: change.text }),
        el('td', { text: change.source === 'heldout' ? 'Testdaten' : 'geprüfte Nachricht' }),
        el('td', { text: change.expected }),
        el('td', { text: change.live }),
        el('td', { text: change.candidate }),
        el('td', { text: verdict })
      ]));
    });
    panel.appendChild(scrollTable('Geänderte Vorhersagen von ' + model.name,
      el('table', { className: 'data' }, [
        headRow(['Text', 'Quelle', 'Erwartet', 'Live-Modell', 'Kandidat', 'Ergebnis']), rows])));
  }

  function promote(model, reason, button) {
    clearError();
    announce('Modell ' + model.name + ' wird geladen. Das kann einige Minuten dauern …');
    var body = reason ? { reason: reason } : {};
    busy(button, api('POST', '/staff/api/models/' + encodeURIComponent(model.name) + '/promote', body))
      .then(function (result) {
        hideOverride();
        announce('Modell ' + result.name + ' ist jetzt live.');
        return loadModels();
      }).catch(function (error) {
        fail(error);
        if (error.code === 'promotion_refused' && !reason) {
          showOverride(model);
        }
      });
  }

  function showOverride(model) {
    state.overrideModel = model;
    $('override-heading').textContent = 'Übernahme mit Begründung: ' + model.name;
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

  function rollback() {
    if (!window.confirm('Wirklich zum vorherigen Live-Modell zurückkehren?')) { return; }
    clearError();
    announce('Das vorherige Modell wird geladen …');
    busy($('rollback'), api('POST', '/staff/api/models/rollback', {})).then(function (result) {
      announce('Zurück zum vorherigen Modell: ' + result.name + ' ist jetzt live.');
      return loadModels();
    }).catch(fail);
  }

  function setupTraining() {
    $('export').addEventListener('click', exportExamples);
    $('retrain').addEventListener('click', startRetrain);
    $('rollback').addEventListener('click', rollback);
    $('override').addEventListener('submit', function (event) {
      event.preventDefault();
      var reason = $('override-reason').value.trim();
      if (reason.length < 10) {
        $('override-reason').setAttribute('aria-invalid', 'true');
        showError('Bitte begründen Sie die Übernahme in mindestens 10 Zeichen.');
        $('override-reason').focus();
        return;
      }
      $('override-reason').removeAttribute('aria-invalid');
      promote(state.overrideModel, reason, $('override').querySelector('button[type=submit]'));
    });
    $('override-cancel').addEventListener('click', function () {
      hideOverride();
      $('models-heading').setAttribute('tabindex', '-1');
      $('models-heading').focus();
    });
  }

  // --- 3. dashboard --------------------------------------------------------------------------
  function dataTable(label, headers, rows) {
    var body = el('tbody');
    rows.forEach(function (cells) {
      body.appendChild(el('tr', null, cells.map(function (cell, index) {
        return index === 0 ? el('th', { scope: 'row', text: String(cell) }) : el('td', { text: String(cell) });
      })));
    });
    if (!rows.length) {
      body.appendChild(el('tr', null, [el('td', { colspan: String(headers.length), text: 'Keine Daten.' })]));
    }
    return el('details', null, [
      el('summary', { text: 'Daten als Tabelle' }),
      scrollTable(label, el('table', { className: 'data' }, [headRow(headers), body]))
    ]);
  }

  function chart(container, name, days, alt, table) {
    clear(container);
    container.appendChild(el('img', { src: '/staff/api/charts/' + name + '.svg?days=' + days + '&t=' + Date.now(),
      alt: alt, className: 'chart-img', width: '640', height: '260' }));
    container.appendChild(table);
  }

  function figure(list, label, value) {
    list.appendChild(el('div', { className: 'figure' }, [el('dt', { text: label }), el('dd', { text: value })]));
  }

  function loadDashboard() {
    var days = $('days').value;
    clearError();
    var button = $('dashboard-form').querySelector('button[type=submit]');
    return busy(button, api('GET', '/staff/api/dashboard?days=' + days)).then(function (data) {
      var list = $('figures');
      clear(list);
      figure(list, 'Nachrichten', String(data.total));
      figure(list, 'Anteil nicht verstanden', percent(data.fallback_rate));
      figure(list, 'Anteil niedrige Konfidenz', percent(data.low_confidence_rate));
      figure(list, 'Bewertungen hilfreich', String(data.ratings.up));
      figure(list, 'Bewertungen nicht hilfreich', String(data.ratings.down));

      var perDay = data.messages_per_day || [];
      chart($('chart-messages'), 'messages', days,
        'Balkendiagramm: Nachrichten pro Tag und Kanal in den letzten ' + days + ' Tagen, insgesamt ' + data.total +
        '. Die Werte stehen in der Tabelle darunter.',
        dataTable('Nachrichten pro Tag und Kanal', ['Tag', 'Web', 'Telegram', 'API', 'andere', 'Summe'],
          perDay.map(function (r) {
            return [r.day, r.web, r.telegram, r.api, r.other, r.web + r.telegram + r.api + r.other];
          })));
      var top = data.top_intents || [];
      chart($('chart-intents'), 'intents', days,
        'Balkendiagramm: die häufigsten Absichten in den letzten ' + days + ' Tagen' +
        (top.length ? ', am häufigsten ' + top[0].intent + ' mit ' + top[0].count + ' Nachrichten' : '') +
        '. Die Werte stehen in der Tabelle darunter.',
        dataTable('Häufigste Absichten', ['Absicht', 'Nachrichten'],
          top.map(function (r) { return [r.intent, r.count]; })));
      var ratings = data.ratings.per_day || [];
      chart($('chart-ratings'), 'ratings', days,
        'Balkendiagramm: Bewertungen pro Tag in den letzten ' + days + ' Tagen, ' + data.ratings.up +
        ' hilfreich und ' + data.ratings.down + ' nicht hilfreich. Die Werte stehen in der Tabelle darunter.',
        dataTable('Bewertungen pro Tag', ['Tag', 'hilfreich', 'nicht hilfreich'],
          ratings.map(function (r) { return [r.day, r.up, r.down]; })));
      announce('Übersicht für die letzten ' + days + ' Tage geladen.');
    }).catch(fail);
  }

  // --- 4. audit log --------------------------------------------------------------------------
  function detailSummary(detail) {
    if (!detail || typeof detail !== 'object') { return ''; }
    return Object.keys(detail).map(function (key) {
      var value = detail[key];
      return key + ': ' + (value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value));
    }).join('; ');
  }

  function loadAudit() {
    clearError();
    return busy($('audit-reload'), api('GET', '/staff/api/audit')).then(function (entries) {
      var body = $('audit-rows');
      clear(body);
      entries.forEach(function (entry) {
        body.appendChild(el('tr', null, [
          el('td', null, [timeElement(entry.at)]),
          el('td', { text: entry.actor }),
          el('td', { text: ACTIONS[entry.action] || entry.action }),
          el('td', { className: 'message-text', text: entry.target || '–' }),
          el('td', { className: 'message-text', text: detailSummary(entry.detail) || '–' })
        ]));
      });
      if (!entries.length) {
        body.appendChild(el('tr', null, [el('td', { colspan: '5', text: 'Keine Einträge.' })]));
      }
    }).catch(fail);
  }

  // --- start ---------------------------------------------------------------------------------
  function start() {
    api('GET', '/staff/api/me').then(function (me) {
      state.me = me;
      state.csrf = me.csrf;
      $('user-info').textContent = 'Angemeldet: ' + me.name + ' (' + (ROLES[me.role] || me.role) + ')';
      document.querySelectorAll('[data-admin-only]').forEach(function (node) {
        if (node.id === 'override') { return; }  // shown only when a promotion needs a reason
        node.hidden = !isAdmin();
      });
      return api('GET', '/staff/api/labels');
    }).then(function (labels) {
      state.intents = labels.intents || [];
      state.entities = labels.entities || [];
      var filter = $('f-intent');
      state.intents.forEach(function (intent) { filter.appendChild(el('option', { value: intent, text: intent })); });
      filter.appendChild(el('option', { value: FALLBACK, text: FALLBACK + ' (nicht verstanden)' }));
      showSection(sectionFromHash(), false);
      resumeRunningJob();
    }).catch(fail);

    $('logout').addEventListener('click', function () {
      busy($('logout'), api('POST', '/staff/api/logout')).then(function () {
        window.location.assign('/staff/login');
      }).catch(fail);
    });
    window.addEventListener('hashchange', function () {
      if (state.me) { showSection(sectionFromHash(), true); }
    });
    $('dashboard-form').addEventListener('submit', function (event) {
      event.preventDefault();
      loadDashboard();
    });
    $('audit-reload').addEventListener('click', loadAudit);
    setupInbox();
    setupTraining();
  }

  start();
}());
