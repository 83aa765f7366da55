import { el } from '../dom.js';

/**
 * The sign-in form: a token, checked against /whoami before anything is stored, so a typo never becomes a session.
 * @param {{
 *   t: (key: string, params?: Record<string, string | number>) => string,
 *   notice: string | null,
 *   token: string,
 *   check: (token: string, remember: boolean) => Promise<void>,
 * }} props `check` rejects with an ApiError (or a network error) when the token is not accepted
 */
export function loginView({ t, notice, token, check }) {
  const input = el('input', { id: 'token', attrs: { type: 'password', name: 'token', autocomplete: 'current-password', required: '', spellcheck: 'false' } });
  /** @type {HTMLInputElement} */ (input).value = token;
  const remember = el('input', { id: 'remember', attrs: { type: 'checkbox', name: 'remember' } });
  const submit = el('button', { id: 'login-submit', class: 'primary', text: t('login.submit'), attrs: { type: 'submit' } });
  const error = el('p', { class: 'form-error', testid: 'login-error', attrs: { role: 'alert' } });
  error.hidden = true;

  async function onSubmit(event) {
    event.preventDefault();
    const value = /** @type {HTMLInputElement} */ (input).value.trim();
    if (!value) return;
    error.hidden = true;
    submit.setAttribute('disabled', '');
    submit.textContent = t('login.checking');
    try {
      await check(value, /** @type {HTMLInputElement} */ (remember).checked);
    } catch (err) {
      const status = /** @type {any} */ (err)?.status;
      error.textContent = status === 401 || status === 403 ? t('login.invalid') : t('login.failed', { status: status ?? String(err?.message ?? err) });
      error.hidden = false;
      submit.removeAttribute('disabled');
      submit.textContent = t('login.submit');
      input.focus();
    }
  }

  const form = el(
    'form',
    { class: 'card login', testid: 'login', attrs: { novalidate: '' }, on: { submit: onSubmit } },
    el('h1', { text: t('login.title') }),
    notice ? el('p', { class: 'notice', testid: 'login-notice', text: notice }) : null,
    el('p', { class: 'muted', text: t('login.intro') }),
    el('label', { class: 'field', attrs: { for: 'token' } }, el('span', { text: t('login.token') }), input),
    el('label', { class: 'check', attrs: { for: 'remember' } }, remember, el('span', { text: t('login.remember') })),
    error,
    submit,
  );
  queueMicrotask(() => input.focus());
  return form;
}
