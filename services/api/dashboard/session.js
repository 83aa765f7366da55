/**
 * What the browser remembers between visits: the API token (this tab always; this device too when "remember me" is
 * ticked) and the chosen language. Storage can throw (private modes, blocked cookies); the dashboard then simply
 * forgets.
 */

const TOKEN_KEY = 'leadscore.token';
const LANG_KEY = 'leadscore.lang';

function read(storage, key) {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

function write(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    // Not remembered; the session still works until the tab closes.
  }
}

export const tokenStore = {
  read: () => read(sessionStorage, TOKEN_KEY) ?? read(localStorage, TOKEN_KEY),
  /** @param {string} token @param {boolean} remember */
  save(token, remember) {
    write(sessionStorage, TOKEN_KEY, token);
    write(localStorage, TOKEN_KEY, remember ? token : null);
  },
  clear() {
    write(sessionStorage, TOKEN_KEY, null);
    write(localStorage, TOKEN_KEY, null);
  },
};

export const langStore = {
  read: () => read(localStorage, LANG_KEY),
  /** @param {string} lang */
  save: (lang) => write(localStorage, LANG_KEY, lang),
};
