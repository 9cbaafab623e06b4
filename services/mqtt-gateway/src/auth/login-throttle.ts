/** Settings of {@link loginThrottle}. */
export interface ThrottleSettings {
  /** Failures allowed per source address, and per identity, within `windowMs`. */
  maxFailures: number;
  windowMs: number;
  /** First lockout; each further lockout of the same key doubles it, up to `maxLockoutMs`. */
  lockoutMs: number;
  maxLockoutMs: number;
}

interface Entry {
  failures: number[];
  lockedUntil: number;
  lockouts: number;
}

/**
 * Counts failed logins per source address and per identity (username or client id), independently, so
 * rotating one of them does not reset the other (hardening §3.2). A locked key is refused before any
 * credential is looked up, with the same answer as a wrong password.
 */
export function loginThrottle(settings: ThrottleSettings, now: () => number = Date.now) {
  const entries = new Map<string, Entry>();
  const entry = (key: string) => {
    let found = entries.get(key);
    if (!found) entries.set(key, (found = { failures: [], lockedUntil: 0, lockouts: 0 }));
    return found;
  };
  const prune = () => {
    if (entries.size < 10_000) return;
    const t = now();
    for (const [key, e] of entries) if (e.lockedUntil < t && e.failures.every((at) => at < t - settings.windowMs)) entries.delete(key);
  };
  return {
    isLocked(keys: readonly string[]): boolean {
      const t = now();
      return keys.some((key) => (entries.get(key)?.lockedUntil ?? 0) > t);
    },
    failed(keys: readonly string[]): void {
      const t = now();
      prune();
      for (const key of keys) {
        const e = entry(key);
        e.failures = e.failures.filter((at) => at > t - settings.windowMs);
        e.failures.push(t);
        if (e.failures.length >= settings.maxFailures) {
          e.lockedUntil = t + Math.min(settings.lockoutMs * 2 ** e.lockouts, settings.maxLockoutMs);
          e.lockouts += 1;
          e.failures = [];
        }
      }
    },
    succeeded(identityKey: string): void {
      entries.delete(identityKey);
    },
  };
}
/** A {@link loginThrottle}. */
export type LoginThrottle = ReturnType<typeof loginThrottle>;
