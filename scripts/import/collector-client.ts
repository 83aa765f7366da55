import { isRetryableStatus, retryDelay, type RetryPolicy } from './backoff.ts';
import { CollectorError } from './errors.ts';
import { z } from './zod.ts';

/** The collector's answer to a /v1/import request it took (200): per-message rejections by index in the batch. */
export const importResponseSchema = z.object({
  success: z.boolean(),
  accepted: z.number().int().min(0),
  rejected: z
    .array(
      z.object({
        index: z.number().int().min(0),
        messageId: z.string().optional(),
        reason: z.string(),
        issues: z.array(z.object({ path: z.string(), message: z.string() })),
      }),
    )
    .optional(),
});

export type ImportResponse = z.output<typeof importResponseSchema>;

export interface ClientOptions {
  /** The collector's base URL; requests go to `<url>/v1/import`. */
  readonly url: string;
  readonly importKey: string;
  readonly retry: RetryPolicy;
  /** How long one request may take before it counts as failed (and is retried). */
  readonly timeoutMs?: number;
  /** Told before each wait, so the person watching knows why nothing moves. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; cause: string }) => void;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function importUrl(base: string): string {
  return new URL('v1/import', base.endsWith('/') ? base : `${base}/`).toString();
}

async function bodyMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown };
    return [json.error, json.message].filter((v) => typeof v === 'string').join(': ') || text.slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}

/**
 * Posts one batch to /v1/import. 429, 5xx (503 while Kafka is away), time-outs and network errors are tried again
 * with backoff, honouring Retry-After — harmless, since every message has a deterministic messageId. Any other
 * answer than 200 stops the import: it means the request itself is wrong and would fail the same way again.
 */
export async function sendImportBatch(body: Record<string, unknown>, options: ClientOptions): Promise<ImportResponse> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? sleepMs;
  const url = importUrl(options.url);
  const authorization = `Basic ${Buffer.from(`${options.importKey}:`).toString('base64')}`;
  const payload = JSON.stringify(body);
  let lastCause = '';
  for (let attempt = 1; attempt <= options.retry.maxAttempts; attempt++) {
    let retryAfter: string | null = null;
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: payload,
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
      if (response.status === 200) {
        const parsed = importResponseSchema.safeParse(await response.json().catch(() => undefined));
        if (!parsed.success) throw new CollectorError(`the collector at ${url} answered 200 with a body that is not an import result; is this a leadscore collector?`, 200);
        return parsed.data;
      }
      const message = await bodyMessage(response);
      if (!isRetryableStatus(response.status)) {
        if (response.status === 401) {
          throw new CollectorError(`the collector at ${url} refused the import key (401 ${message}); give the right one with --import-key or IMPORT_KEY`, 401);
        }
        throw new CollectorError(`the collector at ${url} refused the request with ${response.status}: ${message}`, response.status);
      }
      lastCause = `${response.status} ${message}`;
      retryAfter = response.headers.get('retry-after');
    } catch (err) {
      if (err instanceof CollectorError) throw err;
      const cause = err instanceof Error && err.cause instanceof Error ? `${err.message} (${err.cause.message})` : String(err instanceof Error ? err.message : err);
      lastCause = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${options.timeoutMs ?? 60_000} ms` : cause;
    }
    if (attempt === options.retry.maxAttempts) break;
    const delayMs = retryDelay(attempt, retryAfter, options.retry, options.random);
    options.onRetry?.({ attempt, delayMs, cause: lastCause });
    await sleep(delayMs);
  }
  throw new CollectorError(`the collector at ${url} did not take a batch after ${options.retry.maxAttempts} attempts; the last: ${lastCause}`);
}
