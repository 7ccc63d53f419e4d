// Layer-4 listeners: TCPRoute, TLSRoute (Passthrough and Terminate) and UDPRoute.
// The data plane's apply() owns binding; these modules own what happens to accepted sockets.
//
// TCP and TLS ports (one L4Listener per port, listeners of every Gateway on that port):
//   const l4 = createL4Listener({ listeners, clusters }, { observer, connectTimeoutMs, idleTimeoutMs,
//                                maxConnectionsPerListener, clientHelloTimeoutMs, handshakeTimeoutMs });
//   net.createServer({ allowHalfOpen: true }, (s) => l4.handleConnection(s));   // half-close needs allowHalfOpen
//   l4.update({ listeners, clusters })  → L4ConfigError[]  (new connections only; open ones keep theirs)
//   await l4.close(graceMs)
//   listen(config, { port, host, ...options }) binds a server for you (tests, tools).
//
// UDP ports:
//   const u = createUDPListener({ listeners, clusters }, boundDgramSocket, { observer, sessionIdleMs, maxSessions });
//   boundDgramSocket.on('message', (m, r) => u.handleMessage(m, r));
//   u.update(config); u.close();   listenUDP(config, { port, host }) binds for you.
//
// `clusters` is a Map from ClusterIR.name. Each connection (or UDP session) produces one AccessRecord
// through DataPlaneObserver.onRequestEnd with protocol 'TCP' | 'TLS' | 'UDP', method/path '-',
// responseCode 0 and L4Flag letters in responseFlags; onConnectionOpen/Close pair per connection.
export type { L4Backend, L4Cluster, L4Endpoint, L4Route } from './backends.ts';
export {
  createL4Listener,
  type L4ConfigError,
  L4Flag,
  type L4Listener,
  type L4Options,
  type L4PortConfig,
  type L4Server,
  listen,
} from './tcp.ts';
export {
  createUDPListener,
  listenUDP,
  type UDPListener,
  type UDPOptions,
  type UDPPortConfig,
  type UDPServer,
  type UDPStats,
} from './udp.ts';
