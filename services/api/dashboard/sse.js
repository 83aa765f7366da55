/**
 * A server-sent events parser for a stream read with fetch (EventSource cannot send an Authorization header).
 * Follows the WHATWG event-stream rules that matter here: lines end in \n, \r\n or \r, possibly split across chunks;
 * `field: value` with one optional space after the colon; several `data:` lines join with \n; a blank line ends a
 * message; a line starting with `:` is a comment (the server's heartbeat). Pure: feed it text, it calls you back.
 */

/**
 * @param {(message: { event: string, data: string, id: string | null }) => void} onMessage
 * @param {() => void} [onComment] called for each comment line, i.e. each heartbeat
 */
export function createSseParser(onMessage, onComment = () => {}) {
  let rest = '';
  let started = false;
  let event = '';
  /** @type {string[]} */
  let data = [];
  /** @type {string | null} */
  let id = null;

  function line(text) {
    if (text === '') {
      if (data.length > 0) onMessage({ event: event || 'message', data: data.join('\n'), id });
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return onComment();
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
    // `retry` and unknown fields are ignored: the reconnect policy is the client's (live.js).
  }

  return {
    /** @param {string} chunk decoded text, cut anywhere */
    push(chunk) {
      let text = rest + chunk;
      if (!started && text.length > 0) {
        started = true;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      // A \r at the very end may be the first half of \r\n: keep it with the unfinished line until the next chunk.
      const lines = text.split(/\r\n|\r(?!$)|\n/);
      rest = /** @type {string} */ (lines.pop());
      for (const l of lines) line(l);
    },
  };
}
