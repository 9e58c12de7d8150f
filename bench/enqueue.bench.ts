import 'reflect-metadata';
import { INestApplicationContext, Module } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ServusExecutor, ServusModule } from 'nestjs-servus';
import {
  adminQueue,
  createBenchApp,
  env,
  fmt,
  fmtRatio,
  capturePayload,
  CpuPerJob,
  inFlight,
  pairedRatio,
  PRODUCER_OPTIONS,
  readyClient,
  RUN_PREFIX,
  signed,
  summarizeAll,
  Summary,
  table,
  TargetResult,
  interleaveSamples,
  JOB_OPTIONS,
} from './bench-kit';
import { ARGS, Noop, NoopWithSchema } from './bench-services';

/**
 * Enqueue cost: raw BullMQ `queue.add` vs `executor.callAsync`, on the same Redis, with the
 * same prefix style (`<run>-enq-raw` / `<run>-enq-srv`, queue `default`), the same job
 * options (Servus's defaults: attempts 3, exponential backoff, removeOnComplete/Fail) and a
 * payload of the same shape and size (a copy of one callAsync stored: { service, args, metadata }). One at a time (each
 * awaited) and 50 in flight; raw `addBulk` of 1,000, against `executor.callAsyncMany` of
 * 1,000 when the library has it (else raw alone, reported as "no bulk path").
 */

const SEQ_RAW = 'raw queue.add, awaited one at a time';
const SEQ_SRV = 'executor.callAsync, awaited one at a time';
const SEQ_SRV_SCHEMA = 'executor.callAsync + 5-property schema, one at a time';
const PAR_RAW = 'raw queue.add, 50 in flight';
const PAR_SRV = 'executor.callAsync, 50 in flight';
const PAR_SRV_SCHEMA = 'executor.callAsync + 5-property schema, 50 in flight';
const BULK_RAW = 'raw queue.addBulk of 1,000';
const BULK_SRV = 'executor.callAsyncMany of 1,000';

/** callAsyncMany when this version of the library has it (it appeared while this bench was written); else undefined. */
type CallMany = (
  items: { service: (abstract new (...args: never[]) => unknown) | string; args?: unknown }[],
) => Promise<unknown[]>;
function bulkPathOf(executor: ServusExecutor): CallMany | undefined {
  const many = (executor as unknown as { callAsyncMany?: CallMany }).callAsyncMany;
  return typeof many === 'function' ? many.bind(executor) : undefined;
}

