import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { ConsoleLogger, INestApplicationContext, Logger, Module } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { ServiceResponse, ServusContext, ServusExecutor, ServusModule } from 'nestjs-servus';
import { ServiceDefinition, ServiceRegistry, ServusTracing } from 'nestjs-servus/extend';
import { BullmqQueues } from 'nestjs-servus/async/bullmq-queues';
import { buildJobOptions } from 'nestjs-servus/async/job-options';
import { decodePayload, encodePayload, findNonJson } from 'nestjs-servus/async/job-payload.codec';
import { GlobalIds } from 'nestjs-servus/globalid/global-ids';
import { JobRequestBuilder } from 'nestjs-servus/async/job-request';
import { JobSigner } from 'nestjs-servus/async/job-signer';
import { QueueNames } from 'nestjs-servus/async/queue-names';
import { ServusJobProcessor } from 'nestjs-servus/async/servus-job.processor';
import {
  createBenchApp,
  env,
  interleave,
  overBaseline,
  quietAsyncLocalStorages,
  readyClient,
  RUN_PREFIX,
  sweepKeys,
  table,
} from './bench-kit';
import { ARGS, Noop } from './bench-services';

/**
 * The per-job CPU steps of the enqueue and process paths, each alone, in ns/op (no Redis:
 * BullMQ's `queue.add` is replaced by a resolved promise, the worker's Job by a plain
 * object). Says what each step costs; bench/profile.ts says how much of a real run it is.
 *
 *   npx ts-node bench/micro.ts
 */

/** The processor's label, as built for every job. */
function label(job: { id?: string; queueName: string; attemptsMade: number; opts: { attempts?: number } }): string {
  return `job ${job.id} on ${job.queueName}, attempt ${job.attemptsMade + 1}/${job.opts.attempts ?? 1}`;
}

/** A PROTOTYPE (bench only): callAsync with no async layers and job options merged once, to see how low the path could go. */
function leanCallAsync(registry: ServiceRegistry, queue: Queue, cachedOptions: object, args: unknown) {
  const definition = registry.findByType(Noop)!;
  const problem = findNonJson(args);
  if (problem) return Promise.reject(new Error(problem));
  const payload = { service: definition.name, args, metadata: { v: 1 } };
  return queue
    .add(definition.name, payload, cachedOptions)
    .then((job) => ({ jobId: job.id!, queue: 'default', service: definition.name }));
}

let sink: unknown;

function timeSync(n: number, fn: () => unknown): () => Promise<number> {
  return async () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = fn();
    return Number(process.hrtime.bigint() - t0) / n;
  };
}

/** Runs the measurement with every AsyncLocalStorage disabled (the processor's ServusContext.run turns promise hooks on for the process). */
function quiet(measure: () => Promise<number>): () => Promise<number> {
  return () => {
    quietAsyncLocalStorages();
    return measure();
  };
}

const benchStorage = new AsyncLocalStorage<{ bench: true }>();
/** Runs the measurement with an AsyncLocalStorage entered: promise hooks on. */
function entered(measure: () => Promise<number>): () => Promise<number> {
  return () => {
    quietAsyncLocalStorages();
    benchStorage.enterWith({ bench: true });
    return measure();
  };
}

function timeAsync(n: number, fn: () => Promise<unknown>): () => Promise<number> {
  return async () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = await fn();
    return Number(process.hrtime.bigint() - t0) / n;
  };
}

