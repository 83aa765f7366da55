import type { Redis } from 'ioredis';
import { defineScript, readLuaScript, type ScriptCommand } from '@leadscore/redis';

const lua = (file: string) => readLuaScript(new URL(`./lua/${file}`, import.meta.url));

/** The portrait's Lua scripts, defined once per client as named commands (see each file's header for its contract). */
export function definePortraitScripts(redis: Redis) {
  return {
    applyEvent: defineScript(redis, lua('applyEvent-7.lua')),
    linkProfile: defineScript(redis, lua('linkProfile-3.lua')),
    mergeProfile: defineScript(redis, lua('mergeProfile-7.lua')),
    carryAlertState: defineScript(redis, lua('carryAlertState-2.lua')),
    claimEmail: defineScript(redis, lua('claimEmail-2.lua')),
    applyCompany: defineScript(redis, lua('applyCompany-6.lua')),
    readBuyingGroups: defineScript(redis, lua('readBuyingGroups-2.lua')),
    joinCompany: defineScript(redis, lua('joinCompany-3.lua')),
    markAlert: defineScript(redis, lua('markAlert-2.lua')),
    raiseHeld: defineScript(redis, lua('raiseHeld-1.lua')),
    boundedAdd: defineScript(redis, lua('boundedAdd-1.lua')),
    forgetQuiet: defineScript(redis, lua('forgetQuiet-1.lua')),
    applyRollup: defineScript(redis, lua('applyRollup-1.lua')),
  } satisfies Record<string, ScriptCommand>;
}

export type PortraitScripts = ReturnType<typeof definePortraitScripts>;
