import { describe, expect, it } from 'vitest';
import { readReply, stepFailure } from '../src/steps.ts';

describe('reading a reply for its step', () => {
  it('reads an applied event with the state fields it handed back', () => {
    expect(readReply('apply', ['applied', 'last_seen', 'mw', 'h:1', '0,2'])).toEqual({ status: 'applied', state: { last_seen: 'mw', 'h:1': '0,2' } });
  });

  it('reads a redirect to the lead a profile was linked into', () => {
    expect(readReply('apply', ['redirect', 'u:ann'])).toEqual({ status: 'redirect', to: 'u:ann' });
  });

  it("reads a link's record, whether it is merged, and the history still to replay", () => {
    expect(readReply('link', ['linked', 'identify', 'm-1', '1764000000000', '0', '{}', '0', '{"m":"a"}', '{"m":"b"}'])).toEqual({
      status: 'linked',
      reason: 'identify',
      messageId: 'm-1',
      at: 1764000000000,
      derived: false,
      merged: false,
      alertState: '{}',
      history: ['{"m":"a"}', '{"m":"b"}'],
    });
  });

  it('reads a lookup of a link that is not there as nothing found', () => {
    expect(readReply('lookupLink', [null, null, null, null])).toEqual({ status: 'found', derived: false, merged: false });
  });

  it('refuses a reply of a shape its step never gives, naming the step', () => {
    expect(() => readReply('claim', ['applied'])).toThrow(/claim step/);
  });
});

describe('a step Redis refused', () => {
  it("is the event's own problem when a script refused its input, and not worth trying again", () => {
    expect(stepFailure(new Error('BADINPUT event time -1 is not a whole ms between 1970 and 2106'))).toMatchObject({ outage: false, refused: true });
  });

  it("is the event's own problem when a script failed on it, worth a bounded number of tries", () => {
    expect(stepFailure(new Error('ERR user_script:40: attempt to compare nil with number script: 1f2e…'))).toMatchObject({ outage: false, refused: false });
  });

  it('is an outage when Redis is out of memory, read-only or loading, even inside a script', () => {
    for (const message of ['OOM command not allowed when used memory > maxmemory', 'ERR user_script:3: OOM command not allowed when used memory', 'READONLY You cannot write against a read only replica.', 'LOADING Redis is loading the dataset in memory']) {
      expect(stepFailure(new Error(message)).outage, message).toBe(true);
    }
  });

  it('is an outage when nothing says it is about the input', () => {
    expect(stepFailure(new Error('Command timed out')).outage).toBe(true);
    expect(stepFailure(new Error('ERR Error compiling script (new function): user_script:14')).outage).toBe(true);
  });
});
