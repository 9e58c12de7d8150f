import { Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import {
  Emits,
  EventHandler,
  Invoke,
  JobEnqueueError,
  NotFoundError,
  RescueFrom,
  Service,
  ServiceBase,
  ServiceUnavailableError,
  ServusExecutor,
  ValidationError,
} from 'nestjs-servus';
import { argumentsExample, ServusTestingModule, ServusTestingOptions, ServusTestQueue } from 'nestjs-servus/testing';
import { BullmqQueues } from 'nestjs-servus/async/bullmq-queues';

const attempts = new Map<number, number>();

class FlakyError extends Error {}

@Service({
  name: 'shop.charge',
  arguments: {
    type: 'object',
    required: ['orderId'],
    properties: { orderId: { type: 'integer', minimum: 1, example: 7 }, note: { type: 'string' } },
  },
})
@Emits('order.charged', { on: 'success' })
@RescueFrom(FlakyError, { use: ServiceUnavailableError })
class ChargeOrder extends ServiceBase<{ orderId: number; note?: string }, { orderId: number; charged: boolean }> {
  async call({ orderId }: { orderId: number; note?: string }) {
    const attempt = (attempts.get(orderId) ?? 0) + 1;
    attempts.set(orderId, attempt);
    if (orderId === 404) return this.failure('No such order', NotFoundError);
    if (orderId === 500) throw new Error('card processor exploded');
    if (orderId === 503 && attempt < 3) throw new FlakyError('processor timeout');
    return this.success({ orderId, charged: true });
  }
}

@Service({ name: 'shop.receipt' })
class SendReceipt extends ServiceBase<{ orderId: number }, null> {
  async call() {
    return this.success(null);
  }
}

@EventHandler('order.charged')
class OrderChargedHandler {
  @Invoke(SendReceipt, { async: true, queue: 'low' })
  receipt(order: { orderId: number }) {
    return { orderId: order.orderId };
  }
}

@Module({ providers: [ChargeOrder, SendReceipt, OrderChargedHandler] })
class ShopModule {}

async function boot(options: ServusTestingOptions = {}): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [ServusTestingModule.forRoot({ queues: ['default', 'low'], ...options }), ShopModule],
  }).compile();
  return moduleRef.init();
}

