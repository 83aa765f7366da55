import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChainableCommander, Redis } from 'ioredis';

/**
 * A Lua script read from `<name>-<numberOfKeys>.lua` (the BullMQ convention: the key count is in the file name, the
 * KEYS/ARGV contract in the file's header comment).
 */
export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
  readonly sha1: string;
  /** `name_<first 8 of sha1>`: two versions of a script loaded by one client (or one Redis) never collide. */
  readonly command: string;
}

export class LuaScriptError extends Error {
  override readonly name = 'LuaScriptError';
}

export function readLuaScript(file: URL | string): LuaScript {
  const path = file instanceof URL ? fileURLToPath(file) : file;
  const m = /^([a-z][a-zA-Z0-9]*)-(\d+)\.lua$/.exec(basename(path));
  if (!m) throw new LuaScriptError(`Lua script ${path} must be named <name>-<numberOfKeys>.lua`);
  const lua = withIncludes(readFileSync(path, 'utf8'), dirname(path));
  const sha1 = createHash('sha1').update(lua).digest('hex');
  return { name: m[1] as string, numberOfKeys: Number(m[2]), lua, sha1, command: `${m[1]}_${sha1.slice(0, 8)}` };
}

/**
 * `-- @include name` lines are replaced by `includes/name.lua` from the script's folder (as BullMQ shares pieces
 * between its scripts); Redis itself has no includes.
 */
function withIncludes(lua: string, dir: string, seen: ReadonlySet<string> = new Set()): string {
  return lua.replace(/^-- @include ([a-zA-Z0-9_]+)\s*$/gm, (_line, name: string) => {
    if (seen.has(name)) throw new LuaScriptError(`Lua include ${name} includes itself`);
    return withIncludes(readFileSync(join(dir, 'includes', `${name}.lua`), 'utf8'), dir, new Set([...seen, name]));
  });
}

type Arg = string | number | Buffer;
type Scriptable = Redis | ChainableCommander;

/**
 * A script defined once on a client as a named command (EVALSHA, falling back to EVAL after a Redis restart),
 * callable on the client or inside a pipeline, so one round trip can run it for a whole batch.
 */
export interface ScriptCommand {
  readonly script: LuaScript;
  run(redis: Redis, keys: readonly string[], args: readonly Arg[]): Promise<unknown>;
  queue(pipeline: ChainableCommander, keys: readonly string[], args: readonly Arg[]): void;
}

export function defineScript(redis: Redis, script: LuaScript): ScriptCommand {
  redis.defineCommand(script.command, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  const check = (keys: readonly string[]) => {
    if (keys.length !== script.numberOfKeys) {
      throw new LuaScriptError(`script ${script.name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
    }
  };
  const call = (target: Scriptable, keys: readonly string[], args: readonly Arg[]) =>
    (target as unknown as Record<string, (...a: Arg[]) => unknown>)[script.command]!(...keys, ...args);
  return {
    script,
    run(target, keys, args) {
      check(keys);
      return call(target, keys, args) as Promise<unknown>;
    },
    queue(pipeline, keys, args) {
      check(keys);
      call(pipeline, keys, args);
    },
  };
}
