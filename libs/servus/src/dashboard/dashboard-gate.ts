import type { DashboardMiddleware } from './basic-auth.middleware';

/**
 * The middleware bull-board is given when the module is declared, standing in for the basic
 * auth one until the options are resolved: until then, every request is refused.
 */
export class DashboardGate {
  private guard?: DashboardMiddleware;

  readonly middleware: DashboardMiddleware = (request, response, next) => {
    if (this.guard) return this.guard(request, response, next);
    response.statusCode = 503;
    response.setHeader('Content-Type', 'text/plain; charset=utf-8');
    response.end('Servus dashboard: starting');
  };

  open(guard: DashboardMiddleware): void {
    this.guard = guard;
  }
}
