import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The Node flags the ingest worker runs with, as package.json's `ingest` script gives them: a 64 MB young generation,
 * since a batch's garbage dies young, and garbage collection took about a fifth of the worker's busy time with the
 * default 16 MB.
 */
export const INGEST_NODE_ARGS: readonly string[] = ['--max-semi-space-size=64'];

/** Progress for people on stderr; stdout keeps the figures and the machine-readable last line. */
export function progress(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export function benchNamespace(label: string): string {
  return `bench_${label}_${randomBytes(3).toString('hex')}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningService {
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a service's main.ts in its own process (as in production) and waits until `readyUrl` answers 200. */
export async function startService(entry: string, env: Record<string, string>, readyUrl: string, timeoutMs = 60_000): Promise<RunningService> {
  const child = spawn(`${ROOT}node_modules/.bin/tsx`, [entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode} during start-up`);
    try {
      if ((await fetch(readyUrl)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${entry} was not ready at ${readyUrl} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toString() : n.toFixed(2);
}

/** A service in its own process whose output is kept (the last lines explain a failed start or a crash). */
export interface RunningProcess extends RunningService {
  output(): string;
}

/**
 * Like startService, for entry points that log to stdout (pino) and whose readiness is some other URL, e.g. a worker
 * that only serves /healthz. Stopping sends SIGTERM and, after `stopTimeoutMs`, SIGKILL to the whole process tree,
 * since tsx runs the entry point in a child process of its own.
 */
export async function startProcess(
  entry: string,
  env: Record<string, string>,
  readyUrl: string,
  options: { timeoutMs?: number; stopTimeoutMs?: number; nodeArgs?: readonly string[] } = {},
): Promise<RunningProcess> {
  // In a process group of its own: Ctrl-C in the terminal reaches only the script, which stops its children in order
  // (the demo first ends its live traffic and waits for the alerts in flight).
  const child = spawn(`${ROOT}node_modules/.bin/tsx`, [...(options.nodeArgs ?? []), entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const tree = child.pid === undefined ? [] : processTree(child.pid);
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), options.stopTimeoutMs ?? 30_000).unref())]);
    if (timedOut) {
      for (const pid of tree.reverse()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await exited;
    }
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode} during start-up:\n${output.slice(-4_000)}`);
    try {
      if ((await fetch(readyUrl)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${entry} was not ready at ${readyUrl} within ${options.timeoutMs ?? 60_000} ms:\n${output.slice(-4_000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => output, stop };
}

/** Prometheus text exposition → value by series, keyed as written (`name{label="v"}`). */
export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  const series = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** user + system CPU, in clock ticks. */
  readonly ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name sits in parentheses and may itself hold spaces and parentheses: split after the last one.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** A process and its descendants, parents first. */
export function processTree(root: number): number[] {
  const stats = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((s): s is ProcStat => s !== undefined);
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const s of stats) if (s.ppid === tree[i]) tree.push(s.pid);
  return tree;
}

/** Linux reports CPU time in USER_HZ ticks, 100 a second on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, all threads) used so far by these processes; exited ones count 0. */
export function cpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (readStat(pid)?.ticks ?? 0), 0) / TICKS_PER_SECOND;
}

/** Busy and total CPU seconds of the whole machine so far, over all cores (iowait counts as idle). */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / TICKS_PER_SECOND, total: (busy + idle + iowait) / TICKS_PER_SECOND };
}

/** Nearest-rank percentile of unsorted numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
