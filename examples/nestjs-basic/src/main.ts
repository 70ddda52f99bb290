import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  // SIGTERM / SIGINT run Nest's shutdown hooks: the audit module flushes and closes its log.
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  console.log(`invoice-api (Nest) on ${await app.getUrl()}`);
}
void bootstrap();
