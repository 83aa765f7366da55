import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { freePort } from './free-port.ts';
import type { ServiceUrls } from './services.ts';

/** Same images and settings as infra/docker-compose.yml. */
export const IMAGES = {
  kafka: 'apache/kafka:3.9.1',
  redis: 'redis:7.4-alpine',
  clickhouse: 'clickhouse/clickhouse-server:25.8',
} as const;

/**
 * For machines with a Docker engine (TEST_SERVICES=containers): the three services in containers. Kafka advertises
 * the host port it is reached on, so that port is chosen first and used on both sides of the mapping.
 */
export async function startContainers(): Promise<{ urls: ServiceUrls; stop: () => Promise<void> }> {
  const kafkaPort = await freePort();
  const started: StartedTestContainer[] = [];
  try {
    const [kafka, redis, clickhouse] = await Promise.all([
      new GenericContainer(IMAGES.kafka)
        .withExposedPorts({ container: kafkaPort, host: kafkaPort })
        .withEnvironment({
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${kafkaPort},CONTROLLER://0.0.0.0:9093`,
          KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '10',
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
          KAFKA_HEAP_OPTS: '-Xms256m -Xmx512m',
        })
        .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
        .start(),
      new GenericContainer(IMAGES.redis).withExposedPorts(6379).withCommand(['redis-server', '--appendonly', 'yes']).start(),
      new GenericContainer(IMAGES.clickhouse)
        .withExposedPorts(8123)
        .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
        .withWaitStrategy(Wait.forHttp('/ping', 8123))
        .start(),
    ]);
    started.push(kafka, redis, clickhouse);
    return {
      urls: {
        kafkaBrokers: [`127.0.0.1:${kafkaPort}`],
        redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
        clickhouseUrl: `http://${clickhouse.getHost()}:${clickhouse.getMappedPort(8123)}`,
        clickhouseUser: 'default',
        clickhousePassword: '',
      },
      stop: async () => {
        await Promise.all(started.map((c) => c.stop()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((c) => c.stop().catch(() => {})));
    throw new Error(`TEST_SERVICES=containers, but the containers did not start (is a Docker engine running?): ${(err as Error).message}`, { cause: err });
  }
}
