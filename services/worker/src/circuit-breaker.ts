/**
 * A circuit breaker per webhook endpoint, so a dead or hanging endpoint cannot keep the worker's
 * slots busy with tries that are bound to fail. After `failureThreshold` consecutive failed tries
 * (network errors, timeouts, 5xx/408/425/429) the circuit opens: that endpoint's jobs are deferred
 * (put back for later, not counted as attempts) until the cool-down ends. Then one job goes through
 * as a probe (half-open): success closes the circuit, failure opens it again for twice the cool-down
 * (capped). Jobs waiting meanwhile are deferred again, never dropped; the queue's age limit still
 * applies to them.
 *
 * State lives in the worker process: each worker learns about an endpoint on its own, which is what
 * matters for its own slots.
 */

export interface BreakerSettings {
  failureThreshold: number;
  coolDownMs: number;
  maxCoolDownMs: number;
}

export const defaultBreakerSettings: BreakerSettings = { failureThreshold: 10, coolDownMs: 5_000, maxCoolDownMs: 5 * 60_000 };

/** How a try ended, as far as the endpoint's health goes. */
export type TryVerdict = 'healthy' | 'failed' | 'unrelated';

export type Admission = { admitted: true; settle(verdict: TryVerdict): void } | { admitted: false; retryInMs: number };

interface Circuit {
  state: 'closed' | 'open' | 'half-open';
  consecutiveFailures: number;
  openUntil: number;
  coolDownMs: number;
  probeInFlight: boolean;
  /** The webhook's current setting (it may be changed while the circuit exists). */
  failureThreshold: number;
}

export class EndpointBreakers {
  private readonly circuits = new Map<string, Circuit>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** Whether a try at `endpoint` may go now; when it may, `settle` must be called with how it went. */
  admit(endpoint: string, settings: BreakerSettings): Admission {
    const circuit = this.circuit(endpoint, settings);
    const now = this.now();
    if (circuit.state === 'open' && now >= circuit.openUntil) circuit.state = 'half-open';
    if (circuit.state === 'open') return { admitted: false, retryInMs: this.spread(circuit.openUntil - now, circuit.coolDownMs) };
    if (circuit.state === 'half-open') {
      // One probe at a time; the others look again after half a cool-down (not sooner: many lanes may be waiting).
      if (circuit.probeInFlight) return { admitted: false, retryInMs: this.spread(circuit.coolDownMs / 2, circuit.coolDownMs) };
      circuit.probeInFlight = true;
      return { admitted: true, settle: once((verdict) => this.settleProbe(circuit, verdict, settings)) };
    }
    return { admitted: true, settle: once((verdict) => this.settleClosed(circuit, verdict)) };
  }

  /** For logs and tests. */
  stateOf(endpoint: string): Circuit['state'] {
    return this.circuits.get(endpoint)?.state ?? 'closed';
  }

  private circuit(endpoint: string, settings: BreakerSettings): Circuit {
    let circuit = this.circuits.get(endpoint);
    if (!circuit) {
      circuit = { state: 'closed', consecutiveFailures: 0, openUntil: 0, coolDownMs: settings.coolDownMs, probeInFlight: false, failureThreshold: settings.failureThreshold };
      this.circuits.set(endpoint, circuit);
    }
    circuit.failureThreshold = settings.failureThreshold;
    return circuit;
  }

  private settleClosed(circuit: Circuit, verdict: TryVerdict): void {
    if (verdict === 'unrelated') return;
    if (verdict === 'healthy') {
      // A slow try that succeeds after the circuit opened is proof enough that the endpoint is back.
      Object.assign(circuit, { state: 'closed', consecutiveFailures: 0 });
      return;
    }
    circuit.consecutiveFailures += 1;
    // Tries that started before the circuit opened may still fail afterwards: they do not extend it.
    if (circuit.state === 'closed' && circuit.consecutiveFailures >= circuit.failureThreshold) {
      circuit.state = 'open';
      circuit.openUntil = this.now() + circuit.coolDownMs;
    }
  }

  private settleProbe(circuit: Circuit, verdict: TryVerdict, settings: BreakerSettings): void {
    circuit.probeInFlight = false;
    if (verdict === 'healthy') {
      Object.assign(circuit, { state: 'closed', consecutiveFailures: 0, coolDownMs: settings.coolDownMs });
    } else if (verdict === 'failed') {
      circuit.coolDownMs = Math.min(settings.maxCoolDownMs, circuit.coolDownMs * 2);
      Object.assign(circuit, { state: 'open', openUntil: this.now() + circuit.coolDownMs });
    }
    // 'unrelated' (e.g. the event vanished) says nothing about the endpoint: the next job probes.
  }

  /** Deferred jobs come back spread over a fifth of the cool-down, not all at the same instant. */
  private spread(baseMs: number, coolDownMs: number): number {
    return Math.max(10, Math.round(Math.max(0, baseMs) + this.random() * Math.max(10, coolDownMs / 5)));
  }
}

function once(fn: (verdict: TryVerdict) => void): (verdict: TryVerdict) => void {
  let done = false;
  return (verdict) => {
    if (done) return;
    done = true;
    fn(verdict);
  };
}
