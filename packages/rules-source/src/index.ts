import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '@leadscore/log';
import { defaultRules, parseRules, RulesError, type Money, type Rules } from '@leadscore/scoring';

export class RulesFileError extends Error {
  override readonly name = 'RulesFileError';
}

/** Reads and validates a rules file; the error names the file and each bad entry's path. */
export function readRulesFile(path: string, money?: Money): Rules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RulesFileError(`rules file ${path} cannot be read: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new RulesFileError(`rules file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  try {
    return parseRules(data, money ? { money } : {});
  } catch (err) {
    if (err instanceof RulesError) throw new RulesFileError(`rules file ${path}: ${err.message}`);
    throw err;
  }
}

/**
 * The rules in force. From RULES_FILE when set (else the built-in defaults), read again on SIGHUP or when the file
 * changes; a change that does not validate is logged and the rules in force stay.
 */
export function rulesSource(path: string | undefined, log: Logger, money?: Money): { current(): Rules; reload(): void; close(): void } {
  let rules = path ? readRulesFile(path, money) : parseRules(defaultRules, money ? { money } : {});
  log.info({ rulesVersion: rules.version, file: path ?? '(built-in defaults)' }, 'scoring rules loaded');
  const reload = () => {
    if (!path) return;
    try {
      const next = readRulesFile(path, money);
      if (next.version !== rules.version) log.info({ from: rules.version, to: next.version }, 'scoring rules reloaded');
      rules = next;
    } catch (err) {
      log.error({ err: (err as Error).message, rulesVersion: rules.version }, 'rules change refused; the rules in force stay');
    }
  };
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (path) {
    // Editors write a file in several steps: wait for it to settle.
    watcher = watch(path, () => {
      clearTimeout(timer);
      timer = setTimeout(reload, 200);
    });
    process.on('SIGHUP', reload);
  }
  return {
    current: () => rules,
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
      process.off('SIGHUP', reload);
    },
  };
}
