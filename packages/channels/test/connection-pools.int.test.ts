import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnectionPools, poolKey, type ConnectionPoolOptions, type ConnectionPools } from '../src/connection-pools.ts';
import { deliverHttp, type HttpDeliveryRequest } from '../src/http-delivery.ts';
import type { HostLookup } from '../src/target-check.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, nthOnConnection: number) => void;

interface Receiver {
  readonly url: string;
  readonly port: number;
  /** Requests received in full, in order. */
  readonly received: string[];
  /** Connections accepted, server side: a kept-alive connection shows as one for many requests. */
  readonly connections: { readonly socket: Socket; readonly closed: Promise<void>; isClosed: boolean }[];
}

const servers: Server[] = [];
const pools: ConnectionPools[] = [];

afterEach(async () => {
  for (const p of pools.splice(0)) p.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A local receiver that counts its connections; answers 200 unless the handler says otherwise. */
async function serve(options: { host?: string; port?: number; handler?: Handler } = {}): Promise<Receiver> {
  const received: string[] = [];
  const connections: Receiver['connections'][number][] = [];
  const perSocket = new WeakMap<Socket, number>();
  const server = createServer((req, res) => {
    const nth = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, nth);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(Buffer.concat(chunks).toString());
      if (options.handler) options.handler(req, res, nth);
      else res.end('ok');
    });
  });
  server.on('connection', (socket: Socket) => {
    const entry = { socket, closed: once(socket, 'close').then(() => undefined), isClosed: false };
    void entry.closed.then(() => (entry.isClosed = true));
    connections.push(entry);
  });
  servers.push(server);
  const host = options.host ?? '127.0.0.1';
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://${host}:${port}/hook`, port, received, connections };
}

function poolsOf(options: ConnectionPoolOptions = {}): ConnectionPools {
  const p = createConnectionPools(options);
  pools.push(p);
  return p;
}

const local = { connectTimeoutMs: 1000, totalTimeoutMs: 3000, refusePrivate: false } as const;

function post(url: string, extra: Partial<HttpDeliveryRequest>) {
  return deliverHttp({ url, body: '{"alert":1}', headers: { 'content-type': 'application/json' }, ...local, ...extra });
}

/** A resolver whose answers the test changes, as DNS changes under a running service; never the real DNS. */
function movingResolver(initial: Record<string, string>): HostLookup & { table: Record<string, string>; calls: number } {
  const table = { ...initial };
  const lookup = Object.assign(
    async (host: string) => {
      lookup.calls++;
      const address = table[host];
      if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return [{ address, family: address.includes(':') ? 6 : 4 }];
    },
    { table, calls: 0 },
  );
  return lookup;
}

