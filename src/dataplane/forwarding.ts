// Forwarding headers added to every proxied request, as Envoy does at the edge: X-Forwarded-For
// appended with the client address, X-Forwarded-Proto set, X-Request-Id generated when absent.
// "Expect" is dropped because the gateway answers 100-continue itself.
import { randomUUID } from 'node:crypto';

/** Updates `headers` in place and returns the request id. */
export function addForwardingHeaders(headers: string[], remoteAddress: string, scheme: string): string {
  let xff = -1;
  let rid = -1;
  let xfp = -1;
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i]!;
    if (n.length === 15 && n === 'x-forwarded-for') xff = i;
    else if (n.length === 12 && n === 'x-request-id') rid = i;
    else if (n.length === 17 && n === 'x-forwarded-proto') xfp = i;
    else if (n.length === 6 && n === 'expect') {
      headers.splice(i, 2);
      i -= 2;
      if (xff > i) xff -= 2;
      if (rid > i) rid -= 2;
      if (xfp > i) xfp -= 2;
    }
  }
  if (xff === -1) headers.push('x-forwarded-for', remoteAddress);
  else headers[xff + 1] = headers[xff + 1] + ', ' + remoteAddress;
  if (xfp === -1) headers.push('x-forwarded-proto', scheme);
  else headers[xfp + 1] = scheme;
  if (rid !== -1) return headers[rid + 1]!;
  const id = randomUUID();
  headers.push('x-request-id', id);
  return id;
}

/** Socket remote address as logged and forwarded: IPv4-mapped IPv6 ("::ffff:1.2.3.4") shown as IPv4. */
export function clientAddress(raw: string | undefined): string {
  if (raw === undefined) return '';
  return raw.startsWith('::ffff:') && raw.indexOf('.') !== -1 ? raw.slice(7) : raw;
}
