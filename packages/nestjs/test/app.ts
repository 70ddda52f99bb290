// A small Nest app for the tests: a JWT-like guard, a CRUD-ish controller, an admin-only route, a
// service that records a business event, a health check that is not audited.
import 'reflect-metadata';
import {
  Body,
  type CanActivate,
  Controller,
  Delete,
  type ExecutionContext,
  ForbiddenException,
  Get,
  HttpException,
  Inject,
  Injectable,
  Param,
  ParseIntPipe,
  Post,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { Audit, AuditService, NoAudit } from '../src/index.js';

export const USERS: Record<string, { id: string; roles: string[] }> = {
  'token-alice': { id: 'u-alice', roles: ['user'] },
  'token-root': { id: 'u-root', roles: ['user', 'admin'] },
};

@Injectable()
export class BearerGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string>; user?: unknown }>();
    const h = req.headers.authorization;
    if (!h?.startsWith('Bearer ')) throw new UnauthorizedException('missing bearer token');
    const user = USERS[h.slice(7)];
    if (!user) throw new UnauthorizedException('unknown token');
    req.user = user;
    return true;
  }
}

@Injectable()
export class AdminGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<{ user?: { roles: string[] } }>();
    if (!req.user?.roles.includes('admin')) throw new ForbiddenException('requires role admin');
    return true;
  }
}

@Injectable()
export class InvoiceService {
  private readonly invoices = new Map<number, { id: number; amount: number }>([[1, { id: 1, amount: 120 }]]);
  private nextId = 2;
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  get(id: number) {
    return this.invoices.get(id);
  }
  create(amount: number) {
    const inv = { id: this.nextId++, amount };
    this.invoices.set(inv.id, inv);
    // A business event, recorded from inside the request: request id and actor come along.
    this.audit.record({ action: 'invoice.issued', resource: { type: 'invoice', id: String(inv.id) }, details: { amount } });
    return inv;
  }
  remove(id: number) {
    // The batched way (no round trip with a worker-thread logger): same request id and actor.
    this.audit.recordLater({ action: 'invoice.deleted', resource: { type: 'invoice', id: String(id) } });
    return this.invoices.delete(id);
  }
}

@Controller('invoices')
@UseGuards(BearerGuard)
export class InvoicesController {
  constructor(@Inject(InvoiceService) private readonly svc: InvoiceService) {}

  @Get('boom')
  @Audit({ action: 'invoice.render' })
  boom() {
    throw new Error('renderer crashed');
  }

  @Get('slow')
  async slow() {
    await new Promise((r) => setTimeout(r, 300));
    return { done: true };
  }

  @Get('teapot')
  teapot() {
    throw new HttpException('short and stout', 418);
  }

  @Get(':id')
  @Audit({ action: 'invoice.read', resource: ({ params }) => ({ type: 'invoice', id: params.id }) })
  get(@Param('id', ParseIntPipe) id: number) {
    return this.svc.get(id) ?? { missing: id };
  }

  @Post()
  // As docs/nestjs.md shows it: @Audit<R> types the result the resolver reads (this file is type-checked in CI).
  @Audit<{ id: number }>({ action: 'invoice.create', resource: ({ result }) => result && { type: 'invoice', id: String(result.id) } })
  create(@Body() body: { amount: number }) {
    return this.svc.create(body.amount);
  }

  @Delete(':id')
  @UseGuards(AdminGuard)
  @Audit({ action: 'invoice.delete' })
  remove(@Param('id', ParseIntPipe) id: number) {
    return { deleted: this.svc.remove(id) };
  }
}

@Controller('health')
@NoAudit()
export class HealthController {
  @Get()
  ok() {
    return { ok: true };
  }
}
