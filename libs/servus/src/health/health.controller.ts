import { Controller, Get, Type } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { ServusHealthIndicator } from './servus-health.indicator';

/**
 * `<path>/live`: the process answers (no dependency checked, so a Redis outage never gets it restarted).
 * `<path>` and `<path>/ready`: Redis reachable and, in a worker, every queue consumed; where an outbox
 * relay runs, the relay not backing off; 503 otherwise.
 */
export function createHealthController(path: string): Type {
  @Controller(path)
  class ServusHealthController {
    constructor(
      private readonly health: HealthCheckService,
      private readonly servus: ServusHealthIndicator,
    ) {}

    @Get('live')
    @HealthCheck()
    live(): Promise<HealthCheckResult> {
      return this.health.check([]);
    }

    @Get(['', 'ready'])
    @HealthCheck()
    ready(): Promise<HealthCheckResult> {
      const checks = [() => this.servus.redis()];
      if (this.servus.isWorker) checks.push(() => Promise.resolve(this.servus.consuming()));
      if (this.servus.isRelay) checks.push(() => Promise.resolve(this.servus.relay()));
      return this.health.check(checks);
    }
  }
  return ServusHealthController;
}
