import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { classifyOutcome, type DeliveryFailure, type Outcome } from './retry-policy.ts';
import { checkTarget, type HostLookup, type ResolvedAddress } from './target-check.ts';

export interface HttpDeliveryRequest {
  readonly url: string | URL;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Until the TCP connection (and for https the TLS handshake) is up. */
  readonly connectTimeoutMs: number;
  /** The whole attempt: connect, send, response head and the part of the body that is read. */
  readonly totalTimeoutMs: number;
  /** See `checkTarget`: true in production, where webhook URLs come from tenants. */
  readonly refusePrivate: boolean;
  readonly lookup?: HostLookup;
  /** Cancels the attempt (shutdown); it then counts as `retry`. */
  readonly signal?: AbortSignal;
}

export interface HttpDeliveryResult {
  readonly outcome: Outcome;
  readonly status?: number;
  /** The `Retry-After` header as sent, for `retryDelayMs` (@leadscore/events). */
  readonly retryAfter?: string;
  /**
   * The first `MAX_RESPONSE_BYTES` of the response body as UTF-8, also on 2xx: chat-bot APIs (WeCom, Feishu,
   * DingTalk) answer 200 with an error code in the body, which only the caller's format knows how to read.
   */
  readonly body?: string;
  readonly error?: DeliveryFailure;
  readonly durationMs: number;
}

/** Enough for any error text; a larger body is cut, so a hostile endpoint can not make us buffer without end. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** How much of the body goes into `error.message`; all of it is in `body`. */
const ERROR_TEXT_CHARS = 1024;

/**
 * One HTTP attempt, never throwing: the result says whether the alert was delivered, is worth retrying or must be
 * given up. Redirects are not followed (they count as `give_up`): a redirect would carry the signed payload to a
 * host that was never checked. A timeout after the request was sent is `retry` although the receiver may have
 * processed it; receivers deduplicate on the payload's idempotency key.
 */
export async function deliverHttp(req: HttpDeliveryRequest): Promise<HttpDeliveryResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);

  const target = await checkTarget(req.url, {
    refusePrivate: req.refusePrivate,
    ...(req.lookup ? { lookup: req.lookup } : {}),
  });
  if (!target.ok) {
    const kind = target.code === 'dns_failed' ? 'network' : 'invalid_target';
    const error: DeliveryFailure = { kind, code: target.code, message: target.reason };
    return { outcome: classifyOutcome({ error }), error, durationMs: elapsed() };
  }

  const raw = await send(req, target.url, target.addresses);
  const durationMs = elapsed();
  if (raw.status === undefined) {
    return { outcome: classifyOutcome({ error: raw.error }), error: raw.error, durationMs };
  }
  const { status, retryAfter, location, body } = raw;
  const outcome = classifyOutcome({ status });
  const base = {
    outcome,
    status,
    ...(retryAfter !== undefined ? { retryAfter } : {}),
    ...(body !== undefined ? { body } : {}),
    durationMs,
  };
  if (outcome === 'delivered') return base;
  const detail =
    status >= 300 && status < 400
      ? `redirect${location ? ` to ${location}` : ''} not followed`
      : (body ?? '').slice(0, ERROR_TEXT_CHARS);
  return { ...base, error: { kind: 'http_status', message: `HTTP ${status}${detail ? `: ${detail}` : ''}` } };
}

type RawResult =
  | { status: number; retryAfter?: string; location?: string; body?: string }
  | { status?: undefined; error: DeliveryFailure };

/** Answers the client's DNS lookup with the addresses the target check approved, and nothing else. */
function pinnedLookup(addresses: readonly ResolvedAddress[]) {
  return (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    const usable = addresses.filter((a) => family === 0 || a.family === family);
    const first = usable[0];
    if (!first) {
      const err: NodeJS.ErrnoException = new Error(`no checked IPv${family} address for ${hostname}`);
      err.code = 'ENOTFOUND';
      callback(err, '');
      return;
    }
    // Node's happy-eyeballs connect (autoSelectFamily) asks for all addresses, a plain connect for one.
    if (options.all) callback(null, usable.map((a) => ({ address: a.address, family: a.family })));
    else callback(null, first.address, first.family);
  };
}

