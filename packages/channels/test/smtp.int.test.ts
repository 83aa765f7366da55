import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpSender, type SmtpSender } from '../src/smtp.ts';

interface Captured {
  from: string;
  to: string[];
  raw: string;
  user?: string;
}

const sinks: SMTPServer[] = [];
const senders: SmtpSender[] = [];

afterEach(async () => {
  for (const s of senders.splice(0)) s.close();
  await Promise.all(sinks.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A local SMTP sink on a free port of 127.0.0.1, plain text, auth optional; `captured` fills as mail arrives. */
async function sink(overrides: Partial<SMTPServerOptions> = {}): Promise<{ port: number; captured: Captured[] }> {
  const captured: Captured[] = [];
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onAuth(auth, _session, cb) {
      cb(null, { user: auth.username });
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const envelope = session.envelope;
        captured.push({
          from: envelope.mailFrom ? envelope.mailFrom.address : '',
          to: envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
        });
        cb();
      });
    },
    ...overrides,
  });
  sinks.push(server);
  const listening = once(server.server, 'listening');
  server.listen(0, '127.0.0.1');
  await listening;
  return { port: (server.server.address() as AddressInfo).port, captured };
}

function sender(port: number, url?: string): SmtpSender {
  const s = createSmtpSender({
    url: url ?? { host: '127.0.0.1', port, secure: false },
    from: '"Lead alerts" <alerts@leadscore.test>',
    ignoreTLS: true,
    connectionTimeoutMs: 2000,
  });
  senders.push(s);
  return s;
}

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

const message = {
  to: 'sales@customer.test',
  subject: '热门线索：张伟（ACME 公司）正在查看定价页面',
  text: '张伟今天第三次访问了定价页面。\n分数：92 — 请在一小时内联系。',
  html: '<p><strong>张伟</strong>今天第三次访问了定价页面。</p><p>分数：92 — 请在一小时内联系。</p>',
  headers: { 'Idempotency-Key': 'alert-01JH8ZK3Q7-lead-42-rule-pricing' },
};

describe('createSmtpSender', () => {
  it('delivers subject, text, html and the idempotency header intact, Chinese included', async () => {
    const { port, captured } = await sink();
    const r = await sender(port).send(message);
    expect(r.outcome).toBe('delivered');
    expect(r.messageId).toMatch(/^<.+@.+>$/);

    expect(captured).toHaveLength(1);
    const mail = parseMail(captured[0]?.raw ?? '');
    expect(captured[0]).toMatchObject({ from: 'alerts@leadscore.test', to: ['sales@customer.test'] });
    expect(mail.header('subject')).toBe(message.subject);
    expect(mail.header('idempotency-key')).toBe(message.headers['Idempotency-Key']);
    expect(mail.header('message-id')).toBe(r.messageId);
    expect(mail.part('text/plain')).toBe(message.text);
    expect(mail.part('text/html')).toBe(message.html);
  });

  it('authenticates with the user and password of an smtp:// URL', async () => {
    const { port, captured } = await sink();
    const r = await sender(port, `smtp://alerts:s3cret@127.0.0.1:${port}`).send(message);
    expect(r.outcome).toBe('delivered');
    expect(captured[0]?.user).toBe('alerts');
  });

  it('retries when the server answers 451', async () => {
    const { port } = await sink({ onData: (stream, _s, cb) => stream.resume().on('end', () => cb(smtpError(451, 'Try again later'))) });
    const r = await sender(port).send(message);
    expect(r).toMatchObject({ outcome: 'retry', error: { kind: 'reply', responseCode: 451 } });
  });

  it('gives up when the server answers 550', async () => {
    const { port } = await sink({ onRcptTo: (_a, _s, cb) => cb(smtpError(550, 'No such user here')) });
    const r = await sender(port).send(message);
    expect(r).toMatchObject({ outcome: 'give_up', error: { kind: 'reply', responseCode: 550 } });
  });

  it('retries when the connection is refused', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await sender(port).send(message);
    expect(r).toMatchObject({ outcome: 'retry', error: { kind: 'network' } });
  });
});

/** Just enough MIME to read back what nodemailer wrote: unfolded headers, encoded words, QP and base64 parts. */
function parseMail(raw: string) {
  const split = (s: string) => {
    const at = s.indexOf('\r\n\r\n');
    const headers = new Map<string, string>();
    for (const line of s.slice(0, at).replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    return { headers, body: s.slice(at + 4) };
  };
  const top = split(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(top.headers.get('content-type') ?? '')?.[1];
  const parts = boundary
    ? top.body.split(`--${boundary}`).slice(1, -1).map((p) => split(p.replace(/^\r\n/, '')))
    : [top];
  return {
    header: (name: string) => decodeWords(top.headers.get(name) ?? ''),
    part(type: string): string | undefined {
      const p = parts.find((x) => (x.headers.get('content-type') ?? '').startsWith(type));
      if (!p) return undefined;
      const body = p.body.replace(/\r\n$/, '');
      const cte = (p.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
      const bytes = cte === 'base64' ? Buffer.from(body, 'base64') : cte === 'quoted-printable' ? qp(body) : Buffer.from(body);
      return bytes.toString('utf8').replace(/\r\n/g, '\n');
    },
  };
}

function qp(s: string): Buffer {
  const t = s.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const hex = t.slice(i + 1, i + 3);
    if (t[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(t.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047: adjacent encoded words join without the space between them, bytes first so split characters rejoin. */
function decodeWords(value: string): string {
  return value.replace(/(?:=\?[^?]+\?[BQ]\?[^?]*\?=\s*)+/gi, (run) => {
    const bytes = [...run.matchAll(/=\?[^?]+\?([BQ])\?([^?]*)\?=/gi)].map(([, enc, data]) =>
      enc?.toUpperCase() === 'B' ? Buffer.from(data ?? '', 'base64') : qp((data ?? '').replace(/_/g, ' ')),
    );
    const trailing = /\s+$/.exec(run)?.[0] ?? '';
    return Buffer.concat(bytes).toString('utf8') + trailing;
  });
}