describe('ServusTestingModule', () => {
  let moduleRef: TestingModule;
  let executor: ServusExecutor;
  let queue: ServusTestQueue;

  beforeEach(async () => {
    attempts.clear();
    moduleRef = await boot();
    executor = moduleRef.get(ServusExecutor);
    queue = moduleRef.get(ServusTestQueue);
  });
  afterEach(() => moduleRef?.close());

  describe("'fake' (default)", () => {
    it('records callAsync (service, JSON args, options) without running it, and needs no Redis', async () => {
      const receipt = await executor.callAsync(ChargeOrder, { orderId: 1 }, { priority: 5, wait: '1m' });
      expect(receipt).toEqual({ jobId: '1', queue: 'default', service: 'shop.charge' });
      expect(queue.enqueued(ChargeOrder)).toEqual([
        expect.objectContaining({
          service: 'shop.charge',
          args: { orderId: 1 },
          options: { priority: 5, wait: '1m' },
          state: 'enqueued',
        }),
      ]);
      expect(queue.enqueued()[0].jobOptions).toMatchObject({ priority: 2_097_152 - 5, delay: 60_000, attempts: 3 });
      expect(attempts.size).toBe(0);
      expect(await executor.status(receipt)).toMatchObject({ state: 'waiting', attemptsMade: 0 });
      // No Redis side at all: the BullMQ adapter is not part of the testing module.
      expect(() => moduleRef.get(BullmqQueues, { strict: false })).toThrow();
    });

    it('refuses non-JSON arguments exactly as production does', async () => {
      await expect(executor.callAsync('shop.charge', { orderId: 1, at: new Date() })).rejects.toThrow(
        new JobEnqueueError('shop.charge', 'args.at is a Date: pass an ISO string (toISOString())'),
      );
      await expect(executor.callAsync('shop.charge', { orderId: 1, note: undefined })).rejects.toThrow(
        'args.note is undefined: omit the key or pass null',
      );
      await expect(executor.callAsync(ChargeOrder, { orderId: 1 }, { queue: 'elsewhere' })).rejects.toThrow(
        JobEnqueueError,
      );
      await expect(executor.callAsync(ChargeOrder, { orderId: 0 })).rejects.toThrow(ValidationError);
      expect(queue.enqueued()).toEqual([]);
    });

    it('a jobId is enqueued once, as in BullMQ', async () => {
      await executor.callAsync(ChargeOrder, { orderId: 1 }, { jobId: 'order-1' });
      await executor.callAsync(ChargeOrder, { orderId: 1 }, { jobId: 'order-1' });
      expect(queue.enqueued()).toHaveLength(1);
    });

    it('drain() performs calls through the worker pipeline, and the calls they enqueue (events)', async () => {
      const receipt = await executor.callAsync(ChargeOrder, { orderId: 2 });
      const performed = await queue.drain();
      expect(performed.map((call) => [call.service, call.state])).toEqual([
        ['shop.charge', 'completed'],
        ['shop.receipt', 'completed'],
      ]);
      expect(await executor.result(receipt)).toBeSuccess({ orderId: 2, charged: true });
      expect(queue.enqueued(SendReceipt)[0]).toMatchObject({ queue: 'low', args: { orderId: 2 } });
    });

    it('performing applies the worker rules: retryable failures and exceptions retry up to attempts, business failures do not', async () => {
      const flaky = await executor.callAsync(ChargeOrder, { orderId: 503 }, { attempts: 5 });
      const broken = await executor.callAsync(ChargeOrder, { orderId: 500 }, { attempts: 2 });
      const missing = await executor.callAsync(ChargeOrder, { orderId: 404 }, { attempts: 4 });
      await queue.drain();
      expect(await executor.status(flaky)).toMatchObject({ state: 'completed', attemptsMade: 3 });
      expect(await executor.status(broken)).toMatchObject({
        state: 'failed',
        attemptsMade: 2,
        failedReason: 'card processor exploded',
      });
      expect(await executor.result(missing)).toBeFailure(NotFoundError, 'No such order');
      expect(await executor.status(missing)).toMatchObject({ state: 'completed', attemptsMade: 1 });
      expect(attempts.get(404)).toBe(1);
    });

    it('a tampered call (arguments that break the schema) fails at once, as in the worker', async () => {
      await executor.callAsync(ChargeOrder, { orderId: 9 }, { attempts: 3 });
      queue.enqueued()[0].args = { orderId: 'nine' };
      const [call] = await queue.drain();
      expect(call).toMatchObject({
        state: 'failed',
        attemptsMade: 1,
        failedReason:
          'ValidationError (unprocessable_entity): Invalid arguments for shop.charge: orderId must be integer (type)',
      });
      expect(call.response).toBeFailure(
        ValidationError,
        'Invalid arguments for shop.charge: orderId must be integer (type)',
      );
    });

    it('result() of a call not performed yet says so', async () => {
      const receipt = await executor.callAsync(ChargeOrder, { orderId: 1 });
      await expect(executor.result(receipt)).rejects.toThrow(
        'has not been performed: call ServusTestQueue.drain() or perform() first',
      );
    });

    it('callAsyncMany records every item, or none when one is bad (index named)', async () => {
      await expect(
        executor.callAsyncMany([
          { service: ChargeOrder, args: { orderId: 1 } },
          { service: ChargeOrder, args: { orderId: 2, at: new Date() } },
        ]),
      ).rejects.toThrow(/^items\[1\]: Could not enqueue shop.charge: args.at is a Date/);
      expect(queue.enqueued()).toEqual([]);
      const receipts = await executor.callAsyncMany([
        { service: ChargeOrder, args: { orderId: 1 } },
        { service: 'shop.receipt', args: { orderId: 1 }, options: { queue: 'low' } },
      ]);
      expect(receipts.map((receipt) => receipt.service)).toEqual(['shop.charge', 'shop.receipt']);
      expect(queue.enqueued().map((call) => call.queue)).toEqual(['default', 'low']);
    });

    it('clear() forgets the recorded calls', async () => {
      await executor.callAsync(ChargeOrder, { orderId: 1 });
      queue.clear();
      expect(queue.enqueued()).toEqual([]);
    });
  });

  describe("'inline'", () => {
    it('runs the service at once, after the JSON round trip, and the events it causes', async () => {
      const inline = await boot({ async: 'inline' });
      try {
        const receipt = await inline.get(ServusExecutor).callAsync(ChargeOrder, { orderId: 3 });
        expect(await inline.get(ServusExecutor).result(receipt)).toBeSuccess({ orderId: 3, charged: true });
        expect(
          inline
            .get(ServusTestQueue)
            .enqueued()
            .map((call) => call.state),
        ).toEqual(['completed', 'completed']);
      } finally {
        await inline.close();
      }
    });
  });

  describe('matchers', () => {
    it('toBeSuccess / toBeFailure, with readable messages', async () => {
      const ok = await executor.call(ChargeOrder, { orderId: 1 });
      const missing = await executor.call(ChargeOrder, { orderId: 404 });
      expect(ok).toBeSuccess();
      expect(ok).toBeSuccess({ orderId: 1, charged: true });
      expect(ok).toBeSuccess(expect.objectContaining({ charged: true }));
      expect(missing).toBeFailure();
      expect(missing).toBeFailure(NotFoundError);
      expect(missing).toBeFailure(NotFoundError, /no such/i);
      expect(missing).not.toBeSuccess();
      expect(() => expect(missing).toBeSuccess()).toThrow(
        /Expected a success\nReceived: failure NotFoundError \(not_found\): "No such order"/,
      );
      expect(() => expect(ok).toBeFailure(NotFoundError)).toThrow(
        /Expected a failure of NotFoundError\nReceived: success with/,
      );
      expect(() => expect('nope').toBeSuccess()).toThrow(/Expected a ServiceResponse/);
    });

    it('toEmitEvent checks the event and a partial payload, and says what was emitted', async () => {
      await expect(() => executor.call(ChargeOrder, { orderId: 4 })).toEmitEvent('order.charged');
      await expect(() => executor.call(ChargeOrder, { orderId: 4 })).toEmitEvent('order.charged', { orderId: 4 });
      await expect(() => executor.call(ChargeOrder, { orderId: 404 })).not.toEmitEvent('order.charged');
      await expect(
        expect(() => executor.call(ChargeOrder, { orderId: 5 })).toEmitEvent('order.charged', { orderId: 6 }),
      ).rejects.toThrow(
        /to emit "order.charged" with a payload like \{"orderId": 6\}\nEmitted: order.charged \{"charged": true, "orderId": 5\}/,
      );
    });

    it('toHaveEnqueued on a block or on the queue, with partial args and options', async () => {
      await expect(() =>
        executor.callAsync(ChargeOrder, { orderId: 8, note: 'gift' }, { queue: 'low' }),
      ).toHaveEnqueued(ChargeOrder, { orderId: 8 }, { queue: 'low' });
      await expect(queue).toHaveEnqueued('shop.charge', { note: 'gift' });
      await expect(queue).not.toHaveEnqueued(SendReceipt);
      await expect(expect(queue).toHaveEnqueued(ChargeOrder, { orderId: 9 })).rejects.toThrow(
        /Expected callAsync of ChargeOrder with args like \{"orderId": 9\}\nEnqueued: callAsync shop.charge \{"note": "gift", "orderId": 8\}/,
      );
    });

    it('toCallService sees in-process calls and async ones (an event handler enqueueing)', async () => {
      await expect(() => executor.call(ChargeOrder, { orderId: 10 })).toCallService(ChargeOrder, { orderId: 10 });
      await expect(() => executor.call(ChargeOrder, { orderId: 10 })).toCallService(SendReceipt, { orderId: 10 });
      await expect(() => executor.call(ChargeOrder, { orderId: 404 })).not.toCallService(SendReceipt);
    });
  });

  it('argumentsExample is exported here too', () => {
    expect(argumentsExample(ChargeOrder, { note: 'x' })).toEqual({ orderId: 7, note: 'x' });
  });
});
