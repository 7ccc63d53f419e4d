// node:http2 and node:tls, loaded the first time something needs them rather than at startup.
// Loading them costs a worker about 9 MiB of resident memory (nghttp2 and OpenSSL's TLS code
// paged in, their JavaScript modules, node:http which node:http2 pulls in), which a gateway
// serving only plain HTTP/1.1 never uses. Modules import their types with `import type` and call
// these for values.
import type http2 from 'node:http2';
import type tls from 'node:tls';

let http2Module: typeof http2 | undefined;
let tlsModule: typeof tls | undefined;

export function lazyHttp2(): typeof http2 {
  if (http2Module === undefined) http2Module = process.getBuiltinModule('node:http2');
  return http2Module;
}

export function lazyTls(): typeof tls {
  if (tlsModule === undefined) tlsModule = process.getBuiltinModule('node:tls');
  return tlsModule;
}
