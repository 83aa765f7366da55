import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ConnectionPoolsClosed, oneShotAgent, type AgentLease, type ConnectionPools } from './connection-pools.ts';
import { classifyOutcome, type DeliveryFailure, type Outcome } from './retry-policy.ts';
import { checkTarget, type HostLookup, type ResolvedAddress } from './target-check.ts';

export * from './connection-pools.ts';

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
  /**
   * Keep-alive pools (`createConnectionPools`), one per checked address set: the attempt reuses a connection only
   * to the addresses its own check just returned. Without, the attempt opens a connection of its own and closes it.
   */
  readonly pools?: ConnectionPools;
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

  let lease: AgentLease;
  try {
    lease = req.pools ? req.pools.acquire(target.url, target.addresses) : oneShotAgent(target.url, target.addresses);
  } catch (err) {
    if (!(err instanceof ConnectionPoolsClosed)) throw err;
    // Shutting down: the job goes back to the queue, as for a cancelled attempt.
    const error: DeliveryFailure = { kind: 'aborted', message: err.message };
    return { outcome: classifyOutcome({ error }), error, durationMs: elapsed() };
  }
  const raw = await send(req, target.url, target.addresses, lease);
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

class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
  constructor(readonly phase: 'connect' | 'total', ms: number) {
    super(`${phase === 'connect' ? 'connecting' : 'the request'} took longer than ${ms} ms`);
  }
}

class AttemptAborted extends Error {
  override readonly name = 'AttemptAborted';
}

/**
 * A reused keep-alive socket can be closed by the server just as a request is written into it (the server's idle
 * timeout fired while the socket sat in our pool, its FIN still on the way). The request then fails before any
 * answer, and is sent once more on a connection of its own, within the same deadline; receivers deduplicate on the
 * idempotency key should the first copy have arrived after all.
 */
function isStaleSocket(request: ClientRequest, err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return request.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE');
}

function send(req: HttpDeliveryRequest, url: URL, addresses: readonly ResolvedAddress[], lease: AgentLease): Promise<RawResult> {
  return new Promise<RawResult>((resolve) => {
    const https = url.protocol === 'https:';
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
    const headers: Record<string, string> = { ...req.headers };
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(body.byteLength);
    }

    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    let response: IncomingMessage | undefined;
    /** The retry's own agent, after a stale pooled socket; connected to the same checked addresses. */
    let retryLease: AgentLease | undefined;
    const totalTimer = setTimeout(() => fail(new AttemptTimeout('total', req.totalTimeoutMs)), req.totalTimeoutMs);
    const onAbort = () => fail(new AttemptAborted('the delivery was cancelled'));

    const cleanup = () => {
      clearTimeout(totalTimer);
      clearTimeout(connectTimer);
      req.signal?.removeEventListener('abort', onAbort);
      // A pooled agent keeps the socket for the next attempt if the response was read to its end; every other path
      // has destroyed the request, and with it the socket.
      lease.release();
      retryLease?.release();
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
    const start = (agent: AgentLease['agent']): ClientRequest => {
      const started = (https ? httpsRequest : httpRequest)(url, {
        method: req.method ?? 'POST',
        headers,
        // The Host header, TLS SNI and certificate check still use the URL's name; only where the socket connects
        // is pinned, by the agent's lookup.
        agent,
      });
      started.on('error', (err) => {
        if (started !== request || settled) return;
        if (!response && !retryLease && isStaleSocket(started, err)) {
          retryLease = oneShotAgent(url, addresses);
          request = start(retryLease.agent);
          request.end(body);
          return;
        }
        fail(err);
      });
      started.on('socket', (socket) => {
        if (!socket.connecting) return;
        clearTimeout(connectTimer);
        connectTimer = setTimeout(() => fail(new AttemptTimeout('connect', req.connectTimeoutMs)), req.connectTimeoutMs);
        socket.once(https ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });
      started.on('response', (res) => {
        response = res;
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_RESPONSE_BYTES) {
            finish({ status: res.statusCode ?? 0, ...headInfo(res), body: decode(chunks) });
            started.destroy();
          }
        });
        res.on('end', () => finish({ status: res.statusCode ?? 0, ...headInfo(res), body: decode(chunks) }));
        res.on('error', fail);
      });
      return started;
    };
    let request = start(lease.agent);

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
