import { Audit, NoAudit } from '@auditready/nestjs';
import { type CanActivate, Controller, type ExecutionContext, ForbiddenException, Get, Injectable, UseGuards } from '@nestjs/common';
import { AuthGuard, type User } from './auth.guard';

@Injectable()
class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ user?: User }>();
    if (!req.user?.roles.includes('admin')) throw new ForbiddenException('requires role admin');
    return true;
  }
}

@Controller()
export class AdminController {
  @Get('admin/users')
  @UseGuards(AuthGuard, AdminGuard)
  @Audit({ action: 'admin.users.list', resource: { type: 'user' } })
  users() {
    return [{ id: 'u-alice' }, { id: 'u-root' }];
  }

  @Get('health')
  @NoAudit()
  health() {
    return { ok: true };
  }
}