async function main(): Promise<void> {
  const n = env.n(200_000);
  const prefix = `${RUN_PREFIX}-micro`;
  @Module({
    imports: [ServusModule.forRoot({ prefix, queues: ['default'], logging: { successLevel: 'debug' } })],
    providers: [Noop],
  })
  class MicroModule {}
  const app: INestApplicationContext = await createBenchApp(MicroModule);
  @Module({ imports: [ServusModule.forRoot({ prefix, queues: ['default'] })], providers: [Noop] })
  class DefaultLoggingModule {}
  const loud: INestApplicationContext = await createBenchApp(DefaultLoggingModule);
  try {
    const executor = app.get(ServusExecutor);
    const registry = app.get(ServiceRegistry);
    const definition: ServiceDefinition = registry.findByType(Noop)!;
    const options = { prefix, queues: ['default'] };
    const builder = new JobRequestBuilder(
      options,
      new QueueNames(options),
      new GlobalIds(),
      new ServusTracing({}),
      new JobSigner(options),
    );
    const processor = app.get(ServusJobProcessor);
    const loudProcessor = loud.get(ServusJobProcessor);
    const consoleLogger = new ConsoleLogger('Servus');
    // callAsync without Redis: connect once, then the Queue's add answers at once.
    const queues = app.get(BullmqQueues);
    const queue: Queue = await queues.ready('default');
    const fakeJob = { id: '1' } as Job;
    (queue as unknown as { add: () => Promise<Job> }).add = () => Promise.resolve(fakeJob);
    const fakeAdd = () => Promise.resolve(fakeJob);
    const payload = encodePayload('bench.noop', ARGS);
    const job = {
      id: '123456',
      name: 'bench.noop',
      queueName: 'default',
      attemptsMade: 0,
      opts: { attempts: 3 },
      data: payload,
    } as unknown as Job;
    const response = ServiceResponse.success(7);
    const direct = new Noop();
    const context = ServusContext.carried([]);
    const cachedOptions = buildJobOptions(undefined, undefined, {});

    const enqueue = await interleave(env.rounds(), {
      'baseline: await a resolved promise (raw add without Redis)': timeAsync(n, fakeAdd),
      'executor.callAsync, add without Redis': timeAsync(n, () => executor.callAsync(Noop, ARGS)),
      'JobRequestBuilder.build (all checks, payload, options)': timeSync(n, () => builder.build(definition, ARGS, {})),
      'findNonJson(args), 5 keys': timeSync(n, () => findNonJson(ARGS)),
      'encodePayload (new Date().toISOString())': timeSync(n, () => encodePayload('bench.noop', ARGS)),
      'new Date().toISOString() alone': timeSync(n, () => new Date().toISOString()),
      'Date.now() alone': timeSync(n, () => Date.now()),
      'ServusContext.carried([]) (no context: a new randomUUID)': timeSync(n, () => ServusContext.carried([])),
      'findNonJson(context)': timeSync(n, () => findNonJson(context, 'context')),
      'buildJobOptions(no module, no service, {})': timeSync(n, () => buildJobOptions(undefined, undefined, {})),
      'await queues.ready(name) (connected)': timeAsync(n, () => queues.ready('default')),
      'PROTOTYPE: lean callAsync (see leanCallAsync), add without Redis': timeAsync(n, () =>
        leanCallAsync(registry, queue, cachedOptions, ARGS),
      ),
    });
    console.log(
      table(
        `micro, enqueue path (${n} ops a round, ${env.rounds()} rounds)`,
        'ns/op',
        enqueue,
        overBaseline(enqueue, 'baseline: await a resolved promise (raw add without Redis)', ['await', 'executor']),
      ),
    );

    Logger.overrideLogger(['log', 'warn', 'error']);
    // ConsoleLogger's formatting (timestamp, colours) is paid; its write is not.
    const write = process.stdout.write;
    process.stdout.write = () => true;
    const process_ = await interleave(env.rounds(), {
      'baseline: await service.call(args) directly': quiet(timeAsync(n, () => direct.call(ARGS))),
      'await service.call(args) directly, an AsyncLocalStorage entered (promise hooks on)': entered(
        timeAsync(n, () => direct.call(ARGS)),
      ),
      'ServusJobProcessor.process(job), no Redis': timeAsync(n, () => processor.process(job)),
      'ServusJobProcessor.process(job), default logging (success line at info, to a discarding logger)': timeAsync(
        n,
        () => loudProcessor.process(job),
      ),
      'Nest ConsoleLogger.log(one line), stdout.write stubbed': timeSync(n, () =>
        consoleLogger.log('bench.noop (job 123456 on default, attempt 1/3) succeeded in 0.02ms'),
      ),
      'label string per job': timeSync(n, () => label(job)),
      'decodePayload(job.data)': timeSync(n, () => decodePayload(payload)),
      'Logger.isLevelEnabled("debug") (2 per job)': timeSync(n, () => Logger.isLevelEnabled('debug')),
      'response.toJSON()': timeSync(n, () => response.toJSON()),
      'new AbortController().signal (BullMQ, per job, if the processor takes 3 parameters)': timeSync(
        n,
        () => new AbortController().signal,
      ),
      'JSON.stringify(payload) (BullMQ does it on add)': timeSync(n, () => JSON.stringify(payload)),
      // What timing a call costs (the pipeline reads the clock at the start when a failure line could print).
      'performance.now()': timeSync(n, () => performance.now()),
      'process.hrtime.bigint()': timeSync(n, () => process.hrtime.bigint()),
      'Date.now() (ms only)': timeSync(n, () => Date.now()),
    });
    process.stdout.write = write;
    quietAsyncLocalStorages();
    console.log(
      table(
        `micro, process path (${n} ops a round, ${env.rounds()} rounds)`,
        'ns/op',
        process_,
        overBaseline(process_, 'baseline: await service.call(args) directly', ['ServusJobProcessor']),
      ),
    );
    console.log(JSON.stringify({ micro: { enqueue, process: process_ } }), typeof sink === 'undefined' ? '' : '');
  } finally {
    await app.close();
    await loud.close();
    const redis = await readyClient();
    await sweepKeys(redis, prefix);
    await redis.quit();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
