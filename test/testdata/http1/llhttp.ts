// Node's own HTTP/1.1 parser (llhttp, strict mode, behind node:http) as a judge for raw request
// bytes: a server records every request it reads completely (method, target, headers, body) and
// whether it rejected the stream. Input is written and half-closed, so an incomplete message ends
// in an error or nothing, never in a wait.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface LlhttpRequest {
  method: string;
  target: string;
  /** Flat [name, value, ...] as received, names lower-cased. */
  headers: string[];
  body: Buffer;
}

export interface LlhttpVerdict {
  requests: LlhttpRequest[];
  /** llhttp reported a parse error (Node answers 400 and closes). */
  error: string | null;
}

export interface LlhttpJudge {
  judge(input: Buffer): Promise<LlhttpVerdict>;
  close(): Promise<void>;
}

export async function startLlhttp(): Promise<LlhttpJudge> {
  // One verdict per connection, keyed by the client's local port.
  const verdicts = new Map<number, LlhttpVerdict>();
  const server = http.createServer({ maxHeaderSize: 256 * 1024, keepAliveTimeout: 5000 }, (req, res) => {
    const v = verdicts.get(req.socket.remotePort!);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      v?.requests.push({
        method: req.method!,
        target: req.url!,
        headers: req.rawHeaders.map((x, i) => (i % 2 === 0 ? x.toLowerCase() : x)),
        body: Buffer.concat(chunks),
      });
      res.end();
    });
    req.on('error', () => {});
  });
  server.on('clientError', (err: Error & { code?: string }, socket: net.Socket) => {
    const v = verdicts.get(socket.remotePort!);
    if (v !== undefined && v.error === null) v.error = err.code ?? err.message;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  return {
    judge(input: Buffer): Promise<LlhttpVerdict> {
      return new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        let v: LlhttpVerdict | null = null;
        let local = 0;
        // Bounded: a stream llhttp neither finishes nor rejects is cut after 2 s.
        const timer = setTimeout(() => s.destroy(), 2000);
        s.on('connect', () => {
          v = { requests: [], error: null };
          local = s.localPort!;
          verdicts.set(local, v);
          s.end(input);
        });
        const replies: Buffer[] = [];
        s.on('data', (c: Buffer) => replies.push(c));
        s.on('error', () => {});
        s.on('close', () => {
          clearTimeout(timer);
          // The server may see the close after the client; give its handlers a turn.
          setImmediate(() => {
            verdicts.delete(local);
            // node:http refuses some requests itself after llhttp read them (a missing Host in
            // HTTP/1.1 is a 400 without a clientError): any status but the handler's 200 counts.
            const statuses =
              Buffer.concat(replies)
                .toString('latin1')
                .match(/HTTP\/1\.1 \d{3}/g) ?? [];
            const refused = statuses.find((x) => !x.endsWith('200'));
            if (v !== null && v.error === null && refused !== undefined) v.error = refused;
            resolve(v ?? { requests: [], error: 'connect failed' });
          });
        });
      });
    },
    close(): Promise<void> {
      return new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
    },
  };
}
