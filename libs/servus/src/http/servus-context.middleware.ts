import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ContextValues, ServusContext } from '../execution/servus-context';
import { ownCopy } from '../util/own-copy';

export interface ServusContextMiddlewareOptions {
  /** Request header with the caller's correlation id (echoed in the response). Default 'x-correlation-id'. */
  header?: string;
  /** More values from the request, e.g. `(req) => ({ tenantId: req.headers['x-tenant-id']?.toString() ?? null })`. */
  values?: (request: IncomingMessage) => ContextValues;
}

/**
 * Starts a ServusContext per HTTP request: its correlation id (the header's, else a new
 * one) and `values`. Calls made while handling it log them, and jobs carry them to workers.
 *
 * @example app.use(servusContextMiddleware({ values: (req) => ({ tenantId: req.headers['x-tenant-id']?.toString() ?? null }) }));
 * @publicApi
 */
export function servusContextMiddleware(options: ServusContextMiddlewareOptions = {}) {
  const header = (options.header ?? 'x-correlation-id').toLowerCase();
  // Express and Fastify (middie) hand Node's request and response, possibly decorated.
  return (request: IncomingMessage, response: Partial<Pick<ServerResponse, 'setHeader'>>, next: () => void): void => {
    const given = request.headers?.[header] as unknown;
    const correlationId = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    response.setHeader?.(header, correlationId);
    ServusContext.run(ownCopy(options.values?.(request), { correlationId }), next);
  };
}
