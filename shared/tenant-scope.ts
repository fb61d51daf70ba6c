import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The tenant a unit of work acts for, carried along its async flow. Authentication enters it
 * for customer and agent requests (the tenant of the API key or agent token); the data-access
 * layer reads it on every store request to fence it to that tenant's items and, with a token
 * vending machine, to sign it with that tenant's credentials. Work outside any scope (admin
 * routes, workers, authentication lookups that do not know the tenant yet) uses the base
 * identity; so do the vendor-level stores, which run outside the scope on purpose.
 */
const storage = new AsyncLocalStorage<string>();

export const tenantScope = {
  /** Runs `fn` (and everything it starts) as acting for `tenantId`. */
  run<T>(tenantId: string, fn: () => T): T {
    return storage.run(tenantId, fn);
  },
  /** The tenant the current work acts for, if any. */
  current(): string | undefined {
    return storage.getStore();
  },
  /** Runs `fn` outside any tenant scope (vendor-level work started from a tenant's request). */
  outside<T>(fn: () => T): T {
    return storage.exit(fn);
  },
};
