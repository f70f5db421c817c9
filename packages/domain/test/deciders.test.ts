import { describe, expect, it } from 'vitest';
import { configDecider, fold, userDecider, ValidationError, NotFoundError, type Decider, type DomainEvent } from '../src/index.js';

/** given events → when command → then events (or error): the decider contract, with no I/O. */
function spec<C, E extends DomainEvent, S>(decider: Decider<C, E, S>) {
  return (given: E[]) => ({
    when: (command: C) => {
      const run = () => decider.decide(command, fold(decider, given));
      return { then: (expected: E[]) => expect(run()).toEqual(expected), thenThrows: (error: new (...args: never[]) => Error) => expect(run).toThrow(error) };
    },
  });
}

const user = { id: 'u1', tenantId: 't1', email: 'a@b.c', active: true, verified: true, insertInstant: 1, lastUpdateInstant: 1, passwordChangeRequired: false };
const password = { encryptionScheme: 'argon2id', factor: 2, salt: '', hash: '$argon2id$...' };

describe('user decider', () => {
  const given = spec(userDecider);

  it('creates an absent user, with the stored password and no plaintext', () => {
    given([]).when({ type: 'CreateUser', user, password }).then([{ type: 'UserCreated', data: { user, password } }]);
  });

  it('refuses to create a user that exists', () => {
    given([{ type: 'UserCreated', data: { user } }]).when({ type: 'CreateUser', user }).thenThrows(ValidationError);
  });

  it('folds the created user into state', () => {
    expect(fold(userDecider, [{ type: 'UserCreated', data: { user, password } }])).toEqual({ status: 'active', user, password });
  });
});

describe('configuration decider', () => {
  const given = spec(configDecider('Application'));
  const document = { id: 'a1', name: 'App' };

  it('creates, replaces and deletes', () => {
    given([]).when({ type: 'Create', document }).then([{ type: 'ApplicationCreated', data: { document } }]);
    given([{ type: 'ApplicationCreated', data: { document } }])
      .when({ type: 'Replace', document: { ...document, name: 'New' } })
      .then([{ type: 'ApplicationUpdated', data: { document: { ...document, name: 'New' } } }]);
    given([{ type: 'ApplicationCreated', data: { document } }]).when({ type: 'Delete', id: 'a1' }).then([{ type: 'ApplicationDeleted', data: { id: 'a1' } }]);
  });

  it('refuses a duplicate create and changes to what does not exist', () => {
    given([{ type: 'ApplicationCreated', data: { document } }]).when({ type: 'Create', document }).thenThrows(ValidationError);
    given([]).when({ type: 'Replace', document }).thenThrows(NotFoundError);
    given([{ type: 'ApplicationCreated', data: { document } }, { type: 'ApplicationDeleted', data: { id: 'a1' } }]).when({ type: 'Delete', id: 'a1' }).thenThrows(NotFoundError);
  });
});
