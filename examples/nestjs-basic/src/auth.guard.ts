import { createHmac, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';

export interface User {
  id: string;
  username: string;
  roles: string[];
}

const KEY = Buffer.from('example-token-signing-key-not-for-production');
const USERS: Record<string, User> = {
  alice: { id: 'u-alice', username: 'alice', roles: ['user'] },
  root: { id: 'u-root', username: 'root', roles: ['user', 'admin'] },
};

/** A JWT-like token: base64url(JSON claims) "." HMAC-SHA256 signature. */
export function issueToken(username: string): string {
  const body = Buffer.from(JSON.stringify({ sub: username })).toString('base64url');
  return `${body}.${createHmac('sha256', KEY).update(body).digest('base64url')}`;
}

@Injectable()
export class AuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: User }>();
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Bearer ')) throw new UnauthorizedException('missing bearer token');
    const [body, sig] = header.slice(7).split('.');
    if (!body || !sig) throw new UnauthorizedException('malformed token');
    const want = createHmac('sha256', KEY).update(body).digest();
    const got = Buffer.from(sig, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw new UnauthorizedException('bad signature');
    const user = USERS[(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { sub: string }).sub];
    if (!user) throw new UnauthorizedException('unknown user');
    req.user = user; // Passport-style: the audit entry's actor comes from here
    return true;
  }
}
