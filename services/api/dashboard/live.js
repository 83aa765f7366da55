import { createSseParser } from './sse.js';

/**
 * The live feed (`GET /live`), kept open while someone is signed in. It reconnects after a drop with a growing pause
 * (1 s, 2 s, 4 s … 30 s), because a restarting API should not be hammered by every open dashboard; the pause resets
 * once a connection is up. Listeners get:
 * - `status` (detail: 'connecting' | 'open' | 'closed')
 * - `open` (detail: { reconnected }) — a reconnect may have missed messages, so lists reload their first page
 * - `lead` (detail: the parsed `lead` message)
 */

const FIRST_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 30_000;
/** With no byte (heartbeats included) for this long, the connection is presumed dead behind some proxy. */
const SILENCE_MS = 90_000;

/** The pause before reconnect attempt `n` (0-based): doubling from 1 s, at most 30 s. */
export function backoffMs(attempt) {
  return Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** Math.min(attempt, 16));
}

/**
 * @param {{ stream: (path: string, signal: AbortSignal) => Promise<Response>, onUnauthorized: () => void }} deps
 */
export function createLiveFeed(deps) {
  const events = new EventTarget();
  /** @type {AbortController | null} */
  let running = null;
  let state = 'closed';

  const emit = (type, detail) => events.dispatchEvent(new CustomEvent(type, { detail }));
  const setState = (next) => {
    if (next === state) return;
    state = next;
    emit('status', next);
  };

  async function run(stop) {
    let attempt = 0;
    let connectedBefore = false;
    while (!stop.signal.aborted) {
      setState('connecting');
      const outcome = await connectOnce(stop.signal, () => {
        setState('open');
        emit('open', { reconnected: connectedBefore });
        connectedBefore = true;
        attempt = 0;
      });
      if (stop.signal.aborted) break;
      if (outcome === 'unauthorized') return deps.onUnauthorized();
      // A token without the scope will not gain it by retrying.
      if (outcome === 'forbidden') break;
      setState('connecting');
      await sleep(backoffMs(attempt++), stop.signal);
    }
    // A stopped feed was marked closed by stop(), and may already run again under a new controller.
    if (running === stop) {
      running = null;
      setState('closed');
    }
  }

  /** One connection, read until it ends; resolves to why it ended. */
  async function connectOnce(stopSignal, onOpen) {
    const connection = new AbortController();
    const stopConnection = () => connection.abort();
    stopSignal.addEventListener('abort', stopConnection, { once: true });
    let watchdog = 0;
    const feed = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => connection.abort(), SILENCE_MS);
    };
    try {
      feed();
      const response = await deps.stream('/live', connection.signal);
      if (response.status === 401) return 'unauthorized';
      if (response.status === 403) return 'forbidden';
      if (!response.ok || !response.body) return 'failed';
      onOpen();
      const parser = createSseParser(dispatch, feed);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended';
        feed();
        parser.push(value);
      }
    } catch {
      return 'failed';
    } finally {
      clearTimeout(watchdog);
      stopSignal.removeEventListener('abort', stopConnection);
      connection.abort();
    }
  }

  function dispatch(message) {
    if (message.event !== 'lead') return;
    try {
      emit('lead', JSON.parse(message.data));
    } catch {
      // A malformed message is dropped; the next sweep's rows correct the list.
    }
  }

  return {
    events,
    get state() {
      return state;
    },
    start() {
      if (running) return;
      running = new AbortController();
      run(running);
    },
    stop() {
      running?.abort();
      running = null;
      setState('closed');
    },
  };
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve(undefined);
    }
  });
}