class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
  constructor(readonly phase: 'connect' | 'total', ms: number) {
    super(`${phase === 'connect' ? 'connecting' : 'the request'} took longer than ${ms} ms`);
  }
}

class AttemptAborted extends Error {
  override readonly name = 'AttemptAborted';
}

function send(req: HttpDeliveryRequest, url: URL, addresses: readonly ResolvedAddress[]): Promise<RawResult> {
  return new Promise<RawResult>((resolve) => {
    const https = url.protocol === 'https:';
    // One agent per attempt, without keep-alive: a pooled socket could have been opened for an earlier check.
    const agentOptions = { keepAlive: false, lookup: pinnedLookup(addresses) };
    const agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
    const headers: Record<string, string> = { ...req.headers };
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(body.byteLength);
    }

    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    let response: IncomingMessage | undefined;
    const totalTimer = setTimeout(() => fail(new AttemptTimeout('total', req.totalTimeoutMs)), req.totalTimeoutMs);
    const onAbort = () => fail(new AttemptAborted('the delivery was cancelled'));

    const cleanup = () => {
      clearTimeout(totalTimer);
      clearTimeout(connectTimer);
      req.signal?.removeEventListener('abort', onAbort);
      agent.destroy();
    };
    const finish = (result: RawResult) => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(result);
    };
    const fail = (err: Error) => {
      if (response && !response.complete && response.statusCode !== undefined) {
        // The head arrived; what is missing is only (part of) the body, so the status still decides.
        const status = response.statusCode;
        request.destroy();
        finish({ status, ...headInfo(response), body: decode(chunks) });
        return;
      }
      request.destroy();
      finish({ error: toFailure(err) });
    };

    const chunks: Buffer[] = [];
    const request = (https ? httpsRequest : httpRequest)(url, {
      method: req.method ?? 'POST',
      headers,
      // The Host header, TLS SNI and certificate check still use the URL's name; only where the socket connects
      // is pinned, by the agent's lookup.
      agent,
    });
    request.on('error', fail);
    request.on('socket', (socket) => {
      if (!socket.connecting) return;
      connectTimer = setTimeout(() => fail(new AttemptTimeout('connect', req.connectTimeoutMs)), req.connectTimeoutMs);
      socket.once(https ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    request.on('response', (res) => {
      response = res;
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_RESPONSE_BYTES) {
          finish({ status: res.statusCode ?? 0, ...headInfo(res), body: decode(chunks) });
          request.destroy();
        }
      });
      res.on('end', () => finish({ status: res.statusCode ?? 0, ...headInfo(res), body: decode(chunks) }));
      res.on('error', fail);
    });

    if (req.signal?.aborted) {
      onAbort();
      return;
    }
    req.signal?.addEventListener('abort', onAbort, { once: true });
    request.end(body);
  });
}

function headInfo(res: IncomingMessage): { retryAfter?: string; location?: string } {
  const retryAfter = res.headers['retry-after'];
  const location = res.headers.location;
  return {
    ...(retryAfter !== undefined ? { retryAfter } : {}),
    ...(location !== undefined ? { location } : {}),
  };
}

function decode(chunks: readonly Buffer[]): string | undefined {
  if (chunks.length === 0) return undefined;
  // A cut in the middle of a UTF-8 sequence becomes U+FFFD rather than an exception.
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES));
}

function toFailure(err: Error): DeliveryFailure {
  if (err instanceof AttemptTimeout) return { kind: 'timeout', code: `${err.phase}_timeout`, message: err.message };
  if (err instanceof AttemptAborted) return { kind: 'aborted', message: err.message };
  const code = (err as NodeJS.ErrnoException).code;
  return { kind: 'network', message: err.message, ...(code ? { code } : {}) };
}
