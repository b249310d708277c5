/* Login page of the staff console: CSRF token (double-submit cookie), then POST /staff/api/login. */
(function () {
  'use strict';

  var form = document.getElementById('login-form');
  var nameInput = document.getElementById('login-name');
  var passwordInput = document.getElementById('login-password');
  var submit = document.getElementById('login-submit');
  var alertBox = document.getElementById('login-alert');

  function showError(text) {
    alertBox.textContent = '';
    // A fresh text node so that screen readers announce the same message again.
    window.setTimeout(function () { alertBox.textContent = text; }, 30);
  }

  function detailText(data, status) {
    if (data && typeof data.detail === 'string') { return data.detail; }
    if (status === 422) { return 'Bitte prüfen Sie Ihre Eingaben.'; }
    return 'Die Anmeldung ist fehlgeschlagen (Fehler ' + status + '). Bitte versuchen Sie es erneut.';
  }

  function readJson(response) {
    return response.json().catch(function () { return null; });
  }

  function markInvalid(input, invalid) {
    if (invalid) { input.setAttribute('aria-invalid', 'true'); } else { input.removeAttribute('aria-invalid'); }
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var name = nameInput.value.trim();
    var password = passwordInput.value;
    markInvalid(nameInput, !name);
    markInvalid(passwordInput, !password);
    if (!name || !password) {
      showError(!name ? 'Bitte geben Sie Ihren Namen ein.' : 'Bitte geben Sie Ihr Passwort ein.');
      (!name ? nameInput : passwordInput).focus();
      return;
    }
    submit.disabled = true;
    alertBox.textContent = '';
    fetch('/staff/api/csrf', { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (response) {
        if (!response.ok) { throw new Error('csrf'); }
        return response.json();
      })
      .then(function (data) {
        return fetch('/staff/api/login', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': data.csrf },
          body: JSON.stringify({ name: name, password: password })
        });
      })
      .then(function (response) {
        if (response.ok) {
          window.location.assign('/staff');
          return null;
        }
        return readJson(response).then(function (data) {
          submit.disabled = false;
          passwordInput.value = '';
          showError(detailText(data, response.status));
          passwordInput.focus();
        });
      })
      .catch(function () {
        submit.disabled = false;
        showError('Der Server ist nicht erreichbar. Bitte versuchen Sie es später erneut.');
      });
  });
}());
