import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { StoredDelivery } from '../verify-deliveries';

/** How the receiver answers the next request. */
export type ReceiverMode = 'ok' | 'fail' | 'hang' | 'drop' | 'redirect';

/**
 * A real HTTP receiver on 127.0.0.1 for drain tests: it stores every delivery it acknowledges as a SIEM would
 * (StoredDelivery lines), and can be told to answer 500, hang, drop the connection or redirect instead.
 */
export class TestReceiver {
  readonly stored: StoredDelivery[] = [];
  /** Every request that reached it, acknowledged or not. */
  requests = 0;
  /** Most requests ever in flight at once (a second instance delivering the same drain would raise it). */
  maxInFlight = 0;
  /** Next answers, consumed first; then `mode`. */
  readonly script: ReceiverMode[] = [];
  mode: ReceiverMode = 'ok';
  /** Delay before an acknowledgement, to widen the window in which two senders would overlap. */
  ackDelayMs = 0;
  /** Called once a delivery is stored and before it is acknowledged (to kill the sender in between). */
  onStored: ((delivery: StoredDelivery) => Promise<void> | void) | undefined;
  #inFlight = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(): Promise<TestReceiver> {
    const receiver = new TestReceiver();
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/ingest`;
  }

  /** The stored deliveries as the NDJSON file `drain:verify` reads. */
  get ndjson(): string {
    return this.stored.map((delivery) => `${JSON.stringify(delivery)}\n`).join('');
  }

  /** Distinct entry sequences received, in order of first arrival. */
  entrySequences(): number[] {
    const seen = new Set<number>();
    for (const delivery of this.stored) {
      for (const line of delivery.body.split('\n')) {
        if (line === '') continue;
        const record = JSON.parse(line) as { kind: string; sequence: number };
        if (record.kind !== 'checkpoint') seen.add(record.sequence);
      }
    }
    return [...seen];
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1;
    this.#inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const mode = this.script.shift() ?? this.mode;
      if (mode === 'hang') return; // never answers; the sender's timeout ends it
      if (mode === 'drop') {
        req.socket.destroy();
        return;
      }
      if (mode === 'fail') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('receiver down');
        return;
      }
      if (mode === 'redirect') {
        res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        return;
      }
      if (this.ackDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.ackDelayMs));
      const delivery: StoredDelivery = {
        receivedAt: new Date().toISOString(),
        drainId: String(req.headers['x-access-audit-drain']),
        signature: String(req.headers['x-access-audit-signature']),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.stored.push(delivery);
      await this.onStored?.(delivery);
      if (res.destroyed || req.socket.destroyed) return;
      res.writeHead(204).end();
    } finally {
      this.#inFlight -= 1;
    }
  }
}
