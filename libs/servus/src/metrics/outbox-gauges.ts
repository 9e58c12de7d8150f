import { Logger } from '@nestjs/common';
import { Gauge, MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { OutboxMonitor, OutboxStats } from '../execution/outbox-monitor.port';
import { bounded } from '../util/bounded';
import { escapeLog } from '../util/escape-log';

/** How long a scrape waits for the outbox's numbers before it answers without them. */
export const OUTBOX_READ_TIMEOUT_MS = 2000;

/** The outbox a registry's gauges read: the last app initialised with one, and not yet closed. */
const monitors = new WeakMap<Registry, OutboxMonitor>();
/** The read of each registry's outbox still running: what the three gauges and overlapping scrapes wait on. */
const reads = new WeakMap<Registry, Promise<OutboxStats | undefined>>();
const logger = new Logger('Servus');
let lastWarning = 0;

/** Points the registry's outbox gauges at this app's outbox; the returned function undoes it. */
export function readOutboxInto(registry: Registry, monitor: OutboxMonitor): () => void {
  monitors.set(registry, monitor);
  return () => monitors.get(registry) === monitor && monitors.delete(registry);
}

/**
 * `<prefix>outbox_depth` and `<prefix>outbox_oldest_age_seconds`: committed jobs the relay has not
 * moved yet and how long the oldest has waited; `<prefix>outbox_parked`: rows BullMQ refused; read from the database at scrape time. Left out
 * when the app has no outbox or the database does not answer (the scrape still answers).
 */
export function registerOutboxGauges(registry: Registry, prefix: string): void {
  const read = async (): Promise<OutboxStats | undefined> => {
    // One query at a time per registry, however many gauges and scrapes ask: while the table is
    // locked (a migration), waiting reads would otherwise each hold one of the app's pooled connections.
    let running = reads.get(registry);
    if (!running) {
      running = statsOf(registry).finally(() => reads.delete(registry));
      reads.set(registry, running);
    }
    const looked = await bounded(() => running, OUTBOX_READ_TIMEOUT_MS);
    if (looked.state === 'answered') return looked.value;
    warn(`the database did not answer within ${OUTBOX_READ_TIMEOUT_MS}ms`);
    return undefined;
  };
  const gauge = (name: string, help: string, value: (stats: OutboxStats) => number) =>
    registry.getSingleMetric(name) ??
    new OutboxGauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const stats = await read();
        (this as OutboxGauge).unread = stats === undefined;
        if (stats) this.set(value(stats));
      },
    });
  gauge(`${prefix}outbox_depth`, 'Jobs committed to the outbox and not yet moved to Redis', (stats) => stats.depth);
  gauge(
    `${prefix}outbox_parked`,
    'Jobs BullMQ refused, kept in the outbox with the reason (column refused): someone must look',
    (stats) => stats.parked,
  );
  gauge(
    `${prefix}outbox_oldest_age_seconds`,
    'Age of the oldest job waiting in the outbox (0 when it is empty)',
    (stats) => (stats.oldestAgeMs ?? 0) / 1000,
  );
}

/**
 * A gauge left out of the scrape when the outbox could not be read: a 0 would say "nothing
 * waiting" during a database outage, when the rows are only unknown.
 */
class OutboxGauge extends Gauge {
  unread = false;

  override async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const metric = await super.get();
    return this.unread ? { ...metric, values: [] } : metric;
  }
}

async function statsOf(registry: Registry): Promise<OutboxStats | undefined> {
  try {
    return await monitors.get(registry)?.stats();
  } catch (error) {
    warn((error as Error).message);
    return undefined;
  }
}

function warn(why: string): void {
  if (Date.now() - lastWarning <= 10_000) return;
  lastWarning = Date.now();
  logger.warn(escapeLog(`Metrics: outbox not read: ${why}`));
}
