import type { IncomingMessage } from 'node:http';
import type { DashboardMiddleware } from './basic-auth.middleware';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every dashboard answer: never shown in a frame (clickjacking).
 * Then, for a request that can change something (not GET/HEAD/OPTIONS): a body, if any, must be
 * JSON, and a browser's Origin and Sec-Fetch-Site, when it sends them, must name the dashboard's
 * own origin. A page of another site can make the browser send a form POST (urlencoded,
 * multipart or text/plain: a form always has one of these types) with the Basic credentials it
 * has cached; it cannot send JSON cross-origin without a CORS preflight, which the dashboard
 * never grants, and modern browsers mark every cross-origin request with Origin and
 * Sec-Fetch-Site. The board's own buttons (pause, retry, promote) send no body; clients that are
 * not browsers send neither header.
 */
export const dashboardWriteGuard: DashboardMiddleware = (request, response, next) => {
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
  if (SAFE_METHODS.has(request.method ?? 'GET')) return next();
  const problem = crossSiteProblem(request);
  if (!problem) return next();
  response.statusCode = 403;
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.end(`Servus dashboard: write refused: ${problem}`);
};

function crossSiteProblem(request: IncomingMessage): string | undefined {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'application/json' && (type !== '' || hasBody(request)))
    return 'a write needs a JSON body (Content-Type: application/json) or none';
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return 'the request does not come from the dashboard page';
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== ownOrigin(request)) return 'the request comes from another origin';
  return undefined;
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The origin the browser would give for a page of this server: the Host it asked for, over its scheme. */
function ownOrigin(request: IncomingMessage): string {
  const forwarded = String(request.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    .trim();
  const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
  const scheme = forwarded === 'https' || encrypted ? 'https' : 'http';
  return `${scheme}://${request.headers.host ?? ''}`;
}
