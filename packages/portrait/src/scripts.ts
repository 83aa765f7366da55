import type { Redis } from 'ioredis';
import { defineScript, readLuaScript, type ScriptCommand } from '@leadscore/redis';

const lua = (file: string) => readLuaScript(new URL(`./lua/${file}`, import.meta.url));

/** The portrait's Lua scripts, defined once per client as named commands (see each file's header for its contract). */
export function definePortraitScripts(redis: Redis) {
  return {
    applyEvent: defineScript(redis, lua('applyEvent-6.lua')),
    linkProfile: defineScript(redis, lua('linkProfile-3.lua')),
    claimEmail: defineScript(redis, lua('claimEmail-1.lua')),
    applyCompany: defineScript(redis, lua('applyCompany-5.lua')),
    markAlert: defineScript(redis, lua('markAlert-1.lua')),
  } satisfies Record<string, ScriptCommand>;
}

export type PortraitScripts = ReturnType<typeof definePortraitScripts>;
