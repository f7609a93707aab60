import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { KurrentDBEventStore } from '@access-audit/event-store/kurrentdb';
import { eventStoreContract } from './event-store.contract';

const KURRENTDB_IMAGE = process.env.KURRENTDB_IMAGE ?? 'kurrentplatform/kurrentdb:26.0';
const KURRENTDB_PORT = 2113;

/**
 * Jest registers suites synchronously, so the engine is detected from what testcontainers would use: DOCKER_HOST,
 * a docker.host in ~/.testcontainers.properties, or a local socket. When one exists but the engine does not answer,
 * the suite fails in beforeAll with the container runtime's own error.
 */
function whyNoDockerEngine(): string | undefined {
  if (process.env.DOCKER_HOST) return undefined;
  const properties = join(homedir(), '.testcontainers.properties');
  if (existsSync(properties) && /^\s*docker\.host\s*=/m.test(readFileSync(properties, 'utf8'))) return undefined;
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  const sockets = [
    '/var/run/docker.sock',
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
    ...(runtimeDir ? [join(runtimeDir, 'docker.sock'), join(runtimeDir, 'podman', 'podman.sock')] : []),
  ];
  if (sockets.some((socket) => existsSync(socket))) return undefined;
  return `DOCKER_HOST is unset and no socket exists at ${sockets.join(', ')}`;
}

const noDockerReason = whyNoDockerEngine();

if (noDockerReason !== undefined) {
  console.warn(`KurrentDB adapter contract skipped: no Docker engine reachable (${noDockerReason})`);
  describe.skip(`KurrentDB adapter contract — skipped: no Docker engine reachable (${noDockerReason})`, () => {
    eventStoreContract(async () => {
      throw new Error('not run without a Docker engine');
    });
  });
} else {
  describe(`KurrentDB adapter contract (${KURRENTDB_IMAGE})`, () => {
    let container: StartedTestContainer;
    let connectionString: string;

    beforeAll(async () => {
      try {
        container = await new GenericContainer(KURRENTDB_IMAGE)
          .withEnvironment({
            KURRENTDB_CLUSTER_SIZE: '1',
            KURRENTDB_INSECURE: 'true',
            KURRENTDB_RUN_PROJECTIONS: 'All',
            KURRENTDB_START_STANDARD_PROJECTIONS: 'true',
            KURRENTDB_MEM_DB: 'true',
          })
          .withExposedPorts(KURRENTDB_PORT)
          .withWaitStrategy(Wait.forHealthCheck())
          .withStartupTimeout(120_000)
          .start();
      } catch (error) {
        throw new Error(`a Docker engine seemed present but ${KURRENTDB_IMAGE} could not be started: ${String(error)}`);
      }
      connectionString = `kurrentdb://${container.getHost()}:${container.getMappedPort(KURRENTDB_PORT)}?tls=false`;
    }, 180_000);

    afterAll(async () => {
      await container?.stop();
    });

    eventStoreContract(async () => new KurrentDBEventStore(connectionString), { liveDeliveryTimeoutMs: 10_000 });
  });
}
