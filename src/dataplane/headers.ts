// Helpers over flat header arrays: [name, value, name, value, ...] with lower-case names.
// Used by filters and codecs; arrays are small, so linear scans beat maps here.

export function getHeader(headers: readonly string[], name: string): string | undefined {
  let out: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) out = out === undefined ? headers[i + 1]! : out + ',' + headers[i + 1]!;
  }
  return out;
}

/** Replaces every line of `name` with one line carrying `value`. */
export function setHeader(headers: string[], name: string, value: string): void {
  let found = false;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== name) continue;
    if (!found) {
      headers[i + 1] = value;
      found = true;
    } else {
      headers.splice(i, 2);
      i -= 2;
    }
  }
  if (!found) headers.push(name, value);
}

/** Appends to an existing value (comma-joined, as Envoy does for request headers), else adds a line. */
export function appendHeader(headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) {
      headers[i + 1] = headers[i + 1] + ',' + value;
      return;
    }
  }
  headers.push(name, value);
}

export function removeHeader(headers: string[], name: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) {
      headers.splice(i, 2);
      i -= 2;
    }
  }
}

/** A copy without the given (lower-case) names: headers listed in Connection are hop-by-hop. */
export function withoutNames(headers: readonly string[], drop: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (!drop.includes(headers[i]!)) kept.push(headers[i]!, headers[i + 1]!);
  return kept;
}
