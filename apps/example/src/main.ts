import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { ServusExecutor, ServusModule } from '@app/servus';
import { GenerateReport, ReportsModule } from '@app/reports';

/**
 * The example, end to end: starts apps/worker as its own process, then, as an API would,
 * calls `reports.generate` in-process and through the queue, and prints the responses.
 */
@Module({ imports: [ServusModule.forRoot({ queues: ['default', 'critical', 'low'] }), ReportsModule] })
class ExampleClientModule {}

async function main(): Promise<void> {
  const logger = new Logger('Example');
  const worker = await startWorker();
  const app = await NestFactory.createApplicationContext(ExampleClientModule, { logger: ['error', 'warn', 'log'] });
  try {
    const executor = app.get(ServusExecutor);

    const now = await executor.call(GenerateReport, { userId: 1, from: '2026-11-01', to: '2026-11-30' });
    logger.log(`call (in-process): ${JSON.stringify(now)}`);
    const empty = await executor.call(GenerateReport, { userId: 9, from: '2026-11-01', to: '2026-11-30' });
    logger.log(`call for an empty range: ${JSON.stringify(empty)} -> apiError ${JSON.stringify(empty.error?.apiError())}`);

    const receipt = await executor.callAsync(GenerateReport, { userId: 1, from: '2026-10-01', to: '2026-11-30' }, { priority: 10 });
    logger.log(`callAsync receipt: ${JSON.stringify(receipt)}`);
    const later = await executor.result(receipt, { timeoutMs: 10_000 });
    logger.log(`result from the worker: ${JSON.stringify(later)}`);
  } finally {
    await app.close();
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
  }
}

/** apps/worker in its own process, as it is deployed; resolves once it consumes. */
function startWorker(): Promise<ChildProcess> {
  const entry = join(__dirname, '../../worker/src/main.ts');
  const child = spawn(process.execPath, ['-r', 'ts-node/register', entry], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk.toString().replace(/^(?=.)/gm, '[worker] '));
      if (chunk.toString().includes('Worker consuming')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
