import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The contract between the ingest workers, which decide that a rule fired, and the alerts service, which tells sales:
 * one BullMQ job per firing on the `hot-leads` queue, under a hash-tagged prefix so that all the queue's keys sit in
 * one Redis Cluster slot.
 */
export const ALERTS_QUEUE = 'hot-leads';
/** The ingest workers' scheduled jobs (the quiet sweep), under the same prefix. */
export const SWEEPS_QUEUE = 'sweeps';
/** The rollups worker's scheduled snapshots, under the same prefix. */
export const ROLLUPS_QUEUE = 'rollups';
export const alertsQueuePrefix = (namespace: string) => `{${namespace}.alerts}`;

export const hotLeadJobSchema = z.object({
  /** The lead, or `c:<company>` for a company's signal (buying groups). */
  lead: z.string(),
  company: z.string().optional(),
  rule: z.string(),
  kind: z.enum(['streak', 'tier', 'form', 'buying_group', 'quiet', 'stage']),
  /** One firing: the run, the crossing, the form or the group it is about. */
  window: z.string(),
  action: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  messageId: z.string(),
  rulesVersion: z.string(),
  firedAt: z.string(),
});
export type HotLeadJob = z.infer<typeof hotLeadJobSchema>;

/** The same firing always gets the same job id (BullMQ refuses ':' in custom ids; a hash keeps it short). */
export function alertJobId(lead: string, rule: string, window: string): string {
  return `alert-${createHash('sha256').update(`${lead}\0${rule}\0${window}`).digest('hex').slice(0, 40)}`;
}
