import { describe, expect, it } from 'vitest';
import { EndpointBreakers, type Admission, type BreakerSettings } from '../src/circuit-breaker.js';

const settings: BreakerSettings = { failureThreshold: 3, coolDownMs: 1_000, maxCoolDownMs: 3_000 };

function setup() {
  let now = 0;
  const breakers = new EndpointBreakers(() => now, () => 0);
  const admit = (endpoint = 'a') => breakers.admit(endpoint, settings);
  const admitted = (a: Admission) => {
    if (!a.admitted) throw new Error(`expected admission, got retry in ${a.retryInMs} ms`);
    return a;
  };
  return { breakers, admit, admitted, advance: (ms: number) => (now += ms) };
}

describe('EndpointBreakers', () => {
  it('opens after N consecutive failures, only for that endpoint; a success in between resets the count', () => {
    const { breakers, admit, admitted } = setup();
    admitted(admit()).settle('failed');
    admitted(admit()).settle('failed');
    admitted(admit()).settle('healthy');
    admitted(admit()).settle('failed');
    admitted(admit()).settle('failed');
    expect(breakers.stateOf('a')).toBe('closed');
    admitted(admit()).settle('failed');
    expect(breakers.stateOf('a')).toBe('open');
    expect(admit()).toEqual({ admitted: false, retryInMs: 1_000 });
    expect(admit('b').admitted).toBe(true);
  });

  it('lets one probe through after the cool-down; a failed probe doubles the cool-down up to the cap, a good one closes', () => {
    const { breakers, admit, admitted, advance } = setup();
    for (let i = 0; i < 3; i++) admitted(admit()).settle('failed');
    advance(1_000);
    const probe = admitted(admit());
    expect(admit()).toMatchObject({ admitted: false });
    probe.settle('failed');
    expect(breakers.stateOf('a')).toBe('open');
    advance(1_999);
    expect(admit()).toMatchObject({ admitted: false, retryInMs: 10 });
    advance(1);
    admitted(admit()).settle('failed');
    advance(3_000);
    admitted(admit()).settle('failed');
    // Capped at 3 s.
    advance(2_999);
    expect(admit().admitted).toBe(false);
    advance(1);
    admitted(admit()).settle('healthy');
    expect(breakers.stateOf('a')).toBe('closed');
    expect(admit().admitted).toBe(true);
  });

  it('a probe that ends for reasons unrelated to the endpoint frees the probe slot', () => {
    const { admit, admitted, advance } = setup();
    for (let i = 0; i < 3; i++) admitted(admit()).settle('failed');
    advance(1_000);
    admitted(admit()).settle('unrelated');
    expect(admit().admitted).toBe(true);
  });

  it('late failures of tries started before the circuit opened do not extend it; a late success closes it', () => {
    const { breakers, admit, admitted, advance } = setup();
    const inFlight = [admitted(admit()), admitted(admit()), admitted(admit()), admitted(admit())];
    for (const a of inFlight.slice(0, 3)) a.settle('failed');
    advance(500);
    expect(admit()).toMatchObject({ admitted: false, retryInMs: 500 });
    inFlight[3]!.settle('healthy');
    expect(breakers.stateOf('a')).toBe('closed');
  });
});
