/**
 * Type-level tests of ServusExecutor: compiled with `tsc --noEmit -p test/types/tsconfig.json`
 * (the `typecheck` script), never run. Lines under `// @ts-expect-error` must NOT compile:
 * tsc fails if one of them stops being an error.
 */
import type { DataSource, EntityManager } from 'typeorm';
import {
  NotFoundError,
  Service,
  ServiceBase,
  ServiceResponse,
  ServusExecutor,
  TypeOrmOutboxStore,
} from 'nestjs-servus';
import { ArgsOf, DataOf, ServusOutboxOptions } from 'nestjs-servus/extend';

@Service()
class Greet extends ServiceBase<{ name: string }, { greeting: string }> {
  async call({ name }: { name: string }) {
    if (!name) return this.failure('Nobody to greet', NotFoundError);
    return this.success({ greeting: `Hello, ${name}` });
  }
}

/** A service whose arguments may be left out. */
@Service()
class Ping extends ServiceBase<{ verbose?: boolean } | undefined, 'pong'> {
  call() {
    return this.success('pong' as const);
  }
}

declare const executor: ServusExecutor;

/** Fails to compile unless A and B are the same type (neither `any` nor wider/narrower). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

export async function compiles(): Promise<void> {
  // The argument and data types come from the class.
  assertType<Equals<ArgsOf<Greet>, { name: string }>>();
  assertType<Equals<DataOf<Greet>, { greeting: string }>>();

  const r = await executor.call(Greet, { name: 'x' });
  assertType<Equals<typeof r, ServiceResponse<{ greeting: string }>>>();
  if (r.success) {
    const data: { greeting: string } = r.data;
    assertType<Equals<typeof r.data, { greeting: string }>>();
    void data;
  } else {
    const code: string = r.error.apiError().code;
    void code;
  }

  // By name: anything goes, the data is unknown.
  const byName = await executor.call('greet', { anything: [1, 2, 3] });
  await executor.call('greet', 42);
  await executor.call('greet');
  if (byName.success) assertType<Equals<typeof byName.data, unknown>>();

  // Optional arguments may be omitted.
  const pong = await executor.call(Ping);
  if (pong.success) assertType<Equals<typeof pong.data, 'pong'>>();

  await executor.callAsync(Greet, { name: 'x' }, { queue: 'critical', priority: 10, wait: '5m' });
  await executor.callAsync('greet', { whatever: true });

  // Transactional enqueue: a TypeORM EntityManager fits the store (its types need no TypeORM of their own).
  const manager = {} as EntityManager;
  const dataSource = {} as DataSource;
  await executor.callAsync(Greet, { name: 'x' }, { transaction: manager, jobId: 'greet-1' });
  await executor.callAsyncMany([{ service: Greet, args: { name: 'x' }, options: { transaction: manager } }]);
  const store = new TypeOrmOutboxStore(dataSource);
  const outbox: ServusOutboxOptions = { store, relay: { batchSize: 100 } };
  void outbox;
}

export async function mustNotCompile(): Promise<void> {
  // @ts-expect-error the arguments are required
  await executor.call(Greet);

  // @ts-expect-error name must be a string
  await executor.call(Greet, { name: 1 });

  // @ts-expect-error unknown property in an object literal
  await executor.call(Greet, { name: 'x', extra: true });

  // @ts-expect-error a required property is missing
  await executor.call(Greet, {});

  const r = await executor.call(Greet, { name: 'x' });
  // @ts-expect-error data may be undefined until success is checked
  const unchecked: { greeting: string } = r.data;
  void unchecked;

  // @ts-expect-error error may be undefined until failure is checked
  r.error.apiError();

  if (r.success) {
    // @ts-expect-error the data is typed, not any
    const wrong: number = r.data;
    void wrong;
  }

  // @ts-expect-error callAsync checks the arguments too
  await executor.callAsync(Greet, { name: 1 });

  // @ts-expect-error callAsync options are checked
  await executor.callAsync(Greet, { name: 'x' }, { priority: 'high' });

  // @ts-expect-error only service classes can be called
  await executor.call(Date, {});
}
