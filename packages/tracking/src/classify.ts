import type { BlockList } from 'node:net';
import { botFlag, internalEmailFlag, internalIpFlag, type NoiseFlag, type NoiseSettings } from './noise.ts';

/** The parts of an event that say where it came from (structural, so this stays free of the event package). */
export interface ClassifiableEvent {
  readonly context?: { readonly ip?: string | undefined; readonly userAgent?: string | undefined; readonly traits?: Record<string, unknown> | undefined } | undefined;
  readonly traits?: Record<string, unknown> | undefined;
  readonly properties?: Record<string, unknown> | undefined;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** Flags for traffic that must not heat a lead: crawlers, and the company's own networks and staff. */
export function noiseFlags(event: ClassifiableEvent, settings: NoiseSettings, networks: BlockList): NoiseFlag[] {
  const flags: (NoiseFlag | undefined)[] = [
    botFlag(event.context?.userAgent),
    internalIpFlag(event.context?.ip, networks, settings.internalRanges),
    internalEmailFlag(str(event.traits?.email) ?? str(event.context?.traits?.email) ?? str(event.properties?.email), settings.internalEmailDomains),
  ];
  return flags.filter((f): f is NoiseFlag => f !== undefined);
}
