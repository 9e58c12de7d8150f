import 'reflect-metadata';
import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { servusContextMiddleware } from 'nestjs-servus';
import { ApiModule } from './api.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(ApiModule);
  // A correlation id (x-correlation-id, else new) and the tenant per request: in every log line of its calls, and in their jobs.
  app.use(
    servusContextMiddleware({
      values: (request) => ({ tenantId: request.headers['x-tenant-id']?.toString() ?? null }),
    }),
  );
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  new Logger('Api').log(`Listening on http://127.0.0.1:${port}`);
}

bootstrap().catch((error) => {
  console.error(error);
  process.exit(1);
});
