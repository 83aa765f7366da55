export { createRedis, type RedisClientOptions } from './client.ts';
export { defineScript, readLuaScript, LuaScriptError, type LuaScript, type ScriptCommand } from './scripts.ts';
export { hashTagged, hashTagPrefix, parseHashTagged } from './keys.ts';
export { windowBudgets, type WindowTake } from './window-budget.ts';
