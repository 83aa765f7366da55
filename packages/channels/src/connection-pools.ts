import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { ResolvedAddress } from './target-check.ts';

/**
 * Keep-alive connections for deliveries, without weakening the private-target guard. A pool (one node:http(s) Agent)
 * belongs to one (protocol, host name, port, checked addresses): its agent's DNS lookup answers with those addresses
 * and nothing else, so every socket in it, new or reused, was connected to an address that the delivery now using it
 * has just checked. A delivery checks its target first (`checkTarget`, DNS resolved again each time) and only then
 * picks the pool keyed by what the check returned: a name that now resolves elsewhere gets another pool, and one
 * that now resolves to a private address is refused before any pool is looked at.
 *
 * The key holds the whole set of checked addresses rather than one of them, so an agent may still fall back from
 * one checked address to the next (Node's happy-eyeballs connect) as a connection of its own did before. The host
 * name is in the key because it is the TLS server name (and certificate check) and the Host header; protocol and
 * port because they are part of where and how the socket connects.
 */

export interface ConnectionPoolOptions {
  /** Pools kept at once; opening one more closes the least recently used (default 64). */
  readonly maxPools?: number;
  /** Sockets one pool opens at most, busy and idle together; more requests wait for one (default 16). */
  readonly maxSocketsPerPool?: number;
  /**
   * An idle socket is closed after this long (default 30 s). Below the idle timeouts of the servers that do not
   * announce theirs (nginx 75 s, AWS ALB 60 s, Google's 600 s), so we close first rather than write into a socket
   * the server is closing. Servers with a shorter one (Node 5 s, Apache 5 s) announce it in `Keep-Alive: timeout=`,
   * which Node's agent honours, closing a second early.
   */
  readonly idleTimeoutMs?: number;
}

export const DEFAULT_CONNECTION_POOL_OPTIONS: Required<ConnectionPoolOptions> = { maxPools: 64, maxSocketsPerPool: 16, idleTimeoutMs: 30_000 };

/** The agent one attempt uses; `release` when the attempt is over (it never throws, and a second call does nothing). */
export interface AgentLease {
  readonly agent: HttpAgent;
  /** True when the agent is a pooled one (its sockets outlive the attempt). */
  readonly pooled: boolean;
  release(): void;
}

export class ConnectionPoolsClosed extends Error {
  override readonly name = 'ConnectionPoolsClosed';
  constructor() {
    super('the connection pools are closed (the service is shutting down)');
  }
}

export interface ConnectionPools {
  /** The pool for exactly these checked addresses of the URL's host, opened if need be. Throws ConnectionPoolsClosed after `destroy`. */
  acquire(url: URL, addresses: readonly ResolvedAddress[]): AgentLease;
  /** Pools open now (those evicted but still finishing an attempt not counted). */
  readonly size: number;
  /** Closes every pool and its sockets, busy ones too; for shutdown, after the deliveries in hand have finished. */
  destroy(): void;
}

/** Answers the client's DNS lookup with the addresses the target check approved, and nothing else. */
export function pinnedLookup(addresses: readonly ResolvedAddress[]) {
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

/** An agent for one attempt, without keep-alive, closed on release: what every attempt used before the pools. */
export function oneShotAgent(url: URL, addresses: readonly ResolvedAddress[]): AgentLease {
  const options = { keepAlive: false, lookup: pinnedLookup(addresses) };
  const agent = url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
  return { agent, pooled: false, release: () => agent.destroy() };
}

/** `https://hooks.example.com:443@4/93.184.216.34,6/2606:2800:220:1::1`: the pool a delivery may use. */
export function poolKey(url: URL, addresses: readonly ResolvedAddress[]): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  // Sorted: a resolver that rotates its answers (round-robin DNS) still lands in one pool.
  const pinned = addresses.map((a) => `${a.family}/${a.address}`).sort();
  return `${url.protocol}//${url.hostname}:${port}@${pinned.join(',')}`;
}

interface Pool {
  readonly agent: HttpAgent;
  /** Attempts holding the agent now: an evicted pool is closed when the last of them is over, not under them. */
  leases: number;
  evicted: boolean;
}

export function createConnectionPools(options: ConnectionPoolOptions = {}): ConnectionPools {
  const { maxPools, maxSocketsPerPool, idleTimeoutMs } = { ...DEFAULT_CONNECTION_POOL_OPTIONS, ...options };
  if (!Number.isInteger(maxPools) || maxPools < 1) throw new RangeError(`maxPools must be a whole number of at least 1 (got ${maxPools})`);
  if (!Number.isInteger(maxSocketsPerPool) || maxSocketsPerPool < 1) throw new RangeError(`maxSocketsPerPool must be a whole number of at least 1 (got ${maxSocketsPerPool})`);
  if (!(idleTimeoutMs > 0)) throw new RangeError(`idleTimeoutMs must be positive (got ${idleTimeoutMs})`);

  // A Map iterates in insertion order; a pool used again is moved to the end, so the first one is the least recent.
  const pools = new Map<string, Pool>();
  /** Evicted pools still finishing an attempt, so that `destroy` reaches them too. */
  const draining = new Set<Pool>();
  let closed = false;

  const open = (url: URL, addresses: readonly ResolvedAddress[]): Pool => {
    const agentOptions = {
      keepAlive: true,
      maxSockets: maxSocketsPerPool,
      maxFreeSockets: maxSocketsPerPool,
      // On a socket in the free list, `timeout` is the idle timeout: the agent closes it when it fires.
      timeout: idleTimeoutMs,
      // The most recently used socket first: under light load one socket stays warm and the others time out.
      scheduling: 'lifo' as const,
      lookup: pinnedLookup(addresses),
    };
    return { agent: url.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions), leases: 0, evicted: false };
  };

  const evictOldest = () => {
    const [key, pool] = pools.entries().next().value as [string, Pool];
    pools.delete(key);
    pool.evicted = true;
    if (pool.leases === 0) pool.agent.destroy();
    else draining.add(pool);
  };

  return {
    acquire(url, addresses) {
      if (closed) throw new ConnectionPoolsClosed();
      const key = poolKey(url, addresses);
      let pool = pools.get(key);
      if (pool) pools.delete(key);
      else pool = open(url, addresses);
      pools.set(key, pool);
      while (pools.size > maxPools) evictOldest();
      const held = pool;
      held.leases++;
      let released = false;
      return {
        agent: held.agent,
        pooled: true,
        release() {
          if (released) return;
          released = true;
          held.leases--;
          if (held.evicted && held.leases === 0) {
            draining.delete(held);
            held.agent.destroy();
          }
        },
      };
    },
    get size() {
      return pools.size;
    },
    destroy() {
      closed = true;
      for (const pool of [...pools.values(), ...draining]) pool.agent.destroy();
      pools.clear();
      draining.clear();
    },
  };
}
