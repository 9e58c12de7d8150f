import { Logger } from '@nestjs/common';
import { ServusExecutor } from '../execution/servus-executor';
import { ServiceRegistry } from '../service/service-registry';
import { escapeLog } from '../util/escape-log';

/** `@Service({ schedule })`: upserted by id at each worker's boot, so restarts and many workers keep one scheduler. */
export async function applyDeclaredSchedules(
  registry: ServiceRegistry,
  executor: ServusExecutor,
  logger: Logger,
): Promise<void> {
  for (const definition of registry.definitions()) {
    const declared = definition.options.schedule;
    if (!declared) continue;
    const { args = {}, ...options } = declared;
    const info = await executor.schedule(definition.name, args, options);
    const when = info.cron ? `at "${info.cron}"${info.tz ? ` (${info.tz})` : ''}` : `every ${info.every}ms`;
    // Read back from Redis, whose fields anyone with write access to it may have edited: escaped.
    logger.log(escapeLog(`Schedule ${info.id}: ${definition.name} ${when} on ${info.queue}`));
  }
}
