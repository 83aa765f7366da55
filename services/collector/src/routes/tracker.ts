import type { FastifyInstance } from 'fastify';

export interface TrackerRouteOptions {
  /** Serve the demo page (development only). */
  readonly demo: boolean;
  /** The write key the demo page embeds. */
  readonly demoWriteKey?: string;
}

/** Serves the first-party browser tracker and, in development, a demo page that uses it. */
export async function registerTrackerRoutes(_app: FastifyInstance, _options: TrackerRouteOptions): Promise<void> {}
