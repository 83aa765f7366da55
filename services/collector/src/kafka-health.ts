import type { Admin, Kafka } from 'kafkajs';

/**
 * Whether Kafka answers now: a metadata request through a connected admin client, bounded in time and cached for a
 * second, so a load balancer polling /readyz does not become load on the brokers.
 */
export function kafkaReadiness(kafka: Kafka, timeoutMs = 1500): { ready(): Promise<boolean>; close(): Promise<void> } {
  let admin: Admin | undefined;
  let cached: { at: number; value: Promise<boolean> } | undefined;
  const check = async (): Promise<boolean> => {
    admin ??= kafka.admin();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        admin.connect().then(() => admin!.describeCluster()),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        }),
      ]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    ready() {
      if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), value: check() };
      return cached.value;
    },
    async close() {
      await admin?.disconnect();
    },
  };
}
