/** A view store that cannot be reached answers 503 with the Errors JSON, not a 500. */
import { describe, expect, it } from 'vitest';
import type { Request, Response } from 'express';
import { errorHandler } from '../src/http/errors.js';

function answer(error: unknown): { status: number; body: any } {
  const sent: { status: number; body: any } = { status: 0, body: undefined };
  const res = {
    headersSent: false,
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
      return this;
    },
    end() {
      return this;
    },
  } as unknown as Response;
  errorHandler(error, { log: { error() {} } } as unknown as Request, res, () => undefined);
  return sent;
}

describe('error mapping of unreachable stores', () => {
  it.each(['MongoServerSelectionError', 'MongoNetworkError', 'MongoNotConnectedError'])('%s → 503 [DataStoreUnavailable]', (name) => {
    const error = Object.assign(new Error('connection refused'), { name });
    const sent = answer(error);
    expect(sent.status).toBe(503);
    expect(sent.body.generalErrors[0].code).toBe('[DataStoreUnavailable]');
    expect(JSON.stringify(sent.body)).not.toContain('connection refused');
  });

  it('any other error stays a 500 without internals', () => {
    const sent = answer(new Error('secret detail'));
    expect(sent.status).toBe(500);
    expect(JSON.stringify(sent.body)).not.toContain('secret detail');
  });
});
