import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { NotFoundError, Service, ServiceBase, ServiceNotFoundError, ServusExecutor, ServusModule } from '@app/servus';

@Service({ name: 'math.divide' })
class Divide extends ServiceBase<{ a: number; b: number }, { quotient: number }> {
  async call({ a, b }: { a: number; b: number }) {
    if (b === 0) return this.failure('Cannot divide by zero', NotFoundError);
    return this.success({ quotient: a / b });
  }
}

@Module({ providers: [Divide] })
class MathModule {}

describe('ServusExecutor.call', () => {
  it('runs a service found in another module and returns its response', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ServusModule.forRoot({ logging: false }), MathModule] }).compile();
    await moduleRef.init();
    const executor = moduleRef.get(ServusExecutor);
    const ok = await executor.call(Divide, { a: 6, b: 3 });
    expect(ok.success && ok.data).toEqual({ quotient: 2 });
    const byName = await executor.call('math.divide', { a: 1, b: 0 });
    expect(byName.success).toBe(false);
    expect(byName.error?.apiError()).toEqual({ code: 'not_found', message: 'Cannot divide by zero' });
    await expect(executor.call('nope', {})).rejects.toThrow(ServiceNotFoundError);
    await moduleRef.close();
  });
});
