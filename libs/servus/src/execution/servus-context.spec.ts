import { LoggerService, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Service, ServiceBase, ServusContext, ServusExecutor, ServusModule } from 'nestjs-servus';

@Service({ name: 'context.read' })
class ReadContext extends ServiceBase<unknown, unknown> {
  async call() {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return this.success({ tenant: ServusContext.get('tenantId') ?? null, all: ServusContext.current() ?? null });
  }
}

@Module({ providers: [ReadContext] })
class ContextModule {}

describe('ServusContext in a booted module', () => {
  // run / get / current / carried without a module: servus-context.unit.spec.ts.
  it("a sync call sees the caller's context, and its log lines show it, secrets redacted", async () => {
    const lines: string[] = [];
    const logger: LoggerService = {
      log: (m) => lines.push(String(m)),
      warn: (m) => lines.push(String(m)),
      error: (m) => lines.push(String(m)),
      debug: (m) => lines.push(String(m)),
    };
    const moduleRef = await Test.createTestingModule({ imports: [ServusModule.forRoot(), ContextModule] })
      .setLogger(logger)
      .compile();
    await moduleRef.init();
    try {
      const response = await ServusContext.run({ correlationId: 'corr-7', tenantId: 't-1', apiToken: 'hunter2' }, () =>
        moduleRef.get(ServusExecutor).call(ReadContext, {}),
      );
      expect(response.success && response.data).toEqual({
        tenant: 't-1',
        all: { correlationId: 'corr-7', tenantId: 't-1', apiToken: 'hunter2' },
      });
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^context\.read \[correlationId=corr-7 tenantId=t-1 apiToken=\[REDACTED\]\] succeeded in/,
        ),
      );
      expect(lines.join('\n')).not.toContain('hunter2');
    } finally {
      await moduleRef.close();
    }
  });
});
