import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The realm the browser shows in its login prompt. */
export const DASHBOARD_REALM = 'Servus dashboard';

/** A Connect-style middleware, as Nest's `consumer.apply()` takes it (Express or plain node:http). */
export type DashboardMiddleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * HTTP basic auth for the dashboard: 401 with a `WWW-Authenticate` challenge on missing or wrong
 * credentials. Without a configured username or password it refuses every request with 403:
 * a dashboard that can retry and delete jobs is never served open by mistake.
 *
 * @publicApi
 */
export function basicAuthMiddleware(auth: { username?: string; password?: string }): DashboardMiddleware {
  if (!auth.username || !auth.password) {
    return (_request, response) =>
      answer(
        response,
        403,
        'Servus dashboard: credentials are not configured. Set auth.username and auth.password in ServusDashboardModule.forRoot({ auth }).',
      );
  }
  const expected = { username: digest(auth.username), password: digest(auth.password) };
  return (request, response, next) => {
    const given = credentialsOf(request.headers.authorization);
    // Digests have one length, which timingSafeEqual needs; both are compared every time, so the
    // time taken says neither which one was wrong nor how much of it matched.
    const usernameMatches = timingSafeEqual(digest(given?.username ?? ''), expected.username);
    const passwordMatches = timingSafeEqual(digest(given?.password ?? ''), expected.password);
    if (given && usernameMatches && passwordMatches) return next();
    response.setHeader('WWW-Authenticate', `Basic realm="${DASHBOARD_REALM}"`);
    answer(response, 401, 'Authentication required');
  };
}

/** `Basic base64(user:password)` -> its parts; the password may hold ':', the username may not (RFC 7617). */
function credentialsOf(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function answer(response: ServerResponse, status: number, message: string): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.end(message);
}
