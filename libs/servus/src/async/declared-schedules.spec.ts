import { Logger } from '@nestjs/common';
import { ServusExecutor } from '../execution/servus-executor';
import { ServiceDefinition } from '../service/service-definition';
import { ServiceRegistry } from '../service/service-registry';
import { ScheduleInfo } from '../service/schedule-options.interface';
import { applyDeclaredSchedules } from './declared-schedules';

describe('applyDeclaredSchedules', () => {
  it('logs each schedule as Redis reads it back, escaped: a stored id or time zone cannot start a line of its own', async () => {
    const definition = {
      name: 'reports.nightly',
      options: { schedule: { id: 'nightly', cron: '0 3 * * *' } },
    } as unknown as ServiceDefinition;
    const registry = { definitions: () => [definition] } as unknown as ServiceRegistry;
    // What getJobScheduler answered: fields someone with write access to Redis edited.
    const info = {
      id: 'nightly\n[Nest] 1  - FATAL forged',
      cron: '0 3 * * *',
      tz: 'UTC\u001b[31m',
      queue: 'default',
    } as unknown as ScheduleInfo;
    const executor = { schedule: jest.fn().mockResolvedValue(info) } as unknown as ServusExecutor;
    const logger = { log: jest.fn() } as unknown as Logger;
    await applyDeclaredSchedules(registry, executor, logger);
    expect(executor.schedule).toHaveBeenCalledWith('reports.nightly', {}, { id: 'nightly', cron: '0 3 * * *' });
    expect(logger.log).toHaveBeenCalledWith(
      'Schedule nightly\\n[Nest] 1  - FATAL forged: reports.nightly at "0 3 * * *" (UTC\\x1b[31m) on default',
    );
  });
});
