import { EventEmitter } from 'node:events';
import { Client, type PoolConfig } from 'pg';
import { APPENDED_CHANNEL } from './schema';

const MAX_RECONNECT_DELAY_MS = 5000;

/**
 * LISTEN/NOTIFY between the instances sharing a database, on one connection of its own (outside the pool, so it
 * never takes a connection from appends and reads): `announce()` tells the others that this one committed an append;
 * `onAppend` listeners hear of the others' appends. Notifications only wake readers early; subscriptions poll as
 * well, so a lost notification or a dropped connection delays an event and never loses it.
 */
export class AppendNotifications {
  /** Sent as the payload, so an instance ignores the notifications it sent itself. */
  readonly #sender = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  readonly #heard = new EventEmitter().setMaxListeners(0);
  #connection: Promise<Client> | undefined;
  #closed = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #sending: Promise<void> | undefined;
  #sendAgain = false;

  readonly #config: PoolConfig;

  constructor(
    config: PoolConfig,
    private readonly onError: (error: unknown) => void,
  ) {
    // Told apart from the pool's in pg_stat_activity (an application_name in the connection string wins).
    this.#config = { ...config, application_name: 'access-audit-notifications' };
  }

  /** Calls the listener when another instance announces an append, and after (re)connecting; returns the unregistration. */
  onAppend(listener: () => void): () => void {
    this.#heard.on('appended', listener);
    void this.#connected().catch(() => undefined);
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
          const client = await this.#connected();
          await client.query({ text: 'SELECT pg_notify($1, $2)', values: [APPENDED_CHANNEL, this.#sender] });
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
    const connection = this.#connection;
    this.#connection = undefined;
    const client = await connection?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }

  /** The notification connection, listening; connected on first use and again after it drops. */
  #connected(): Promise<Client> {
    if (this.#closed) return Promise.reject(new Error('the event store is closed'));
    this.#connection ??= this.#connect();
    return this.#connection;
  }

  async #connect(): Promise<Client> {
    const client = new Client(this.#config);
    let dropped = false;
    const drop = (error?: unknown): void => {
      if (dropped) return;
      dropped = true;
      this.#connection = undefined;
      void client.end().catch(() => undefined);
      if (this.#closed) return;
      if (error !== undefined) this.onError(error);
      this.#failures += 1;
      // Listening again matters only while someone listens; an announcement reconnects by itself.
      if (this.#heard.listenerCount('appended') === 0) return;
      const delay = Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** (this.#failures - 1));
      this.#reconnectTimer = setTimeout(() => void this.#connected().catch(() => undefined), delay).unref();
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
    } catch (error) {
      drop(error);
      throw error;
    }
    this.#failures = 0;
    // Appends may have been announced while no connection listened.
    this.#heard.emit('appended');
    return client;
  }
}
