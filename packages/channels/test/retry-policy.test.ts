import { describe, expect, it } from 'vitest';
import { classifyOutcome } from '../src/retry-policy.ts';

describe('classifyOutcome', () => {
  it('counts every 2xx as delivered', () => {
    for (const status of [200, 201, 202, 204, 299]) expect(classifyOutcome({ status })).toBe('delivered');
  });

  it('retries server errors', () => {
    for (const status of [500, 502, 503, 504, 599]) expect(classifyOutcome({ status })).toBe('retry');
  });

  it('retries 408 and 429', () => {
    expect(classifyOutcome({ status: 408 })).toBe('retry');
    expect(classifyOutcome({ status: 429 })).toBe('retry');
  });

  it('gives up on the other client errors', () => {
    for (const status of [400, 401, 403, 404, 405, 410, 413, 422]) expect(classifyOutcome({ status })).toBe('give_up');
  });

  it('gives up on redirects, which are not followed', () => {
    for (const status of [301, 302, 303, 307, 308]) expect(classifyOutcome({ status })).toBe('give_up');
  });

  it('retries network failures, timeouts and cancelled attempts', () => {
    expect(classifyOutcome({ error: { kind: 'network' } })).toBe('retry');
    expect(classifyOutcome({ error: { kind: 'timeout' } })).toBe('retry');
    expect(classifyOutcome({ error: { kind: 'aborted' } })).toBe('retry');
  });

  it('gives up on an invalid target', () => {
    expect(classifyOutcome({ error: { kind: 'invalid_target' } })).toBe('give_up');
  });

  it('lets a status win over an error that came after it', () => {
    expect(classifyOutcome({ status: 200, error: { kind: 'timeout' } })).toBe('delivered');
  });
});
