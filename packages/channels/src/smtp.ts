import nodemailer from 'nodemailer';
import type { NodemailerError, SMTPTransportOptions } from 'nodemailer';
import type { Outcome } from './retry-policy.ts';

export interface SmtpServer {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS from the first byte (port 465); false means plain with STARTTLS when offered. */
  readonly secure: boolean;
  readonly auth?: { readonly user: string; readonly pass: string };
}

export interface SmtpSenderOptions {
  /** `smtp://user:pass@host:port` (or `smtps://`), or the same as parts. */
  readonly url: string | SmtpServer;
  /** The From address, e.g. `"Lead alerts" <alerts@example.com>`. */
  readonly from: string;
  /** Never upgrade with STARTTLS; for a local sink only. */
  readonly ignoreTLS?: boolean;
  /** Fail rather than send in clear text when the server offers no STARTTLS. */
  readonly requireTLS?: boolean;
  /**
   * Nodemailer waits 2 min to connect and 10 min on an idle socket by default; an alert worker should give up
   * well before that and retry (defaults 10 s, 10 s, 30 s).
   */
  readonly connectionTimeoutMs?: number;
  readonly greetingTimeoutMs?: number;
  readonly socketTimeoutMs?: number;
}

export interface SmtpMessage {
  readonly to: string | readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** Extra headers such as `Idempotency-Key`; UTF-8 values are encoded by nodemailer. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/**
 * `reply`: the server answered with a negative reply code; `network`/`timeout`: the connection failed; `aborted`:
 * the caller cancelled; `config`: credentials, TLS requirements or the message itself are wrong; `other`: anything
 * nodemailer did not label.
 */
export type SmtpFailureKind = 'reply' | 'network' | 'timeout' | 'aborted' | 'config' | 'other';

export interface SmtpFailure {
  readonly kind: SmtpFailureKind;
  readonly message: string;
  /** Nodemailer's code (`ECONNECTION`, `EENVELOPE`, …) or Node's (`ECONNREFUSED`). */
  readonly code?: string;
  /** The SMTP reply code (e.g. 451, 550) when the server answered. */
  readonly responseCode?: number;
}

export interface SmtpSendResult {
  readonly outcome: Outcome;
  readonly messageId?: string;
  /** Recipients the server refused while accepting the message for the others. */
  readonly rejected?: readonly string[];
  readonly error?: SmtpFailure;
}

export interface SmtpSender {
  /** Never throws: the result says whether to retry. */
  send(message: SmtpMessage): Promise<SmtpSendResult>;
  close(): void;
}

export function createSmtpSender(options: SmtpSenderOptions): SmtpSender {
  const server: SMTPTransportOptions =
    typeof options.url === 'string'
      ? { url: options.url }
      : {
          host: options.url.host,
          port: options.url.port,
          secure: options.url.secure,
          ...(options.url.auth ? { auth: { user: options.url.auth.user, pass: options.url.auth.pass } } : {}),
        };
  const transport = nodemailer.createTransport({
    ...server,
    ...(options.ignoreTLS !== undefined ? { ignoreTLS: options.ignoreTLS } : {}),
    ...(options.requireTLS !== undefined ? { requireTLS: options.requireTLS } : {}),
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    greetingTimeout: options.greetingTimeoutMs ?? 10_000,
    socketTimeout: options.socketTimeoutMs ?? 30_000,
  });

  return {
    async send(message) {
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: typeof message.to === 'string' ? message.to : [...message.to],
          subject: message.subject,
          text: message.text,
          ...(message.html !== undefined ? { html: message.html } : {}),
          ...(message.headers ? { headers: { ...message.headers } } : {}),
          ...(message.signal ? { signal: message.signal } : {}),
        });
        const rejected = info.rejected.map(String);
        return { outcome: 'delivered', messageId: info.messageId, ...(rejected.length ? { rejected } : {}) };
      } catch (err) {
        const error = toSmtpFailure(err);
        return { outcome: classifySmtpFailure(error), error };
      }
    },
    close() {
      transport.close();
    },
  };
}

/** Nodemailer codes that mean the message or its configuration is at fault, so sending it again changes nothing. */
const CONFIG_CODES: ReadonlySet<string> = new Set([
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'ECONFIG',
  'EENVELOPE',
  'EMESSAGE',
  'EREQUIRETLS',
  'EMAXRECIPIENTS',
]);

const CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNECTION', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY']);

/**
 * RFC 5321 reply classes: 4yz is transient (greylisting, a full mailbox, rate limits), 5yz permanent. 503 (bad
 * sequence of commands) is the exception nodemailer also makes: it reports a confused session, not a refused
 * message, so a new connection may well succeed. Without a reply code, failures of the connection (refused, reset,
 * timeouts, DNS, TLS) are worth retrying and failures of the configuration or message are not.
 */
export function classifySmtpFailure(error: Pick<SmtpFailure, 'kind' | 'responseCode'>): Outcome {
  const reply = error.responseCode;
  if (reply !== undefined && reply >= 400 && reply < 600) {
    return reply >= 500 && reply !== 503 ? 'give_up' : 'retry';
  }
  return error.kind === 'config' ? 'give_up' : 'retry';
}

function toSmtpFailure(err: unknown): SmtpFailure {
  if (!(err instanceof Error)) return { kind: 'other', message: String(err) };
  const e = err as NodemailerError;
  const code = e.code;
  const kind = failureKind(e);
  return {
    kind,
    message: e.message,
    ...(code ? { code } : {}),
    ...(e.responseCode !== undefined ? { responseCode: e.responseCode } : {}),
  };
}

function failureKind(e: NodemailerError): SmtpFailureKind {
  const code = e.code;
  if (e.responseCode !== undefined && e.responseCode >= 400) return 'reply';
  if (code === 'EABORT' || e.name === 'AbortError') return 'aborted';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code === undefined) return 'other';
  if (CONNECTION_CODES.has(code) || code.startsWith('ECONN')) return 'network';
  return CONFIG_CODES.has(code) ? 'config' : 'other';
}
