import { inject } from 'vitest';

export interface ServiceUrls {
  readonly kafkaBrokers: readonly string[];
  readonly redisUrl: string;
  readonly clickhouseUrl: string;
  readonly clickhouseUser: string;
  readonly clickhousePassword: string;
}

/** The services this test run uses, as checked (or started) by the global setup. */
export function services(): ServiceUrls {
  return inject('services');
}
