// Incremental chunked transfer-coding decoder (RFC 9112 §7.1). The chunk-size line, extensions and
// trailers follow the grammar exactly; whatever is not in it is an error, so the decoder never
// finds a different message end than a strict parser behind the proxy would. Whitespace (BWS)
// inside the chunk-size line is refused as llhttp refuses it: senders must not generate it.
import * as limits from './limits.ts';
import * as syntax from './syntax.ts';
import { HttpParseError } from './syntax.ts';

// Module-local copies: V8 reads a local const faster than an imported binding in the hot loops.
const HEX = syntax.HEX;
const TCHAR = syntax.TCHAR;
const VCHAR = syntax.VCHAR;
const QDTEXT = syntax.QDTEXT;
const QPAIR = syntax.QPAIR;
const CR = 13;
const LF = 10;

// The states of the common path first; extension and trailer states only on rarer lines.
const SIZE = 0;
const SIZE_LF = 1;
const DATA = 2;
const DATA_CR = 3;
const DATA_LF = 4;
/** After ";": the extension name. */
const EXT_NAME_START = 5;
const EXT_NAME = 6;
/** After "=": a token or a quoted-string. */
const EXT_VALUE_START = 7;
const EXT_TOKEN = 8;
const EXT_QUOTED = 9;
const EXT_QUOTED_PAIR = 10;
/** After a closing quote: ";" or CR. */
const EXT_NEXT = 11;
const TRAILER_START = 12;
const TRAILER_NAME = 13;
const TRAILER_VALUE = 14;
const TRAILER_LF = 15;
const FINAL_LF = 16;

const MAX_CHUNK_EXTENSION_BYTES = limits.MAX_CHUNK_EXTENSION_BYTES;
const MAX_TRAILER_BYTES = limits.MAX_TRAILER_BYTES;
const CONTENT_LENGTH = Buffer.from('content-length');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding');

/** 12 hex digits (2^48 bytes) is far past any body; more is an overflow attempt. */
const MAX_SIZE_DIGITS = 12;

export interface ChunkSink {
  onChunkData(data: Buffer): void;
}

/**
 * Data slices are handed to the sink without copying. Trailer fields are validated and dropped
 * (HTTP/1.1 senders rarely need them forwarded). One decoder serves the messages of a connection
 * in turn: reset() before each.
 */
export class ChunkedDecoder {
  #state = SIZE;
  #remaining = 0;
  #sizeDigits = 0;
  #extBytes = 0;
  #trailerBytes = 0;
  #total = 0;
  /** Trailer name: length so far, and which framing field names it still matches (bits 1, 2). */
  #nameLength = 0;
  #nameMatch = 0;
  readonly #status: number;
  readonly #maxBytes: number;

  /**
   * `errorStatus` answers syntax errors (400 downstream, 502 upstream); a body over `maxBytes`
   * throws 413 as soon as a chunk size announces it, before that chunk's data is handed on.
   */
  constructor(errorStatus: number, maxBytes = Number.POSITIVE_INFINITY) {
    this.#status = errorStatus;
    this.#maxBytes = maxBytes;
  }

  reset(): void {
    this.#state = SIZE;
    this.#remaining = 0;
    this.#sizeDigits = 0;
    this.#extBytes = 0;
    this.#trailerBytes = 0;
    this.#total = 0;
  }

