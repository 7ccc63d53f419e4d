// `portunus echo`: the echo backend as a process, for the quickstart and for trying routes by hand.
// Every request is answered with JSON describing it (see src/echo/).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startEchoServer } from '../echo/index.ts';
import type { Command } from './main.ts';

const HELP = `Usage: portunus echo [--port N] [--host ADDR] [--namespace NS] [--pod NAME] [--service NAME]
                     [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]

Serves the echo backend: HTTP/1.1, HTTP/2 (h2c by prior knowledge or Upgrade), WebSocket and gRPC
(gateway_api_conformance.echo_basic.grpcecho.GrpcEcho) on one port, answering with JSON that
describes the request, in the shape the Gateway API conformance echo server uses.

Special paths: /health, /status/NNN, /retry/?uuid=U&succeedAfter=N[&responseCode=C][&delayRetry=D],
/ws (WebSocket echo). Any request: ?delay=DURATION (e.g. 500ms), and the header
X-Echo-Set-Header: "Name: value, ..." to set response headers.

Options:
  -p, --port N          port to listen on (default $HTTP_PORT or 3000; 0 picks a free port)
      --host ADDR       address to bind (default 127.0.0.1; 0.0.0.0 for all interfaces)
      --namespace NS    namespace reported in answers (default $NAMESPACE)
      --pod NAME        pod name reported in answers (default $POD_NAME)
      --service NAME    service name reported in answers (default $SERVICE_NAME)
      --tls-cert FILE   PEM certificate: also accept TLS (h2, http/1.1) on the same port
                        (default $TLS_SERVER_CERT)
      --tls-key FILE    PEM private key for --tls-cert (default $TLS_SERVER_PRIVKEY)
      --tls-client-ca FILE
                        PEM CA bundle: request a client certificate and, when one is sent,
                        require it to verify (default $TLS_CLIENT_CACERTS)
  -h, --help            this help`;

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      namespace: { type: 'string' },
      pod: { type: 'string' },
      service: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-client-ca': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
}

export const echoCommand: Command = {
  summary: 'run the echo backend (HTTP/1.1, h2c, WebSocket, gRPC) used by tests and the quickstart',
  async run(args: string[]): Promise<number> {
    let values: ReturnType<typeof parse>['values'];
    try {
      values = parse(args).values;
    } catch (err) {
      process.stderr.write(`portunus echo: ${(err as Error).message}\n${HELP}\n`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const env = process.env;
    const portText = values.port ?? env.HTTP_PORT ?? '3000';
    const certFile = values['tls-cert'] ?? (env.TLS_SERVER_CERT || undefined);
    const keyFile = values['tls-key'] ?? (env.TLS_SERVER_PRIVKEY || undefined);
    const clientCaFile = values['tls-client-ca'] ?? (env.TLS_CLIENT_CACERTS || undefined);
    const usageError =
      !/^\d+$/.test(portText) || Number(portText) > 65535
        ? `invalid port '${portText}'`
        : (certFile === undefined) !== (keyFile === undefined)
          ? '--tls-cert and --tls-key go together'
          : undefined;
    if (usageError) {
      process.stderr.write(`portunus echo: ${usageError}\n${HELP}\n`);
      return 2;
    }

    let server: Awaited<ReturnType<typeof startEchoServer>>;
    try {
      server = await startEchoServer({
        port: Number(portText),
        host: values.host ?? '127.0.0.1',
        ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
        ...(values.pod !== undefined ? { pod: values.pod } : {}),
        ...(values.service !== undefined ? { service: values.service } : {}),
        ...(certFile && keyFile
          ? {
              tls: {
                certPem: readFileSync(certFile, 'utf8'),
                keyPem: readFileSync(keyFile, 'utf8'),
                ...(clientCaFile ? { clientCaPem: readFileSync(clientCaFile, 'utf8') } : {}),
              },
            }
          : {}),
      });
    } catch (err) {
      process.stderr.write(`portunus echo: ${(err as Error).message}\n`);
      return 1;
    }
    const shownHost = server.host.includes(':') ? `[${server.host}]` : server.host;
    process.stdout.write(
      `portunus echo listening on ${shownHost}:${server.port} (pod '${server.context.pod}', namespace '${server.context.namespace}')\n`,
    );

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    process.stdout.write(`portunus echo: ${signal}, shutting down\n`);
    await server.close();
    return 0;
  },
};
