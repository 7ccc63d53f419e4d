// Grammar-based generator of HTTP/1.1 request streams for fuzzing: a request is built from its
// parts (method, target, version, Host, ordinary fields, Content-Length / Transfer-Encoding with
// a body framed by them, chunk sizes, extensions, trailers), and each part is replaced by a
// known-tricky variant with a small probability. Most inputs are therefore valid or one step away
// from valid, which is where framing disagreements live; random bytes rarely get past the
// request line. A pipelined probe request usually follows, so a framing difference shows up as a
// different request sequence.

export type Rng = () => number;

/** mulberry32: small, fast, good enough for test inputs; the same seed gives the same stream. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seed of case `index` in a run seeded with `seed`: any case can be replayed alone. */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

function pick<T>(r: Rng, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

function chance(r: Rng, p: number): boolean {
  return r() < p;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
const BAD_METHODS = ['get', 'G(T', 'GE T', '', 'PURGE', 'GET\t', 'G\x00T', 'GET\r'];
const TARGETS = ['/', '/a/b?c=d', '/%20x', '/a;b=c', '/~u/?', 'http://h.example/p?q', 'http://h.example', '*'];
const BAD_TARGETS = ['http://u@h/', 'ftp://h/', 'h:80', '', '/a b', '//', 'a/b', 'http:///p'];
const INJECT = [' ', '\x00', '#', '\xff', '\t', '\r', '\n', '\x7f', '\x0b', '"', '\\'];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'];
const BAD_VERSIONS = [
  'HTTP/1.2',
  'HTTP/2.0',
  'HTTP/0.9',
  'http/1.1',
  'HTTP/1.10',
  'HTTP/1',
  'HTTP/1.1 ',
  '',
  'HTTP/1.x',
];
const BAD_EOL = ['\n', '\r', '\r\r\n', ' \r\n', '\n\r'];
const HOSTS = ['x', 'h.example:8080', '[::1]', 'H.Example'];
const BAD_HOSTS = ['a b', 'a/b', 'u@h', '', 'h\x00', 'caf\xe9'];
const NAMES = ['X-A', 'Accept', 'User-Agent', 'X_Under', 'x-multi', 'Cookie', "X-!#$%&'*+.^`|~"];
const VALUES = ['v', 'a, b', '  padded  ', 'caf\xe9', '"q"', '', 'a\tb', 'x'.repeat(300)];
const TE_VALUES = [
  'CHUNKED',
  'Chunked',
  ' chunked',
  'chunked ',
  '\tchunked',
  'chunked, identity',
  'identity, chunked',
  'gzip, chunked',
  'gzip,chunked',
  'gzip',
  'identity',
  'xchunked',
  '\x0bchunked',
  '"chunked"',
  'chunked,',
  ',chunked',
  'chunked;q=1',
  'chunked\x00',
  'chunked, chunked',
  '',
];
const CL_NAMES = ['Content-Length ', 'Content-Length\t', 'Content_Length', 'CONTENT-LENGTH', 'content-length'];
const TE_NAMES = [
  'Transfer-Encoding ',
  'Transfer-Encoding\t',
  'Transfer_Encoding',
  'TRANSFER-ENCODING',
  'transfer-encoding',
];
const EXTS = [
  ';a=b',
  ';a',
  ';a="x y"',
  ';a="x\\"y"',
  ';a=b;c',
  ' ;a=b',
  ';a = b',
  ';a= b',
  ';a =b',
  '; a=b',
  ';=b',
  ';a=',
  ';a=b@c',
  ';a="x',
  ';a="x\ry"',
  ';a="\xe9"',
  ';\xe9',
  ';a=b ',
  ' ',
  '\t',
];
const TRAILERS = [
  'X-T: v',
  'X-T: a, b',
  'Content-Length: 5',
  'Transfer-Encoding: chunked',
  'X-T v',
  ' folded',
  'Host: y',
  'X-T : v',
  'X-T:',
];
const PROBE = 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n';

function inject(r: Rng, s: string): string {
  const at = Math.floor(r() * (s.length + 1));
  return s.slice(0, at) + pick(r, INJECT) + s.slice(at);
}

function letters(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(r() * 26));
  return s;
}

/** A chunked body for `body`: sizes, extensions, data and trailers, each possibly mutated. */
function chunked(r: Rng, body: string, p: number, eol: () => string): string {
  let out = '';
  let rest = body;
  while (rest.length > 0) {
    const n = Math.min(rest.length, 1 + Math.floor(r() * (rest.length + 2)));
    const data = rest.slice(0, n);
    rest = rest.slice(n);
    let size = n.toString(16);
    if (chance(r, 0.15)) size = size.toUpperCase();
    if (chance(r, 0.1)) size = '0'.repeat(1 + Math.floor(r() * 14)) + size;
    if (chance(r, p))
      size = pick(r, [
        '-' + size,
        '0x' + size,
        ' ' + size,
        size + ' ',
        '',
        'g',
        (n + 1).toString(16),
        (n - 1).toString(16),
      ]);
    const ext = chance(r, p * 2) ? pick(r, EXTS) : '';
    out += size + ext + eol() + data + eol();
  }
  const lastExt = chance(r, p) ? pick(r, EXTS) : '';
  out += (chance(r, 0.1) ? '000' : '0') + lastExt + eol();
  if (chance(r, p * 2)) out += pick(r, TRAILERS) + eol();
  if (!chance(r, p / 2)) out += eol();
  return out;
}

/**
 * One request stream (latin1 string, one char per byte). `p` is the probability of mutating each
 * part: at 0 every request is valid.
 */
export function generateRequest(r: Rng, p = 0.06): string {
  const eol = (): string => (chance(r, p / 3) ? pick(r, BAD_EOL) : '\r\n');
  const method = chance(r, p) ? pick(r, BAD_METHODS) : pick(r, METHODS);
  let target = chance(r, p) ? pick(r, BAD_TARGETS) : pick(r, TARGETS);
  if (target === '*' && method !== 'OPTIONS' && !chance(r, p)) target = '/';
  if (chance(r, p)) target = inject(r, target);
  const version = chance(r, p) ? pick(r, BAD_VERSIONS) : pick(r, VERSIONS);
  const sp = (): string => (chance(r, p / 2) ? pick(r, ['  ', '\t', '']) : ' ');
  let head = method + sp() + target + sp() + version + eol();

  const fields: [string, string][] = [];
  if (!chance(r, p)) fields.push(['Host', chance(r, p) ? pick(r, BAD_HOSTS) : pick(r, HOSTS)]);
  if (chance(r, p)) fields.push(['Host', pick(r, HOSTS)]);
  const extra = Math.floor(r() * 4);
  for (let i = 0; i < extra; i++) fields.push([pick(r, NAMES), pick(r, VALUES)]);
  if (chance(r, 0.15)) fields.push(['Connection', pick(r, ['close', 'keep-alive', 'x-a'])]);

  // Framing: none, Content-Length, chunked, or both.
  const body = letters(r, Math.floor(r() * 24));
  const mode = r();
  const withCL = mode >= 0.25 && mode < 0.55 ? true : mode >= 0.85;
  const withTE = mode >= 0.55;
  let clValue = String(body.length);
  if (withCL) {
    if (chance(r, p * 2)) {
      const n = body.length;
      clValue = pick(r, [
        `${n}, ${n}`,
        `+${n}`,
        '-1',
        `0${n}`,
        ` ${n}`,
        '',
        `${n}.0`,
        `0x${n.toString(16)}`,
        String(n + 1),
        String(Math.max(0, n - 1)),
        '99999999999999999999',
        `${n}\x0b`,
      ]);
    }
    fields.push([chance(r, p) ? pick(r, CL_NAMES) : 'Content-Length', clValue]);
    if (chance(r, p)) fields.push(['Content-Length', chance(r, 0.5) ? clValue : String(body.length + 1)]);
  }
  if (withTE) {
    fields.push([
      chance(r, p) ? pick(r, TE_NAMES) : 'Transfer-Encoding',
      chance(r, p * 2) ? pick(r, TE_VALUES) : 'chunked',
    ]);
    if (chance(r, p)) fields.push(['Transfer-Encoding', pick(r, ['chunked', 'identity', 'gzip'])]);
  }
  // Field order matters for duplicates and "TE then CL" versus "CL then TE".
  for (let i = fields.length - 1; i > 0; i--) {
    if (chance(r, 0.3)) {
      const j = Math.floor(r() * (i + 1));
      [fields[i], fields[j]] = [fields[j]!, fields[i]!];
    }
  }
  for (const [name, value] of fields) {
    let line = name + ':' + (chance(r, 0.9) ? ' ' : '') + value;
    if (chance(r, p / 2)) line = inject(r, line);
    head += line + eol();
    if (chance(r, p / 3)) head += pick(r, [' folded', '\tfolded', ' ']) + eol();
  }
  head += eol();

  let message = head;
  if (withTE && (!withCL || chance(r, 0.5))) message += chunked(r, body, p, eol);
  else if (withCL) message += body;
  else if (chance(r, p)) message += body;
  if (chance(r, 0.7)) message += PROBE;
  // Now and then one byte-level change anywhere, to reach what the grammar above does not name.
  if (chance(r, p)) {
    const at = Math.floor(r() * message.length);
    const byte = chance(r, 0.5) ? pick(r, INJECT) : String.fromCharCode(Math.floor(r() * 256));
    const op = r();
    if (op < 0.4) message = message.slice(0, at) + byte + message.slice(at);
    else if (op < 0.7) message = message.slice(0, at) + message.slice(at + 1);
    else message = message.slice(0, at) + byte + message.slice(at + 1);
  }
  return message;
}