describe('keep-alive connection pools', () => {
  it('sends consecutive deliveries to one target over one connection', async () => {
    const srv = await serve();
    const p = poolsOf();
    for (let i = 0; i < 5; i++) expect(await post(srv.url, { pools: p })).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(srv.received).toHaveLength(5);
    expect(srv.connections).toHaveLength(1);
    expect(p.size).toBe(1);
  });

  it('opens no more connections to one target than maxSocketsPerPool, however many deliveries run at once', async () => {
    const srv = await serve();
    const p = poolsOf({ maxSocketsPerPool: 3 });
    const results = await Promise.all(Array.from({ length: 12 }, () => post(srv.url, { pools: p })));
    expect(results.every((r) => r.outcome === 'delivered')).toBe(true);
    expect(srv.received).toHaveLength(12);
    expect(srv.connections.length).toBeLessThanOrEqual(3);
  });

  it('refuses a name that now resolves to a private address, though a pool with an idle connection to its old address exists', async () => {
    const srv = await serve();
    const p = poolsOf();
    const lookup = movingResolver({ 'hooks.example.test': '127.0.0.1' });
    const url = `http://hooks.example.test:${srv.port}/hook`;
    // The local receiver stands in for a public address: only with refusePrivate off may the check let it through.
    expect(await post(url, { pools: p, lookup })).toMatchObject({ outcome: 'delivered' });
    expect(p.size).toBe(1);

    // With the guard on, the check runs again and refuses, whether the name still points at the pooled address or
    // has moved to another private one: no pool is consulted, nothing is sent.
    for (const address of ['127.0.0.1', '10.0.0.7']) {
      lookup.table['hooks.example.test'] = address;
      const r = await post(url, { pools: p, lookup, refusePrivate: true });
      expect(r).toMatchObject({ outcome: 'give_up', error: { kind: 'invalid_target', code: 'private_address' } });
      expect(r.error?.message).toContain(address);
    }
    expect(lookup.calls).toBe(3);
    expect(srv.received).toHaveLength(1);
    expect(srv.connections).toHaveLength(1);
    expect(p.size).toBe(1);
  });

  it('delivers to the address a name moved to, not over the idle connection to its old address', async () => {
    const old = await serve({ host: '127.0.0.1' });
    // All of 127/8 is loopback on Linux: a second receiver on the same port, at another address.
    const moved = await serve({ host: '127.0.0.2', port: old.port });
    const p = poolsOf();
    const lookup = movingResolver({ 'hooks.example.test': '127.0.0.1' });
    const url = `http://hooks.example.test:${old.port}/hook`;
    expect(await post(url, { pools: p, lookup })).toMatchObject({ outcome: 'delivered' });

    lookup.table['hooks.example.test'] = '127.0.0.2';
    expect(await post(url, { pools: p, lookup })).toMatchObject({ outcome: 'delivered' });
    expect(old.received).toHaveLength(1);
    expect(moved.received).toHaveLength(1);
    expect(p.size).toBe(2);

    // Back at the old address, its pool's connection is reused.
    lookup.table['hooks.example.test'] = '127.0.0.1';
    expect(await post(url, { pools: p, lookup })).toMatchObject({ outcome: 'delivered' });
    expect(old.received).toHaveLength(2);
    expect(old.connections).toHaveLength(1);
  });

  it('keys a pool by protocol, host name, port and every checked address, whatever order DNS gave them in', () => {
    const v4 = { address: '93.184.216.34', family: 4 };
    const v6 = { address: '2606:2800:220:1::1', family: 6 };
    const key = (url: string, addresses: { address: string; family: number }[]) => poolKey(new URL(url), addresses);
    expect(key('https://hooks.example.com/a', [v4, v6])).toBe(key('https://hooks.example.com:443/b', [v6, v4]));
    expect(key('https://hooks.example.com/', [v4])).not.toBe(key('https://hooks.example.com/', [v4, v6]));
    expect(key('https://hooks.example.com/', [v4])).not.toBe(key('http://hooks.example.com/', [v4]));
    expect(key('https://hooks.example.com/', [v4])).not.toBe(key('https://other.example.com/', [v4]));
    expect(key('https://hooks.example.com/', [v4])).not.toBe(key('https://hooks.example.com:8443/', [v4]));
  });

  it('closes the least recently used pool, and its connection, beyond maxPools', async () => {
    const [a, b, c] = [await serve(), await serve(), await serve()];
    const p = poolsOf({ maxPools: 2 });
    for (const srv of [a, b, a]) expect(await post(srv.url, { pools: p })).toMatchObject({ outcome: 'delivered' });
    // a was used after b, so b is the least recent when c needs a pool.
    expect(await post(c.url, { pools: p })).toMatchObject({ outcome: 'delivered' });
    expect(p.size).toBe(2);
    await b.connections[0]?.closed;
    expect(a.connections.map((x) => x.isClosed)).toEqual([false]);

    // b again: a connection of its own, and now a is the one closed.
    expect(await post(b.url, { pools: p })).toMatchObject({ outcome: 'delivered' });
    expect(b.connections).toHaveLength(2);
    await a.connections[0]?.closed;
    expect(p.size).toBe(2);
  });

  it('lets a delivery in flight finish when its pool is evicted, then closes its connection', async () => {
    let answer: (() => void) | undefined;
    const slow = await serve({ handler: (_req, res) => (answer = () => res.end('ok')) });
    const other = await serve();
    const p = poolsOf({ maxPools: 1 });
    const pending = post(slow.url, { pools: p });
    await until(() => answer !== undefined);
    expect(await post(other.url, { pools: p })).toMatchObject({ outcome: 'delivered' });
    expect(slow.connections.map((x) => x.isClosed)).toEqual([false]);

    answer?.();
    expect(await pending).toMatchObject({ outcome: 'delivered', status: 200, body: 'ok' });
    await slow.connections[0]?.closed;
    expect(p.size).toBe(1);
  });

  it('closes a connection idle for idleTimeoutMs, and the next delivery opens a new one', async () => {
    const srv = await serve();
    const p = poolsOf({ idleTimeoutMs: 200 });
    expect(await post(srv.url, { pools: p })).toMatchObject({ outcome: 'delivered' });
    await srv.connections[0]?.closed;
    expect(await post(srv.url, { pools: p })).toMatchObject({ outcome: 'delivered' });
    expect(srv.connections).toHaveLength(2);
  });

  it('closes every connection on destroy, and a delivery afterwards is retried later without being sent', async () => {
    const [a, b] = [await serve(), await serve()];
    const p = poolsOf();
    for (const srv of [a, b]) expect(await post(srv.url, { pools: p })).toMatchObject({ outcome: 'delivered' });
    p.destroy();
    await Promise.all([a.connections[0]?.closed, b.connections[0]?.closed]);
    expect(p.size).toBe(0);
    expect(await post(a.url, { pools: p })).toMatchObject({ outcome: 'retry', error: { kind: 'aborted' } });
    expect(a.received).toHaveLength(1);
  });

  it('sends a delivery once more on a new connection when the server closed the kept-alive one under it', async () => {
    // The second request on a connection finds it closed, as when the server's idle timeout fires while we write.
    const srv = await serve({ handler: (req, res, nth) => (nth === 1 ? res.end('ok') : req.socket.destroy()) });
    const p = poolsOf();
    expect(await post(srv.url, { pools: p })).toMatchObject({ outcome: 'delivered' });
    expect(await post(srv.url, { pools: p })).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(srv.connections).toHaveLength(2);
    expect(srv.received).toHaveLength(3);
  });
});

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
