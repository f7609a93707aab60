import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { checkDrainUrl, DrainAllowList, guardedLookup, refusedAddress } from './target';

/** How long a delivery may take, connection to last byte of the answer (API.md: no answer in 10 s is a failure). */
export const defaultDeliveryTimeoutMs = 10_000;
/** The most of an answer's body read: a receiver cannot make the worker buffer more. */
export const answerBodyCapBytes = 64 * 1024;

export interface DeliveryRequest {
  url: string;
  body: Buffer;
  headers: Record<string, string>;
}

export type DeliveryResult = { ok: true; status: number } | { ok: false; error: string };

/**
 * Sends drain batches. Every connection goes through the guarded lookup (keep-alive reuses a checked connection; a new
 * one is checked again); redirects are answers like any other non-2xx, never followed; answers are read up to a cap.
 */
export class DrainSender {
  readonly #lookup;
  readonly #http: HttpAgent;
  readonly #https: HttpsAgent;

  constructor(
    private readonly allow: DrainAllowList,
    private readonly timeoutMs = defaultDeliveryTimeoutMs,
    resolve?: Parameters<typeof guardedLookup>[1],
  ) {
    this.#lookup = guardedLookup(allow, resolve);
    this.#http = new HttpAgent({ keepAlive: true, maxSockets: 4 });
    this.#https = new HttpsAgent({ keepAlive: true, maxSockets: 4 });
  }

  send(delivery: DeliveryRequest): Promise<DeliveryResult> {
    let url: URL;
    try {
      url = checkDrainUrl(delivery.url, this.allow);
    } catch (error) {
      return Promise.resolve({ ok: false, error: (error as Error).message });
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // Node does not call `lookup` for a literal address: it is judged here, before every request.
    if (isIP(host) !== 0 && !this.allow.allows(host)) {
      const refused = refusedAddress(host);
      if (refused) return Promise.resolve({ ok: false, error: `refused: ${refused}` });
    }
    const secure = url.protocol === 'https:';
    const request = secure ? httpsRequest : httpRequest;
    return new Promise<DeliveryResult>((resolve) => {
      let settled = false;
      const finish = (result: DeliveryResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const req = request(url, {
        method: 'POST',
        agent: secure ? this.#https : this.#http,
        lookup: this.#lookup,
        headers: { ...delivery.headers, 'content-length': String(delivery.body.length) },
      });
      const timer = setTimeout(() => {
        finish({ ok: false, error: `no answer within ${this.timeoutMs / 1000} s` });
        req.destroy();
      }, this.timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: describeError(error) }));
      req.on('response', (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          // Past the cap the answer is not read on: the connection is dropped, the status already known.
          if (read > answerBodyCapBytes) response.destroy();
        });
        const done = (): void =>
          finish(
            status >= 200 && status < 300
              ? { ok: true, status }
              : {
                  ok: false,
                  error:
                    status >= 300 && status < 400
                      ? `HTTP ${status}: redirects are not followed`
                      : `HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`,
                },
          );
        response.on('end', done);
        response.on('close', done);
        response.on('error', () => done());
      });
      req.end(delivery.body);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

function describeError(error: NodeJS.ErrnoException): string {
  if (error.code === 'EDRAINADDRESS') return error.message;
  if (error.code === 'ECONNRESET') return 'the connection was dropped before an answer';
  if (error.code === 'ECONNREFUSED') return 'the connection was refused';
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
