import { createAuditLogger } from '@auditready/core';
import { AuditModule } from '@auditready/nestjs';
import { createFileTransport } from '@auditready/transport-file';
import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller';
import { AuthGuard } from './auth.guard';
import { InvoicesController } from './invoices.controller';
import { InvoicesService } from './invoices.service';

@Module({
  imports: [
    // Keys and paths would come from a ConfigService in a real app: see AuditModule.forRootAsync.
    AuditModule.forRootAsync({
      useFactory: () => ({
        logger: createAuditLogger({
          service: { name: 'invoice-api-nest', version: '1.0.0', env: process.env.NODE_ENV ?? 'development' },
          transports: [createFileTransport({ dir: process.env.AUDIT_DIR ?? 'audit' })],
        }),
      }),
    }),
  ],
  controllers: [InvoicesController, AdminController],
  providers: [InvoicesService, AuthGuard],
})
export class AppModule {}
