import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { listNestRoutes } from '@auditready/nestjs';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  // SIGTERM / SIGINT run Nest's shutdown hooks: the audit module flushes and closes its log.
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  // The route inventory for `auditready coverage --routes` (docs/cli.md).
  if (process.env.ROUTES_FILE) writeFileSync(process.env.ROUTES_FILE, JSON.stringify(listNestRoutes(app), null, 2));
  console.log(`invoice-api (Nest) on ${await app.getUrl()}`);
}
void bootstrap();