export async function runEnqueueBench(): Promise<{
  json: Record<string, unknown>;
  targets: TargetResult[];
  notes?: string[];
}> {
  const seqN = env.n(2_000);
  const parN = env.n(5_000);
  const bulkBatches = env.n(5);
  const rawPrefix = `${RUN_PREFIX}-enq-raw`;
  const srvPrefix = `${RUN_PREFIX}-enq-srv`;

  const rawConnection: Redis = await readyClient(PRODUCER_OPTIONS);
  const connections: Redis[] = [rawConnection];
  const raw = new Queue('default', { connection: rawConnection, prefix: rawPrefix });
  // Drains the Servus queue between rounds (outside the timing), so Redis does not grow. Not paused: no worker here.
  const srvAdmin = await adminQueue(srvPrefix, connections, { paused: false });
  let app: INestApplicationContext | undefined;
  try {
    @Module({
      imports: [ServusModule.forRoot({ prefix: srvPrefix, queues: ['default'], logging: { successLevel: 'debug' } })],
      providers: [Noop, NoopWithSchema],
    })
    class EnqueueModule {}
    app = await createBenchApp(EnqueueModule);
    const executor = app.get(ServusExecutor);
    await raw.waitUntilReady();
    // What raw BullMQ sends: a copy of a payload callAsync stored (same shape and byte size), built once.
    // Taken first and alone: a burst before the producer connection is ready adds a 'ready' and an
    // 'error' listener per call (whenReady), and warns past 16.
    const rawData = await capturePayload(() => executor.callAsync(Noop, ARGS), srvAdmin);

    const rawAdd = () => raw.add('bench.noop', rawData, JOB_OPTIONS);
    const srvAdd = () => executor.callAsync(Noop, ARGS);
    const srvAddSchema = () => executor.callAsync(NoopWithSchema, ARGS);
    const drain = () => Promise.all([raw.drain(), srvAdmin.drain()]);
    const callMany = bulkPathOf(executor);
    const manyItems = Array.from({ length: 1000 }, () => ({ service: Noop, args: ARGS }));

    // Warm-up: connections, Lua script loading, JIT.
    await inFlight(2_000, 50, rawAdd);
    await inFlight(2_000, 50, srvAdd);
    await inFlight(2_000, 50, srvAddSchema);
    if (callMany) for (let i = 0; i < 3; i++) await callMany(manyItems);
    await drain();

    /** jobs/s of `n` calls with `width` in flight; the queues are emptied afterwards (not timed). */
    const cpu = new CpuPerJob();
    const rate = async (name: string, n: number, width: number, fn: () => Promise<unknown>) => {
      const ms = await cpu.measure(name, n, () => inFlight(n, width, fn));
      await drain();
      return (n / ms) * 1000;
    };
    const rawJobs = Array.from({ length: 1000 }, () => ({ name: 'bench.noop', data: rawData, opts: JOB_OPTIONS }));
    const bulk = async (name: string, addBatch: () => Promise<unknown>) => {
      const ms = await cpu.measure(name, bulkBatches * 1000, async () => {
        const t0 = performance.now();
        for (let i = 0; i < bulkBatches; i++) await addBatch();
        return performance.now() - t0;
      });
      await drain();
      return ((bulkBatches * 1000) / ms) * 1000;
    };

    const samples = await interleaveSamples(env.rounds(), {
      [SEQ_RAW]: () => rate(SEQ_RAW, seqN, 1, rawAdd),
      [SEQ_SRV]: () => rate(SEQ_SRV, seqN, 1, srvAdd),
      [SEQ_SRV_SCHEMA]: () => rate(SEQ_SRV_SCHEMA, seqN, 1, srvAddSchema),
      [PAR_RAW]: () => rate(PAR_RAW, parN, 50, rawAdd),
      [PAR_SRV]: () => rate(PAR_SRV, parN, 50, srvAdd),
      [PAR_SRV_SCHEMA]: () => rate(PAR_SRV_SCHEMA, parN, 50, srvAddSchema),
      [BULK_RAW]: () => bulk(BULK_RAW, () => raw.addBulk(rawJobs)),
      ...(callMany ? { [BULK_SRV]: () => bulk(BULK_SRV, () => callMany(manyItems)) } : {}),
    });
    const results = summarizeAll(samples);
    const ratios: Record<string, Summary> = {
      [SEQ_SRV]: pairedRatio(samples[SEQ_SRV], samples[SEQ_RAW]),
      [SEQ_SRV_SCHEMA]: pairedRatio(samples[SEQ_SRV_SCHEMA], samples[SEQ_RAW]),
      [PAR_SRV]: pairedRatio(samples[PAR_SRV], samples[PAR_RAW]),
      [PAR_SRV_SCHEMA]: pairedRatio(samples[PAR_SRV_SCHEMA], samples[PAR_RAW]),
      ...(callMany ? { [BULK_SRV]: pairedRatio(samples[BULK_SRV], samples[BULK_RAW]) } : {}),
    };
    const baselineOf = (name: string) =>
      name === BULK_SRV ? BULK_RAW : name.includes('one at a time') ? SEQ_RAW : PAR_RAW;
    const cpuDelta: Record<string, number> = Object.fromEntries(
      Object.keys(ratios).map((name) => [name, cpu.pairedDelta(name, baselineOf(name))]),
    );
    const cpuText = (name: string) => `CPU ${fmt(cpu.median(name))} us/job`;
    const extra: Record<string, string> = {
      [SEQ_RAW]: `baseline (one at a time); ${cpuText(SEQ_RAW)}`,
      [PAR_RAW]: `baseline (50 in flight); ${cpuText(PAR_RAW)}`,
      [BULK_RAW]: `${callMany ? 'baseline (bulk)' : 'no bulk path in this Servus'}; ${cpuText(BULK_RAW)}`,
      ...Object.fromEntries(
        Object.entries(ratios).map(([name, ratio]) => [
          name,
          `Servus/raw ${fmtRatio(ratio)}; ${cpuText(name)}, ${signed(cpuDelta[name])} vs raw`,
        ]),
      ),
    };
    console.log(
      table(
        `enqueue: raw BullMQ vs executor.callAsync (${seqN} one at a time, ${parN} with 50 in flight, ${bulkBatches} x addBulk(1,000) a round${callMany ? ', the same for callAsyncMany' : ''}; ${env.rounds()} rounds)`,
        'jobs/s',
        results,
        extra,
      ),
    );
    const target = (mode: string, name: string): TargetResult => ({
      target: `callAsync >= 0.95x raw queue.add, ${mode}`,
      measured: `${ratios[name].median.toFixed(3)}x (medians ${fmt(results[name].median)} vs ${fmt(results[baselineOf(name)].median)} jobs/s; CPU ${signed(cpuDelta[name])} us/job in this process)`,
      pass: ratios[name].median >= 0.95,
    });
    return {
      json: {
        enqueue: {
          ...Object.fromEntries(Object.entries(results).map(([name, s]) => [name, { ...s, unit: 'jobs/s' }])),
          ratios: Object.fromEntries(Object.entries(ratios).map(([name, r]) => [`${name} / raw`, r])),
          cpuUsPerJob: cpu.json(),
          cpuUsPerJobOverRaw: cpuDelta,
          bulk: callMany ? 'executor.callAsyncMany vs raw addBulk' : 'no Servus bulk path: raw addBulk only',
        },
      },
      targets: [
        target('one at a time', SEQ_SRV),
        target('50 in flight', PAR_SRV),
        ...(callMany
          ? [
              {
                target: 'callAsyncMany(1,000) >= 0.95x raw addBulk(1,000)',
                measured: `${ratios[BULK_SRV].median.toFixed(3)}x (medians ${fmt(results[BULK_SRV].median)} vs ${fmt(results[BULK_RAW].median)} jobs/s; CPU ${signed(cpuDelta[BULK_SRV])} us/job)`,
                pass: ratios[BULK_SRV].median >= 0.95,
              },
            ]
          : []),
      ],
    };
  } finally {
    await app?.close();
    await Promise.allSettled([raw.obliterate({ force: true }), srvAdmin.obliterate({ force: true })]);
    await Promise.allSettled([raw.close(), srvAdmin.close()]);
    await Promise.allSettled(connections.map((connection) => connection.quit()));
  }
}

if (require.main === module) {
  void runEnqueueBench().then(({ json }) => {
    console.log(JSON.stringify(json));
    process.exit(0);
  });
}
