/**
 * The API as the dashboard calls it: JSON with the bearer token on every request. A 401 anywhere means the token is
 * no longer good, so it goes to one place (`onUnauthorized`) that signs the user out; every other failure is thrown
 * as an ApiError for the page to show.
 */

export class ApiError extends Error {
  /** @param {number} status @param {{ error?: string, message?: string } | null} body */
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error ?? null;
  }
}

/**
 * @param {{ token: () => string | null, onUnauthorized: () => void }} deps
 */
export function createApi(deps) {
  const headers = (token) => ({ authorization: `Bearer ${token}`, accept: 'application/json' });

  /**
   * @param {string} method
   * @param {string} path already encoded
   * @param {{ query?: Record<string, string | number | undefined | null>, body?: unknown, signal?: AbortSignal }} [options]
   */
  async function request(method, path, options = {}) {
    const token = deps.token();
    if (!token) {
      deps.onUnauthorized();
      throw new ApiError(401, null);
    }
    const response = await fetch(path + queryString(options.query), {
      method,
      headers: options.body === undefined ? headers(token) : { ...headers(token), 'content-type': 'application/json' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
    if (response.status === 401) {
      deps.onUnauthorized();
      throw new ApiError(401, await bodyOf(response));
    }
    if (!response.ok) throw new ApiError(response.status, await bodyOf(response));
    return response.json();
  }

  return {
    get: (path, options) => request('GET', path, options),
    post: (path, body, options) => request('POST', path, { ...options, body }),

    /** Who a token belongs to, before it is stored: a 401 here is a wrong token, not a session that ended. */
    async whoami(token) {
      const response = await fetch('/whoami', { headers: headers(token) });
      if (!response.ok) throw new ApiError(response.status, await bodyOf(response));
      return /** @type {Promise<{ name: string, scopes: string[] }>} */ (response.json());
    },

    /** A raw streaming request (the live feed); the caller reads the status and the body. */
    stream(path, signal) {
      const token = deps.token();
      return fetch(path, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal, cache: 'no-store' });
    },
  };
}

/** `?a=1&b=x` from the defined, non-empty values; URLSearchParams does the encoding. */
export function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function bodyOf(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}
