/**
 * Liveness and readiness of one process.
 *
 * `/health` answers 200 while the process lives (Centrifugo's static `{}`).
 * `/ready` answers 200 only when every registered check passes and the process is not draining:
 * Kubernetes stops routing to a pod as soon as it starts shutting down.
 */
export type ReadinessCheck = () => Promise<void>;

export interface ReadinessReport {
  ready: boolean;
  draining: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

export class Health {
  #checks = new Map<string, ReadinessCheck>();
  #draining = false;

  /** Registers a check by name; a check rejects (or exceeds the timeout) when its dependency is not usable. */
  addCheck(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  /** After this, readiness is false for good: the process is shutting down. */
  startDraining(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  async readiness(timeoutMs = 2000): Promise<ReadinessReport> {
    const checks: ReadinessReport['checks'] = {};
    await Promise.all([...this.#checks].map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms`)), timeoutMs);
          }),
        ]);
        checks[name] = { ok: true };
      } catch (err) {
        checks[name] = { ok: false, error: err instanceof Error ? err.message : String(err) };
      } finally {
        clearTimeout(timer);
      }
    }));
    const ok = Object.values(checks).every((c) => c.ok);
    return { ready: ok && !this.#draining, draining: this.#draining, checks };
  }
}
