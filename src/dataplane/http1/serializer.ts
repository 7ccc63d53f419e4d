// HTTP/1.1 head serialization. Heads are built as one latin1 string (V8 ropes make the
// concatenation cheap) and written with a single socket.write.

export const BODY_NONE = 0;
export const BODY_LENGTH = 1;
export const BODY_CHUNKED = 2;
/** Upgrade request: Connection: upgrade and the Upgrade header are sent. */
export const BODY_UPGRADE = 3;

/**
 * True for headers a proxy never forwards as-is: hop-by-hop fields (RFC 9110 §7.6.1), framing
 * fields the serializer recomputes, Host (written first), and HTTP/2 pseudo-headers.
 */
export function isHopOrFraming(name: string): boolean {
  switch (name.length) {
    case 2:
      return name === 'te';
    case 4:
      return name === 'host';
    case 7:
      return name === 'upgrade';
    case 10:
      return name === 'connection' || name === 'keep-alive' || name.charCodeAt(0) === 58;
    case 14:
      return name === 'content-length' || name === 'http2-settings';
    case 16:
      return name === 'proxy-connection';
    case 17:
      return name === 'transfer-encoding';
    default:
      return name.charCodeAt(0) === 58; // ':'
  }
}

export function serializeRequestHead(
  method: string,
  path: string,
  authority: string,
  headers: readonly string[],
  contentLength: number,
  bodyMode: number,
): string {
  let s = method + ' ' + path + ' HTTP/1.1\r\nhost: ' + authority + '\r\n';
  let upgrade: string | null = null;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (isHopOrFraming(name)) {
      if (name === 'te') {
        // "TE: trailers" is end to end (gRPC needs it); other codings are not.
        if (headers[i + 1]!.toLowerCase().includes('trailers')) s += 'te: trailers\r\n';
      } else if (name === 'upgrade') upgrade = headers[i + 1]!;
      continue;
    }
    s += name + ': ' + headers[i + 1]! + '\r\n';
  }
  if (bodyMode === BODY_LENGTH) s += 'content-length: ' + contentLength + '\r\n';
  else if (bodyMode === BODY_CHUNKED) s += 'transfer-encoding: chunked\r\n';
  else if (bodyMode === BODY_UPGRADE && upgrade !== null) s += 'connection: upgrade\r\nupgrade: ' + upgrade + '\r\n';
  return s + '\r\n';
}

const REASONS: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Unknown';
}

/**
 * `contentLength` >= 0 writes Content-Length; -1 with `chunked` writes Transfer-Encoding: chunked;
 * -2 writes neither (no body, e.g. 204/304, or a close-delimited body for HTTP/1.0 clients).
 */
export function serializeResponseHead(
  status: number,
  reason: string,
  headers: readonly string[],
  contentLength: number,
  chunked: boolean,
  connection: string | null,
): string {
  let s = 'HTTP/1.1 ' + status + ' ' + (reason === '' ? reasonPhrase(status) : reason) + '\r\n';
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (isHopOrFraming(name) && name !== 'host') continue;
    s += name + ': ' + headers[i + 1]! + '\r\n';
  }
  if (contentLength >= 0) s += 'content-length: ' + contentLength + '\r\n';
  else if (chunked) s += 'transfer-encoding: chunked\r\n';
  if (connection !== null) s += 'connection: ' + connection + '\r\n';
  return s + '\r\n';
}

/** The inputs and result of the last serializeResponseHeadCached call that built a head. */
const lastResponse = {
  status: 0,
  reason: '',
  headers: [] as string[],
  contentLength: 0,
  chunked: false,
  connection: null as string | null,
  head: '',
};

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * serializeResponseHead, answered with the previous head when every input equals the previous
 * call's. Responses for one upstream resource carry the same head until its Date header turns
 * over (the upstream pool reuses the parsed field strings, so the comparison is mostly identity
 * checks), and a reused head is already one flat string: no concatenation, no flattening.
 */
export function serializeResponseHeadCached(
  status: number,
  reason: string,
  headers: readonly string[],
  contentLength: number,
  chunked: boolean,
  connection: string | null,
): string {
  const m = lastResponse;
  if (
    status === m.status &&
    contentLength === m.contentLength &&
    chunked === m.chunked &&
    connection === m.connection &&
    reason === m.reason &&
    sameFields(headers, m.headers)
  ) {
    return m.head;
  }
  const head = serializeResponseHead(status, reason, headers, contentLength, chunked, connection);
  m.status = status;
  m.reason = reason;
  m.headers = headers.slice();
  m.contentLength = contentLength;
  m.chunked = chunked;
  m.connection = connection;
  m.head = head;
  return head;
}
