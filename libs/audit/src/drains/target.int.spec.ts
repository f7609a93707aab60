import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DrainSender, answerBodyCapBytes } from './sender';
import { checkDrainUrl, DrainAllowList, DrainTargetRefused, guardedLookup, refusedAddress } from './target';

describe('drain target guard (server-side request forgery)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['192.168.0.10', 'private'],
    ['172.16.5.4', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.100.100.200', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['224.0.0.1', 'multicast'],
    ['::7f00:1', 'ipv4Compatible'],
    ['::a9fe:a9fe', 'ipv4Compatible'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedAddress(address)).toBe(`${address} is a ${range} address`);
  });

  it('lets public unicast addresses through', () => {
    expect(refusedAddress('8.8.8.8')).toBeUndefined();
    expect(refusedAddress('2606:4700::1111')).toBeUndefined();
  });

  it('DRAIN_ALLOW_HOSTS lifts https and the address check for the hosts it names only', () => {
    const allow = DrainAllowList.fromEnv(' 127.0.0.1 , SIEM.lan,[::1]');
    expect(checkDrainUrl('http://127.0.0.1:9000/in', allow).href).toBe('http://127.0.0.1:9000/in');
    expect(checkDrainUrl('http://siem.lan/in', allow).hostname).toBe('siem.lan');
    expect(checkDrainUrl('https://[::1]/in', allow).hostname).toBe('[::1]');
    expect(() => checkDrainUrl('http://127.0.0.2/', allow)).toThrow(DrainTargetRefused);
    expect(() => checkDrainUrl('https://169.254.169.254/', allow)).toThrow(/linkLocal/);
    expect(() => checkDrainUrl('http://169.254.169.254/', new DrainAllowList())).toThrow(/https/);
    // The URL parser writes [::127.0.0.1] as [::7f00:1], the deprecated IPv4-compatible form of loopback.
    expect(() => checkDrainUrl('https://[::127.0.0.1]/', new DrainAllowList())).toThrow(/ipv4Compatible/);
  });

  it('checks the resolved address at every connection, not once: a name resolving to loopback is refused each time', async () => {
    let lookups = 0;
    const resolve = ((_host: string, _options: object, callback: (e: null, a: LookupAddress[]) => void) => {
      lookups += 1;
      callback(null, [{ address: '127.0.0.1', family: 4 }]);
    }) as unknown as Parameters<typeof guardedLookup>[1];
    let connections = 0;
    const server: Server = createServer((_req, res) => res.end());
    server.on('connection', () => (connections += 1));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as AddressInfo).port;
    const sender = new DrainSender(new DrainAllowList(), 2000, resolve);
    try {
      for (let i = 0; i < 2; i++) {
        const result = await sender.send({
          url: `https://siem.example:${port}/`,
          body: Buffer.from('x\n'),
          headers: {},
        });
        expect(result).toEqual({
          ok: false,
          error: 'refused: siem.example resolves to an address drains may not reach (127.0.0.1 is a loopback address)',
        });
      }
      expect(lookups).toBe(2);
      expect(connections).toBe(0);
    } finally {
      sender.close();
      await new Promise<void>((done) => server.close(() => done()));
    }
  });

  it('does not follow a redirect, and stops reading an answer past the cap', async () => {
    let redirectsFollowed = 0;
    let bigWritten = 0;
    let bigClosed = false;
    const server: Server = createServer((req, res) => {
      if (req.url === '/metadata') redirectsFollowed += 1;
      if (req.url === '/big') {
        // An answer that never ends: only the cap stops the reading (else the 10 s timeout would, with another error).
        res.writeHead(500);
        const chunk = Buffer.alloc(16 * 1024, 'a');
        const writing = setInterval(() => {
          if (res.destroyed) return clearInterval(writing);
          res.write(chunk);
          bigWritten += chunk.length;
        }, 2);
        res.on('close', () => {
          clearInterval(writing);
          bigClosed = true;
        });
        return;
      }
      res.writeHead(302, { location: '/metadata' }).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sender = new DrainSender(new DrainAllowList(['127.0.0.1']), 10_000);
    try {
      expect(await sender.send({ url: `${base}/in`, body: Buffer.from('x\n'), headers: {} })).toEqual({
        ok: false,
        error: 'HTTP 302: redirects are not followed',
      });
      expect(redirectsFollowed).toBe(0);
      expect(await sender.send({ url: `${base}/big`, body: Buffer.from('x\n'), headers: {} })).toEqual({
        ok: false,
        error: 'HTTP 500 Internal Server Error',
      });
      for (const deadline = Date.now() + 5_000; !bigClosed && Date.now() < deadline;)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(bigClosed).toBe(true);
      expect(bigWritten).toBeGreaterThan(answerBodyCapBytes);
    } finally {
      sender.close();
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});
