import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createConnectionPools, deliverHttp, MAX_RESPONSE_BYTES, type HttpDeliveryRequest } from '../src/http-delivery.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local server on a free port of 127.0.0.1; `received` fills as requests arrive. */
async function serve(handler: Handler): Promise<{ url: string; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res);
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, port, received };
}

/** A port nothing listens on: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const local = { connectTimeoutMs: 1000, totalTimeoutMs: 3000, refusePrivate: false } as const;

// Every behaviour holds alike for an attempt on a connection of its own and for one through keep-alive pools.
const pooled = createConnectionPools();
afterAll(() => pooled.destroy());

describe.each([
  { connections: 'a connection per attempt', pools: undefined },
  { connections: 'keep-alive pools', pools: pooled },
])('deliverHttp, $connections', ({ pools }) => {
  const post = (url: string, extra: Partial<HttpDeliveryRequest> = {}) =>
    deliverHttp({ url, body: '{"alert":1}', headers: { 'content-type': 'application/json' }, ...local, ...(pools ? { pools } : {}), ...extra });

  it('delivers on 200, sending method, headers and body as given', async () => {
    const srv = await serve((_req, res) => res.end('ok'));
    const r = await post(srv.url, { headers: { 'content-type': 'application/json', 'x-signature': 'v1=abc' } });
    expect(r).toMatchObject({ outcome: 'delivered', status: 200, body: 'ok' });
    expect(r.error).toBeUndefined();
    expect(srv.received).toMatchObject([
      { method: 'POST', url: '/hook', body: '{"alert":1}', headers: { 'x-signature': 'v1=abc', 'content-length': '11' } },
    ]);
  });

  it('retries on 500 with the body as error text', async () => {
    const srv = await serve((_req, res) => {
      res.statusCode = 500;
      res.end('database is down');
    });
    const r = await post(srv.url);
    expect(r).toMatchObject({ outcome: 'retry', status: 500, error: { kind: 'http_status', message: 'HTTP 500: database is down' } });
  });

  it('retries on 429 and returns Retry-After', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(429, { 'retry-after': '30' });
      res.end();
    });
    expect(await post(srv.url)).toMatchObject({ outcome: 'retry', status: 429, retryAfter: '30' });
  });

  it('gives up on 400', async () => {
    const srv = await serve((_req, res) => {
      res.statusCode = 400;
      res.end('invalid_payload');
    });
    expect(await post(srv.url)).toMatchObject({ outcome: 'give_up', status: 400, error: { message: 'HTTP 400: invalid_payload' } });
  });

  it('gives up on 404', async () => {
    const srv = await serve((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    expect(await post(srv.url)).toMatchObject({ outcome: 'give_up', status: 404 });
  });

  it('gives up on a redirect without following it', async () => {
    const target = await serve((_req, res) => res.end('ok'));
    const srv = await serve((_req, res) => {
      res.writeHead(307, { location: target.url });
      res.end();
    });
    const r = await post(srv.url);
    expect(r).toMatchObject({ outcome: 'give_up', status: 307 });
    expect(r.error?.message).toContain('not followed');
    expect(target.received).toEqual([]);
  });

  it('retries after totalTimeoutMs when the server accepts but never answers', async () => {
    const srv = await serve(() => {});
    const r = await post(srv.url, { totalTimeoutMs: 300 });
    expect(r).toMatchObject({ outcome: 'retry', error: { kind: 'timeout', code: 'total_timeout' } });
    expect(r.status).toBeUndefined();
    expect(r.durationMs).toBeGreaterThanOrEqual(290);
    expect(r.durationMs).toBeLessThan(2000);
  });

  it('retries after connectTimeoutMs when an https server accepts TCP but never completes the TLS handshake', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => sockets.push(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const { port } = silent.address() as AddressInfo;
      const r = await post(`https://127.0.0.1:${port}/hook`, { connectTimeoutMs: 200, totalTimeoutMs: 5000 });
      expect(r).toMatchObject({ outcome: 'retry', error: { kind: 'timeout', code: 'connect_timeout' } });
      expect(r.durationMs).toBeLessThan(2000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('retries when the connection is refused', async () => {
    const port = await closedPort();
    const r = await post(`http://127.0.0.1:${port}/hook`);
    expect(r).toMatchObject({ outcome: 'retry', error: { kind: 'network', code: 'ECONNREFUSED' } });
  });

  it('keeps a 2xx delivered when the body never ends', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const r = await post(srv.url, { totalTimeoutMs: 300 });
    expect(r).toMatchObject({ outcome: 'delivered', status: 200, body: 'partial' });
  });

  it('reads no more than MAX_RESPONSE_BYTES of the body', async () => {
    const srv = await serve((_req, res) => {
      res.statusCode = 502;
      res.end('x'.repeat(MAX_RESPONSE_BYTES * 4));
    });
    const r = await post(srv.url);
    expect(r).toMatchObject({ outcome: 'retry', status: 502 });
    expect(r.body?.length).toBe(MAX_RESPONSE_BYTES);
    expect(r.error?.message.length).toBeLessThan(2048);
  });

  it('refuses 127.0.0.1 when refusePrivate is on, without connecting', async () => {
    const srv = await serve((_req, res) => res.end('ok'));
    const r = await post(srv.url, { refusePrivate: true });
    expect(r).toMatchObject({ outcome: 'give_up', error: { kind: 'invalid_target', code: 'private_address' } });
    expect(r.error?.message).toContain('127.0.0.1');
    expect(srv.received).toEqual([]);
  });

  it('gives up on a URL with credentials', async () => {
    const srv = await serve((_req, res) => res.end('ok'));
    const r = await post(`http://u:p@127.0.0.1:${srv.port}/hook`);
    expect(r).toMatchObject({ outcome: 'give_up', error: { kind: 'invalid_target', code: 'credentials_in_url' } });
  });

  it('connects to the address the check resolved, keeping the name in the Host header', async () => {
    const srv = await serve((_req, res) => res.end('ok'));
    // A name the real DNS does not know: only the pinned address can make this connect.
    let calls = 0;
    const lookup = async () => {
      calls += 1;
      return [{ address: calls === 1 ? '127.0.0.1' : '10.255.255.1', family: 4 }];
    };
    const r = await post(`http://hooks.example.test:${srv.port}/hook`, { lookup });
    expect(r).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(calls).toBe(1);
    expect(srv.received[0]?.headers.host).toBe(`hooks.example.test:${srv.port}`);
  });

  it('retries when the name does not resolve', async () => {
    const lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    const r = await post('http://hooks.example.test/hook', { lookup });
    expect(r).toMatchObject({ outcome: 'retry', error: { kind: 'network', code: 'dns_failed' } });
  });

  it('retries when the caller cancels', async () => {
    const srv = await serve(() => {});
    const controller = new AbortController();
    const pending = post(srv.url, { signal: controller.signal });
    await waitFor(() => srv.received.length === 1);
    controller.abort();
    expect(await pending).toMatchObject({ outcome: 'retry', error: { kind: 'aborted' } });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
