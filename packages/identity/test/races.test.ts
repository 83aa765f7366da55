import { describe, expect, it } from 'vitest';
import { claimGivesWay, settleVisitorRace } from '../src/index.ts';

describe('a visitor two workers linked to different leads at once', () => {
  it('links the provisional email lead it was linked to into the user who claims it now', () => {
    expect(settleVisitorRace({ from: 'a:v1', to: 'u:42', reason: 'identify' }, 'e:ann@acme.example')).toEqual({ link: { from: 'e:ann@acme.example', to: 'u:42', reason: 'visitor_identified' } });
  });

  it('links the provisional email lead that claims it into the user it was linked to, with the email', () => {
    expect(settleVisitorRace({ from: 'a:v1', to: 'e:ann@acme.example', reason: 'form' }, 'u:42')).toEqual({
      link: { from: 'e:ann@acme.example', to: 'u:42', reason: 'visitor_identified' },
      emailClaim: { email: 'ann@acme.example', owner: 'u:42' },
    });
  });

  it('stays a conflict between two users', () => {
    expect(settleVisitorRace({ from: 'a:v1', to: 'u:42', reason: 'identify' }, 'u:7')).toBeUndefined();
  });

  it('stays a conflict between two provisional email leads', () => {
    expect(settleVisitorRace({ from: 'a:v1', to: 'e:b@acme.example', reason: 'form' }, 'e:a@acme.example')).toBeUndefined();
  });
});

describe('an email claimed by two workers at once', () => {
  it('gives way to a user when claimed for its own provisional lead', () => {
    expect(claimGivesWay({ email: 'ann@acme.example', owner: 'e:ann@acme.example' }, 'u:42')).toBe(true);
  });

  it('is a conflict when two users claim it', () => {
    expect(claimGivesWay({ email: 'ann@acme.example', owner: 'u:7' }, 'u:42')).toBe(false);
  });
});
