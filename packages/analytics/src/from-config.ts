import { ConfigError, type Config } from '@leadscore/config';
import { DEFAULT_SEGMENT_MAP, segmentMapSchema } from './segments.ts';
import { rollupSettingsSchema, type RollupSettings } from './settings.ts';

/**
 * The rollup settings of a deployment: its configuration, and the segment map file it names (read through `readFile`,
 * so this stays free of I/O). A map that cannot be read or does not cover the 125 codes once each stops the process
 * with a ConfigError naming ROLLUP_SEGMENT_MAP_FILE.
 */
export function rollupSettingsFromConfig(config: Config, readFile: (path: string) => string): RollupSettings {
  const { segmentMapFile, everyMs: _every, writeBackChunk: _chunk, metricsPort: _port, ...rollups } = config.rollups;
  let segments = DEFAULT_SEGMENT_MAP;
  if (segmentMapFile !== undefined) {
    const fail = (reason: string) => new ConfigError([{ variable: 'ROLLUP_SEGMENT_MAP_FILE', value: JSON.stringify(segmentMapFile), reason }]);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFile(segmentMapFile));
    } catch (err) {
      throw fail(`cannot read it as JSON: ${(err as Error).message}`);
    }
    const map = segmentMapSchema.safeParse(parsed);
    if (!map.success) throw fail(map.error.issues.map((i) => i.message).join('; '));
    segments = map.data;
  }
  return rollupSettingsSchema.parse({ ...rollups, timeZone: config.timeZone, segments, freeMailDomains: config.ingest.freeMailDomains });
}
