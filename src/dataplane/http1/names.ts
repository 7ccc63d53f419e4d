// Well-known field names and methods as constant strings. A name read off the wire is matched
// against these byte by byte (case-insensitively) instead of being sliced out of the buffer and
// lower-cased: that saves two string allocations per field, and the constants compare by pointer
// wherever the proxy looks a field up. Unknown names are sliced as before.

/** Lower-case field names seen in most requests and responses (RFC 9110 and common extensions). */
const FIELD_NAMES = [
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'access-control-allow-origin',
  'age',
  'authorization',
  'cache-control',
  'connection',
  'content-encoding',
  'content-language',
  'content-length',
  'content-type',
  'cookie',
  'date',
  'etag',
  'expect',
  'expires',
  'forwarded',
  'grpc-encoding',
  'grpc-accept-encoding',
  'grpc-status',
  'grpc-message',
  'grpc-timeout',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'keep-alive',
  'last-modified',
  'location',
  'origin',
  'pragma',
  'proxy-connection',
  'range',
  'referer',
  'retry-after',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-websocket-accept',
  'sec-websocket-extensions',
  'sec-websocket-key',
  'sec-websocket-protocol',
  'sec-websocket-version',
  'server',
  'set-cookie',
  'strict-transport-security',
  'te',
  'trailer',
  'traceparent',
  'transfer-encoding',
  'upgrade',
  'upgrade-insecure-requests',
  'user-agent',
  'vary',
  'via',
  'www-authenticate',
  'x-content-type-options',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'x-request-id',
];

/** Names by length; each entry's bytes are lower-case letters, digits and "-". */
const BY_LENGTH: { bytes: Uint8Array; name: string }[][] = [];
for (const name of FIELD_NAMES) {
  const list = BY_LENGTH[name.length] ?? [];
  BY_LENGTH[name.length] = list;
  list.push({ bytes: Buffer.from(name, 'latin1'), name });
}

/**
 * The constant for the field name at buf[start..end) when it is a well-known one, else null. The
 * bytes must already be valid tchar: then `c | 0x20` lower-cases letters and leaves every other
 * tchar unequal to a letter, digit or "-" of a known name, so the comparison is exact.
 */
export function knownFieldName(buf: Uint8Array, start: number, end: number): string | null {
  const list = BY_LENGTH[end - start];
  if (list === undefined) return null;
  const first = buf[start]! | 0x20;
  for (let k = 0; k < list.length; k++) {
    const cand = list[k]!.bytes;
    if (cand[0] !== first) continue;
    let i = 1;
    while (i < cand.length && (buf[start + i]! | 0x20) === cand[i]) i++;
    if (i === cand.length) return list[k]!.name;
  }
  return null;
}

/** The constant for a common method token at buf[start..end) (exact case: methods are case-sensitive). */
export function knownMethod(buf: Uint8Array, start: number, end: number): string | null {
  const c = buf[start];
  switch (end - start) {
    case 3:
      if (c === 71 && buf[start + 1] === 69 && buf[start + 2] === 84) return 'GET';
      if (c === 80 && buf[start + 1] === 85 && buf[start + 2] === 84) return 'PUT';
      return null;
    case 4:
      if (c === 80 && buf[start + 1] === 79 && buf[start + 2] === 83 && buf[start + 3] === 84) return 'POST';
      if (c === 72 && buf[start + 1] === 69 && buf[start + 2] === 65 && buf[start + 3] === 68) return 'HEAD';
      return null;
    case 5:
      return c === 80 &&
        buf[start + 1] === 65 &&
        buf[start + 2] === 84 &&
        buf[start + 3] === 67 &&
        buf[start + 4] === 72
        ? 'PATCH'
        : null;
    case 6:
      return c === 68 &&
        buf[start + 1] === 69 &&
        buf[start + 2] === 76 &&
        buf[start + 3] === 69 &&
        buf[start + 4] === 84 &&
        buf[start + 5] === 69
        ? 'DELETE'
        : null;
    case 7:
      return c === 79 &&
        buf[start + 1] === 80 &&
        buf[start + 2] === 84 &&
        buf[start + 3] === 73 &&
        buf[start + 4] === 79 &&
        buf[start + 5] === 78 &&
        buf[start + 6] === 83
        ? 'OPTIONS'
        : null;
  }
  return null;
}
