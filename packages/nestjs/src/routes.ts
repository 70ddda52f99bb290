/**
 * `listNestRoutes(app)`: every route of a Nest app, found the way Nest's router explorer finds
 * them (controllers of every module, handler metadata, Nest's own path builder for the global
 * prefix, module paths and URI versions), each classified: @NoAudit, skipped by the module's
 * policy, or audited. For `auditready coverage --routes`.
 */
import { auditorOf, classifyRoute, type RouteInfo, type RouteInventory } from '@auditready/node-http';
import { type INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, MODULE_PATH, PATH_METADATA, VERSION_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { RoutePathFactory } from '@nestjs/core/router/route-path-factory.js';
import { AuditNestMiddleware } from './audit.middleware.js';
import { NO_AUDIT_METADATA } from './tokens.js';

type Ctor = abstract new (...args: never[]) => unknown;

function asPaths(p: unknown): string[] {
  if (p === undefined) return ['/'];
  return (Array.isArray(p) ? p : [p]).map((x) => {
    const s = String(x);
    return s.startsWith('/') ? s : `/${s}`;
  });
}

function noAudit(handler: object, cls: object): boolean {
  const own = Reflect.getMetadata(NO_AUDIT_METADATA, handler) as boolean | undefined;
  return (own ?? (Reflect.getMetadata(NO_AUDIT_METADATA, cls) as boolean | undefined)) === true;
}

/**
 * Every route of an initialised Nest app (after `await app.init()` or `listen()`), with the method
 * and template its entries carry. Apps without AuditModule list every route as not audited.
 */
export function listNestRoutes(app: INestApplication): RouteInventory {
  const modules = app.get(ModulesContainer, { strict: false });
  const config = app.get(ApplicationConfig, { strict: false });
  let auditor: ReturnType<typeof auditorOf>;
  try {
    auditor = auditorOf(app.get(AuditNestMiddleware, { strict: false }));
  } catch {
    auditor = undefined; // no AuditModule in this app
  }
  const factory = new RoutePathFactory(config);
  const scanner = new MetadataScanner();
  const routes: RouteInfo[] = [];
  const seen = new Set<string>();
  for (const mod of modules.values()) {
    const modulePath =
      (Reflect.getMetadata(MODULE_PATH + modules.applicationId, mod.metatype) as string | undefined) ??
      (Reflect.getMetadata(MODULE_PATH, mod.metatype) as string | undefined);
    for (const wrapper of mod.controllers.values()) {
      const cls = wrapper.metatype as Ctor | null;
      if (!cls || typeof cls !== 'function') continue;
      const proto = cls.prototype as Record<string, unknown>;
      for (const ctrlPath of asPaths(Reflect.getMetadata(PATH_METADATA, cls))) {
        for (const name of scanner.getAllMethodNames(proto)) {
          const handler = proto[name];
          if (typeof handler !== 'function') continue;
          const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as unknown;
          if (methodPath === undefined) continue;
          const requestMethod = (Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined) ?? RequestMethod.GET;
          const method = RequestMethod[requestMethod] ?? String(requestMethod);
          const paths = asPaths(methodPath).flatMap((one) =>
            factory.create(
              {
                ctrlPath,
                methodPath: one,
                modulePath,
                globalPrefix: config.getGlobalPrefix(),
                controllerVersion: Reflect.getMetadata(VERSION_METADATA, cls),
                methodVersion: Reflect.getMetadata(VERSION_METADATA, handler),
                versioningOptions: config.getVersioning(),
              },
              requestMethod,
            ),
          );
          for (const route of paths) {
            const key = `${method} ${route}`;
            if (seen.has(key)) continue;
            seen.add(key);
            routes.push(noAudit(handler, cls) ? { method, route, audit: 'no-audit' } : classifyRoute(auditor, method, route));
          }
        }
      }
    }
  }
  return { format: 'auditready-routes/1', framework: 'nest', routes };
}
