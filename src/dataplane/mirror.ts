// RequestMirror's runtime half: a copy of the request sent to another cluster. The response is
// read and dropped. A mirror never slows the main request: its body copy is bounded and the
// mirror is abandoned if the mirror upstream cannot keep up.
import type { UpstreamHandler, UpstreamStream } from './upstream/handler.ts';
import type { Cluster, Pool } from './upstream/cluster.ts';
import { BODY_CHUNKED, BODY_LENGTH, BODY_NONE } from './http1/serializer.ts';

const MIRROR_BUFFER_LIMIT = 1024 * 1024;

interface Source {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly headers: string[];
  readonly contentLength: number;
  readonly hasBody: boolean;
  readonly bodyDone: boolean;
}

export class Mirror implements UpstreamHandler {
  readonly method: string;
  readonly #path: string;
  readonly #authority: string;
  readonly #headers: string[];
  readonly #contentLength: number;
  readonly #hasBody: boolean;
  #bodyDone: boolean;
  #stream: UpstreamStream | null = null;
  #pool: Pool | null;
  #queued: Buffer[] | null = null;
  #queuedBytes = 0;
  #dead = false;

  constructor(cluster: Cluster, src: Source) {
    this.method = src.method;
    this.#path = src.path;
    this.#authority = src.authority;
    this.#headers = src.headers.slice();
    this.#contentLength = src.contentLength;
    this.#hasBody = src.hasBody;
    this.#bodyDone = src.bodyDone;
    const pool = cluster.pick();
    this.#pool = pool;
    if (pool === null) {
      this.#dead = true;
      return;
    }
    pool.active++;
    pool.acquire(this, false);
  }

  write(chunk: Buffer): void {
    if (this.#dead) return;
    const s = this.#stream;
    if (s !== null) {
      if (!s.write(chunk) && this.#queuedBytes > MIRROR_BUFFER_LIMIT) this.#stop();
      this.#queuedBytes += chunk.length;
      return;
    }
    if (this.#queued === null) this.#queued = [];
    this.#queued.push(chunk);
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes > MIRROR_BUFFER_LIMIT) this.#stop();
  }

  end(): void {
    this.#bodyDone = true;
    if (!this.#dead) this.#stream?.end();
  }

  onUpstreamConnected(stream: UpstreamStream): void {
    if (this.#dead) {
      stream.abort();
      return;
    }
    this.#stream = stream;
    const mode = !this.#hasBody ? BODY_NONE : this.#contentLength >= 0 ? BODY_LENGTH : BODY_CHUNKED;
    stream.sendHead(this.method, this.#path, this.#authority, this.#headers, this.#contentLength, mode);
    const q = this.#queued;
    this.#queued = null;
    this.#queuedBytes = 0;
    if (q !== null) for (const c of q) stream.write(c);
    if (this.#bodyDone) stream.end();
  }

  onUpstreamHead(): void {}
  onUpstreamData(): void {}
  onUpstreamFlush(): void {}
  onUpstreamDrain(): void {
    this.#queuedBytes = 0;
  }
  onUpstreamEnd(): void {
    this.#stream = null;
    this.#done();
  }
  onUpstreamError(): void {
    this.#stream = null;
    this.#done();
  }
  onUpstreamUpgrade(_h: string[], socket: import('node:net').Socket): void {
    socket.destroy();
    this.#done();
  }

  #stop(): void {
    const s = this.#stream;
    this.#stream = null;
    this.#queued = null;
    if (s !== null) s.abort();
    this.#done();
  }

  #done(): void {
    this.#dead = true;
    const p = this.#pool;
    this.#pool = null;
    if (p !== null) p.active--;
  }
}