  #matchName(c: number): void {
    const i = this.#nameLength++;
    const lower = c | 0x20; // tchars that are not letters never turn into "-" or a letter this way
    if (CONTENT_LENGTH[i] !== lower) this.#nameMatch &= ~1;
    if (TRANSFER_ENCODING[i] !== lower) this.#nameMatch &= ~2;
  }

  #fail(message: string): never {
    throw new HttpParseError(this.#status, message);
  }

  /** Consumes from `start`; returns the index just past the message end, or -1 when it needs more. */
  decode(buf: Buffer, start: number, sink: ChunkSink): number {
    let pos = start;
    const len = buf.length;
    while (pos < len) {
      const state = this.#state;
      if (state === DATA) {
        const n = Math.min(this.#remaining, len - pos);
        sink.onChunkData(buf.subarray(pos, pos + n));
        pos += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = DATA_CR;
        continue;
      }
      const c = buf[pos++]!;
      switch (state) {
        case SIZE: {
          const h = HEX[c]!;
          if (h >= 0) {
            if (++this.#sizeDigits > MAX_SIZE_DIGITS) this.#fail('chunk size too large');
            this.#remaining = this.#remaining * 16 + h;
          } else if (this.#sizeDigits === 0) {
            this.#fail('invalid chunk size');
          } else if (c === CR) {
            this.#state = SIZE_LF;
          } else if (c === 59 /* ; */) {
            this.#extBytes = 1;
            this.#state = EXT_NAME_START;
          } else {
            this.#fail('invalid chunk size line');
          }
          break;
        }
        case SIZE_LF:
          if (c !== LF) this.#fail('bare CR in chunk size line');
          this.#sizeDigits = 0;
          if (this.#remaining === 0) {
            this.#state = TRAILER_START;
          } else {
            if (this.#remaining > this.#maxBytes - this.#total) throw new HttpParseError(413, 'request body too large');
            this.#total += this.#remaining;
            this.#state = DATA;
          }
          break;
        case DATA_CR:
          if (c !== CR) this.#fail('missing CRLF after chunk data');
          this.#state = DATA_LF;
          break;
        case DATA_LF:
          if (c !== LF) this.#fail('missing CRLF after chunk data');
          this.#state = SIZE;
          break;
        default:
          if (state < TRAILER_START) this.#extension(state, c);
          else if (this.#trailer(state, c)) return pos;
      }
    }
    return -1;
  }

  /** One byte of a chunk extension (";" name ["=" token / quoted-string], no whitespace). */
  #extension(state: number, c: number): void {
    if (++this.#extBytes > MAX_CHUNK_EXTENSION_BYTES) this.#fail('chunk extension too long');
    switch (state) {
      case EXT_NAME_START:
        if (TCHAR[c] === 1) this.#state = EXT_NAME;
        else this.#fail('invalid chunk extension name');
        break;
      case EXT_NAME:
        if (TCHAR[c] === 1) break;
        if (c === 61 /* = */) this.#state = EXT_VALUE_START;
        else if (c === 59 /* ; */) this.#state = EXT_NAME_START;
        else if (c === CR) this.#state = SIZE_LF;
        else this.#fail('invalid chunk extension name');
        break;
      case EXT_VALUE_START:
        if (TCHAR[c] === 1) this.#state = EXT_TOKEN;
        else if (c === 34 /* " */) this.#state = EXT_QUOTED;
        else this.#fail('invalid chunk extension value');
        break;
      case EXT_TOKEN:
      case EXT_NEXT:
        if (state === EXT_TOKEN && TCHAR[c] === 1) break;
        if (c === 59) this.#state = EXT_NAME_START;
        else if (c === CR) this.#state = SIZE_LF;
        else this.#fail('invalid chunk extension');
        break;
      case EXT_QUOTED:
        if (c === 34) this.#state = EXT_NEXT;
        else if (c === 92 /* \ */) this.#state = EXT_QUOTED_PAIR;
        else if (QDTEXT[c] !== 1) this.#fail('invalid chunk extension value');
        break;
      case EXT_QUOTED_PAIR:
        if (QPAIR[c] !== 1) this.#fail('invalid chunk extension value');
        this.#state = EXT_QUOTED;
        break;
    }
  }

  /** One byte of the trailer section; true when it ended the message. */
  #trailer(state: number, c: number): boolean {
    if (++this.#trailerBytes > MAX_TRAILER_BYTES) throw new HttpParseError(431, 'trailers too large');
    switch (state) {
      case TRAILER_START:
        // A line starting with SP/HTAB would be obs-fold; anything else must be a field name.
        if (c === CR) this.#state = FINAL_LF;
        else if (TCHAR[c] === 1) {
          this.#state = TRAILER_NAME;
          this.#nameLength = 0;
          this.#nameMatch = 3;
          this.#matchName(c);
        } else this.#fail('invalid trailer');
        break;
      case TRAILER_NAME:
        if (c === 58 /* : */) {
          // Framing fields are prohibited in trailers (RFC 9110 §6.5.1).
          const n = this.#nameLength;
          if ((n === 14 && (this.#nameMatch & 1) !== 0) || (n === 17 && (this.#nameMatch & 2) !== 0)) {
            this.#fail('framing field in trailers');
          }
          this.#state = TRAILER_VALUE;
        } else if (TCHAR[c] !== 1) this.#fail('invalid trailer name');
        else this.#matchName(c);
        break;
      case TRAILER_VALUE:
        if (c === CR) this.#state = TRAILER_LF;
        else if (VCHAR[c] !== 1) this.#fail('invalid trailer value');
        break;
      case TRAILER_LF:
        if (c !== LF) this.#fail('bare CR in trailer');
        this.#state = TRAILER_START;
        break;
      case FINAL_LF:
        if (c !== LF) this.#fail('bare CR at end of chunked body');
        this.reset();
        return true;
    }
    return false;
  }
}
