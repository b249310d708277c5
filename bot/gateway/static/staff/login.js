/* Login page of the staff console: CSRF token (double-submit cookie), then POST /staff/api/login. */
import { UNREACHABLE, byId, detailText, fetchJson, markInvalid, showError, clearMessage } from '/static/shared/ui.js';

const form = byId('login-form');
const nameInput = byId('login-name');
const passwordInput = byId('login-password');
const submit = byId('login-submit');
const alertBox = byId('login-alert');

const MESSAGES = {
  422: 'Bitte prüfen Sie Ihre Eingaben.',
  default: (status) => `Die Anmeldung ist fehlgeschlagen (Fehler ${status}). Bitte versuchen Sie es erneut.`,
};

async function logIn(name, password) {
  const csrf = await fetchJson('/staff/api/csrf', { credentials: 'same-origin' });
  if (!csrf.ok || !csrf.data || typeof csrf.data.csrf !== 'string') return { ok: false, status: 0, data: null };
  return fetchJson('/staff/api/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'X-CSRF-Token': csrf.data.csrf },
    body: { name, password },
  });
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  const password = passwordInput.value;
  markInvalid(nameInput, !name);
  markInvalid(passwordInput, !password);
  if (!name || !password) {
    showError(alertBox, !name ? 'Bitte geben Sie Ihren Namen ein.' : 'Bitte geben Sie Ihr Passwort ein.');
    (!name ? nameInput : passwordInput).focus();
    return;
  }
  submit.disabled = true;
  clearMessage(alertBox);
  const result = await logIn(name, password);
  if (result.ok) {
    window.location.assign('/staff');
    return;
  }
  submit.disabled = false;
  if (result.status === 0) {
    showError(alertBox, UNREACHABLE);
    return;
  }
  passwordInput.value = '';
  showError(alertBox, detailText(result.data, result.status, MESSAGES));
  passwordInput.focus();
});
