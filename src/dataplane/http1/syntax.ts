// Byte classes of RFC 9110/9112 as lookup tables (one load per byte on the hot path, no regexes),
// and the error every HTTP/1.1 syntax or limit violation throws.

/** A message that must not be forwarded; `status` is what the peer is answered. */
export class HttpParseError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function table(accept: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) if (accept(c)) t[c] = 1;
  return t;
}

const isAlnum = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const oneOf = (chars: string) => (c: number) => chars.includes(String.fromCharCode(c));

/** tchar: ALPHA / DIGIT / "!#$%&'*+-.^_`|~". */
export const TCHAR = table((c) => isAlnum(c) || oneOf("!#$%&'*+-.^_`|~")(c));

/** field-value bytes: HTAB, SP, VCHAR and obs-text. CTLs (NUL, CR, LF, ...) and DEL are not. */
export const VCHAR = table((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f));

/**
 * request-target bytes: visible ASCII without "#" (a fragment is never sent, RFC 9112 §3.2, and a
 * proxy that routed on a path its upstream reads differently would be bypassable). No obs-text.
 */
export const TARGET = table((c) => c > 0x20 && c < 0x7f && c !== 0x23);

/** Host header bytes: reg-name / IP-literal characters and ":" for the port (RFC 3986 §3.2.2). */
export const HOSTCHAR = table((c) => isAlnum(c) || oneOf("-._~%!$&'()*+,;=:[]")(c));

/** qdtext and the second byte of a quoted-pair in a quoted-string (RFC 9110 §5.6.4). */
export const QDTEXT = table((c) => c === 0x09 || c === 0x20 || c === 0x21 || (c >= 0x23 && c !== 0x5c && c !== 0x7f));
export const QPAIR = table((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f));

/** Hex digit value, -1 for anything else. */
export const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HTAB = 9;
