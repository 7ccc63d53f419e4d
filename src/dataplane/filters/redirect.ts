// RequestRedirect (a route action in the IR): builds the Location header.
import type { RedirectIR } from '../../ir/types.ts';
import { modifyPath, splitPath } from './path.ts';

/**
 * Port rules from the Gateway API: an explicit port wins; otherwise a redirect that sets a scheme
 * uses that scheme's well-known port, and one that does not uses the listener's port. The port is
 * left out of Location when it is the scheme's default (http:80, https:443).
 */
export function redirectLocation(
  r: RedirectIR,
  prefix: string | null,
  listenerScheme: string,
  listenerPort: number,
  host: string,
  target: string,
): string {
  const scheme = r.scheme ?? listenerScheme;
  const hostname = r.hostname ?? host;
  let port: number;
  if (r.port !== undefined) port = r.port;
  else if (r.scheme !== undefined) port = r.scheme === 'https' ? 443 : 80;
  else port = listenerPort;
  const defaultPort = (scheme === 'http' && port === 80) || (scheme === 'https' && port === 443);
  let [path, query] = splitPath(target);
  if (r.path !== undefined) path = modifyPath(r.path, prefix, path);
  const authority = defaultPort ? hostname : hostname + ':' + port;
  return scheme + '://' + authority + path + query;
}
