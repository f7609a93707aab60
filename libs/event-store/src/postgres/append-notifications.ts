import { EventEmitter } from 'node:events';
import { Client, type Pool, type PoolConfig } from 'pg';
import { APPENDED_CHANNEL } from './schema';

const MAX_RECONNECT_DELAY_MS = 5000;

/**
 * LISTEN/NOTIFY between the instances sharing a database: `announce()` tells the others that this one committed an
 * append; `onAppend` listeners hear of the others' appends. Notifications only wake readers early; subscriptions poll
 * as well, so a lost notification or a dropped LISTEN connection delays an event and never loses it.
 */
export class AppendNotifications {
  /** Sent as the payload, so an instance ignores the notifications it sent itself. */
  readonly #sender = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  readonly #heard = new EventEmitter().setMaxListeners(0);
  #listener: Client | undefined;
  #listening = false;
  #closed = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #sending: Promise<void> | undefined;
  #sendAgain = false;

  constructor(
    private readonly pool: Pool,
    private readonly config: PoolConfig,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Calls the listener when another instance announces an append, and after (re)connecting; returns the unregistration. */
  onAppend(listener: () => void): () => void {
    this.#heard.on('appended', listener);
    this.#listen();
    return () => this.#heard.off('appended', listener);
  }

  /**
   * NOTIFY after the append committed, outside its transaction: a NOTIFY inside it would take the server's global
   * notification lock until commit and so serialise every append. Announcements made while one is in flight share one.
   */
  announce(): void {
    if (this.#closed) return;
    if (this.#sending) {
      this.#sendAgain = true;
      return;
    }
    this.#sending = (async () => {
      do {
        this.#sendAgain = false;
        try {
          await this.pool.query({ text: 'SELECT pg_notify($1, $2)', values: [APPENDED_CHANNEL, this.#sender] });
        } catch (error) {
          if (!this.#closed) this.onError(error);
        }
      } while (this.#sendAgain && !this.#closed);
      this.#sending = undefined;
    })();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    await this.#sending;
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  #listen(): void {
    if (this.#listening || this.#closed) return;
    this.#listening = true;
    void this.#connect();
  }

  async #connect(): Promise<void> {
    const client = new Client(this.config);
    this.#listener = client;
    let dropped = false;
    const drop = (error?: unknown): void => {
      if (dropped) return;
      dropped = true;
      if (this.#listener === client) this.#listener = undefined;
      if (this.#closed) return;
      if (error !== undefined) this.onError(error);
      this.#failures += 1;
      const delay = Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** (this.#failures - 1));
      this.#reconnectTimer = setTimeout(() => void this.#connect(), delay).unref();
      void client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', (message) => {
      if (message.channel === APPENDED_CHANNEL && message.payload !== this.#sender) this.#heard.emit('appended');
    });
    try {
      await client.connect();
      // The channel is a constant identifier; LISTEN takes no parameters.
      await client.query(`LISTEN ${APPENDED_CHANNEL}`);
      if (this.#closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.#failures = 0;
      // Appends may have been announced while no connection listened.
      this.#heard.emit('appended');
    } catch (error) {
      drop(error);
    }
  }
}
