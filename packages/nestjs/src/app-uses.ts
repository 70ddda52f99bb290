/**
 * What of the module an app uses, read once its modules exist, so that it pays only for that: the
 * request context (AsyncLocalStorage: on Node 20 it costs every promise of the process, ~20 µs of
 * CPU a request in the Nest benchmark) only where something injects AuditService, the global guard
 * (~8 µs: Nest's guard machinery runs for every request) only where @Audit or @NoAudit is used.
 */
import { PARAMTYPES_METADATA, PROPERTY_DEPS_METADATA, SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, type ModulesContainer } from '@nestjs/core';
import { AuditService } from './audit.service.js';
import { AUDIT_METADATA, NO_AUDIT_METADATA } from './tokens.js';

/** A token, a forwardRef(() => token), or a factory's `{ token, optional }`. */
function isAuditService(token: unknown): boolean {
  if (token === AuditService) return true;
  if (token === null || typeof token !== 'object') return false;
  const t = token as { forwardRef?: unknown; token?: unknown };
  if (typeof t.forwardRef === 'function') {
    try {
      return (t.forwardRef as () => unknown)() === AuditService;
    } catch {
      return false; // a forward reference that cannot resolve yet is not ours to judge
    }
  }
  return t.token === AuditService;
}

function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The class's constructor parameters and injected properties, as Nest's injector reads them. */
function classTakesIt(cls: unknown): boolean {
  if (typeof cls !== 'function' || cls === AuditService) return false;
  const meta = (key: string) => listOf(Reflect.getMetadata(key, cls));
  return (
    meta(PARAMTYPES_METADATA).some(isAuditService) ||
    meta(SELF_DECLARED_DEPS_METADATA).some((d) => isAuditService((d as { param?: unknown } | null)?.param)) ||
    meta(PROPERTY_DEPS_METADATA).some((p) => isAuditService((p as { type?: unknown } | null)?.type))
  );
}

/**
 * True when a provider, controller, enhancer or middleware of any module takes AuditService: a
 * constructor parameter (by type or `@Inject`), an injected property, or a factory's `inject`
 * (`useExisting` aliases are factories too).
 */
export function injectsAuditService(modules: ModulesContainer): boolean {
  for (const mod of modules.values()) {
    for (const group of [mod.providers, mod.controllers, mod.injectables, mod.middlewares]) {
      for (const wrapper of group.values()) {
        if (listOf(wrapper.inject).some(isAuditService)) return true;
        if (classTakesIt(wrapper.metatype)) return true;
      }
    }
  }
  return false;
}

function decorated(target: object): boolean {
  return Reflect.getMetadata(AUDIT_METADATA, target) !== undefined || Reflect.getMetadata(NO_AUDIT_METADATA, target) !== undefined;
}

/** True when a controller of any module, or one of its handlers (inherited ones too), carries @Audit or @NoAudit. */
export function usesAuditDecorators(modules: ModulesContainer): boolean {
  const scanner = new MetadataScanner();
  for (const mod of modules.values()) {
    for (const wrapper of mod.controllers.values()) {
      const cls = wrapper.metatype;
      if (typeof cls !== 'function') continue;
      if (decorated(cls)) return true;
      const proto = cls.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(proto)) {
        const handler = proto[name];
        if (typeof handler === 'function' && decorated(handler)) return true;
      }
    }
  }
  return false;
}
