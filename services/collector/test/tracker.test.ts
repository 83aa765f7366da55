import fc from 'fast-check';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { formSubmittedProperties } from '@leadscore/events';
import {
  ANSWER_BYTES,
  campaignFromSearch,
  captureForm,
  containsCardNumber,
  isSensitiveField,
  retryDelayMs,
  uuidFromBytes,
  type FormField,
} from '../src/routes/tracker-fields.ts';
import { accepts, registerTrackerRoutes } from '../src/routes/tracker.ts';

const text = (name: string, value: string, more: Partial<FormField> = {}): FormField => ({ name, type: 'text', value, ...more });
const capture = (...fields: FormField[]) => captureForm('demo-request', fields).properties;

describe('a submitted form, as Form Submitted properties', () => {
  it('carries the form id and the fields named as the schema names them', () => {
    expect(capture(text('email', 'ada@acme.example'), text('company', 'Acme'), text('budget', '50k'), text('timeline', 'Q1'))).toEqual({
      form_id: 'demo-request',
      email: 'ada@acme.example',
      company: 'Acme',
      budget: '50k',
      timeline: 'Q1',
    });
  });

  it('maps the names form builders use: camel case, Salesforce suffixes, brackets, synonyms', () => {
    expect(
      capture(
        text('FirstName', 'Ada'),
        text('Last_Name__c', 'Lovelace'),
        text('lead[email_address]', 'ada@acme.example'),
        text('jobtitle', 'CTO'),
        text('company-name', 'Acme'),
        text('NumberOfEmployees', '250'),
        text('mobilephone', '+86 138 0013 8000'),
        text('Full Name', 'Ada Lovelace'),
      ),
    ).toEqual({ form_id: 'demo-request', first_name: 'Ada', last_name: 'Lovelace', email: 'ada@acme.example', title: 'CTO', company: 'Acme', size: '250', phone: '+86 138 0013 8000', name: 'Ada Lovelace' });
  });

  it('maps a field its name says nothing about by its autocomplete token, or an email input by its type', () => {
    expect(
      capture(text('input_1', 'Ada', { autocomplete: 'given-name' }), text('input_2', 'Acme', { autocomplete: 'section-a organization' }), { name: 'input_3', type: 'email', value: 'ada@acme.example' }),
    ).toEqual({ form_id: 'demo-request', first_name: 'Ada', company: 'Acme', email: 'ada@acme.example' });
  });

  it('puts every other answer under answers, by field name', () => {
    expect(capture(text('message', 'Call me'), text('how_did_you_hear', 'podcast'))).toEqual({ form_id: 'demo-request', answers: { message: 'Call me', how_did_you_hear: 'podcast' } });
  });

  it('keeps the first field of a property and files a second one with the same meaning under answers', () => {
    expect(capture(text('email', 'ada@acme.example'), text('work_email', 'ada@work.example'))).toEqual({ form_id: 'demo-request', email: 'ada@acme.example', answers: { work_email: 'ada@work.example' } });
  });

  it('answers a lone checkbox yes or no, a set of checkboxes with the ticked values, a radio group with the picked one, a multiple select with the chosen options', () => {
    expect(
      capture(
        { name: 'newsletter', type: 'checkbox', value: 'on', checked: true },
        { name: 'terms', type: 'checkbox', value: 'on', checked: false },
        { name: 'interests', type: 'checkbox', value: 'scoring', checked: true },
        { name: 'interests', type: 'checkbox', value: 'alerts', checked: false },
        { name: 'interests', type: 'checkbox', value: 'crm', checked: true },
        { name: 'contact_by', type: 'radio', value: 'email', checked: false },
        { name: 'contact_by', type: 'radio', value: 'phone', checked: true },
        { name: 'regions', type: 'select-multiple', value: ['EMEA', 'APAC'] },
      ).answers,
    ).toEqual({ newsletter: true, terms: false, interests: ['scoring', 'crm'], contact_by: 'phone', regions: ['EMEA', 'APAC'] });
  });

  it('leaves out empty fields, unpicked radio groups and multiple choices with nothing picked', () => {
    expect(
      capture(text('company', '   '), text('message', ''), { name: 'plan', type: 'radio', value: 'pro', checked: false }, { name: 'regions', type: 'select-multiple', value: [] }, { name: 'x', type: 'checkbox', value: 'a', checked: false }),
    ).toEqual({ form_id: 'demo-request' });
  });

  it('never reads passwords, one-time codes, card fields, tokens or captcha answers', () => {
    const secrets: FormField[] = [
      { name: 'pw', type: 'password', value: 'hunter2' },
      text('code', '123456', { autocomplete: 'one-time-code' }),
      text('new', 'hunter3', { autocomplete: 'new-password' }),
      text('number', '4111111111111111', { autocomplete: 'billing cc-number' }),
      text('exp', '12/29', { autocomplete: 'cc-exp' }),
      text('user_password', 'hunter4'),
      text('csrf_token', 'abc'),
      text('authenticity_token', 'abc'),
      text('_wpnonce', 'abc'),
      text('g-recaptcha-response', 'abc'),
      text('cvv', '123'),
      text('api_key', 'abc'),
      text('payment[cc][number]', '4111'),
    ];
    expect(secrets.filter((f) => !isSensitiveField(f)).map((f) => f.name)).toEqual([]);
    expect(capture(...secrets)).toEqual({ form_id: 'demo-request' });
  });

  it('never reads hidden inputs, buttons or files', () => {
    expect(capture({ name: 'plan', type: 'hidden', value: 'enterprise' }, { name: 'go', type: 'submit', value: 'Send' }, { name: 'cv', type: 'file', value: 'C:\\fakepath\\cv.pdf' })).toEqual({
      form_id: 'demo-request',
    });
  });

  it('leaves out a field the page marked data-leadscore-ignore', () => {
    expect(capture(text('company', 'Acme', { ignore: true }))).toEqual({ form_id: 'demo-request' });
  });

  it('leaves out any answer that contains a card number, but keeps phone numbers', () => {
    expect(containsCardNumber('my card is 4111-1111-1111-1111, thanks')).toBe(true);
    expect(containsCardNumber('order 1234 5678 9012 3456')).toBe(false);
    // 4012888888881881 is a Luhn-valid test card; as a phone number it would be kept.
    expect(capture(text('message', 'pay with 4012 8888 8888 1881'), text('phone', '4012888888881881'), { name: 'other_phone', type: 'tel', value: '4012888888881881' })).toEqual({
      form_id: 'demo-request',
      phone: '4012888888881881',
      answers: { other_phone: '4012888888881881' },
    });
  });

  it('clips values to the schema’s limits, so an over-long answer does not cost the whole event', () => {
    const properties = capture(text('email', `${'a'.repeat(400)}@acme.example`), text('company', 'c'.repeat(900)), text('message', 'm'.repeat(9000)));
    expect(formSubmittedProperties.safeParse(properties).success).toBe(true);
    expect((properties.email as string).length).toBe(320);
    expect((properties.company as string).length).toBe(500);
  });

  it('keeps the free answers under their byte budget, also in Chinese', () => {
    const fields = Array.from({ length: 30 }, (_, i) => text(`问题${i}`, '我们希望实时地为线索打分。'.repeat(100)));
    const answers = capture(...fields).answers as Record<string, string>;
    expect(Buffer.byteLength(JSON.stringify(answers))).toBeLessThanOrEqual(ANSWER_BYTES);
    expect(Object.keys(answers).length).toBeGreaterThan(0);
  });

  it('always satisfies the Form Submitted schema, stays well under the 32 KB message limit and never carries a secret', () => {
    const SECRET = '\u0007secret\u0007';
    const names = fc.oneof(fc.constantFrom('email', 'FirstName', 'company', 'size', 'budget', 'message', 'phone', 'interests', 'lead[title]'), fc.string({ maxLength: 300 }));
    const type = fc.constantFrom('text', 'email', 'tel', 'textarea', 'select-one', 'checkbox', 'radio', 'number');
    // size 'max': the default favours short strings, and the limits are what is under test.
    const value = fc.string({ maxLength: 6000, size: 'max', unit: fc.constantFrom('a', ' ', '中', '"', '4', '@', '😀') });
    const field = fc.record({ name: names, type, value, checked: fc.boolean() });
    const secret = fc.constantFrom<FormField>(
      { name: 'password', type: 'password', value: SECRET },
      { name: 'email', type: 'hidden', value: SECRET },
      { name: 'message', type: 'text', value: SECRET, autocomplete: 'cc-number' },
      { name: 'csrf_token', type: 'text', value: SECRET },
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(field, secret), { maxLength: 40 }), (fields) => {
        const { properties, traits } = captureForm('f', fields);
        expect(formSubmittedProperties.safeParse(properties).success).toBe(true);
        // Each travels in a message of its own, beside a page context of a kilobyte or two.
        expect(Buffer.byteLength(JSON.stringify(properties))).toBeLessThan(18 * 1024);
        expect(Buffer.byteLength(JSON.stringify(traits ?? {}))).toBeLessThan(12 * 1024);
        expect(JSON.stringify({ properties, traits })).not.toContain('secret\\u0007');
      }),
      // No shrinking: shrinking kilobyte strings takes minutes, and a failure is readable enough unshrunk.
      { numRuns: 100, endOnFailure: true },
    );
  });
});

describe('the identify a form gives', () => {
  it('carries the person’s traits when the form has a plausible email, without the deal’s budget and timeline', () => {
    expect(captureForm('f', [text('email', 'ada@acme.example'), text('first_name', 'Ada'), text('job_title', 'CTO'), text('budget', '50k'), text('timeline', 'Q1')]).traits).toEqual({
      email: 'ada@acme.example',
      first_name: 'Ada',
      title: 'CTO',
    });
  });

  it('is not made without an email, or with one that is not an address', () => {
    expect(captureForm('f', [text('first_name', 'Ada')]).traits).toBeUndefined();
    expect(captureForm('f', [text('email', 'not an address')]).traits).toBeUndefined();
  });
});

describe('UTM parameters', () => {
  it('become context.campaign, utm_campaign as its name', () => {
    expect(campaignFromSearch('?utm_source=linkedin&utm_medium=paid&utm_campaign=q4&utm_term=lead+scoring&utm_content=a&plan=pro')).toEqual({
      source: 'linkedin',
      medium: 'paid',
      name: 'q4',
      term: 'lead scoring',
      content: 'a',
    });
  });

  it('leave no campaign when there are none', () => {
    expect(campaignFromSearch('?plan=pro&utm_source=')).toBeUndefined();
  });
});

describe('the id fallback', () => {
  it('formats 16 random bytes as a version-4 UUID', () => {
    expect(uuidFromBytes(new Uint8Array(16).fill(0xff))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    expect(uuidFromBytes(new Uint8Array(16))).toBe('00000000-0000-4000-8000-000000000000');
  });
});

describe('the retry delay', () => {
  it('doubles from about a second up to a minute, jittered within half of it', () => {
    expect([1, 2, 3, 7, 20].map((n) => retryDelayMs(n, null, 0.999_999))).toEqual([999, 1999, 3999, 59_999, 59_999]);
    expect(retryDelayMs(3, null, 0)).toBe(2000);
  });

  it('is never shorter than the collector’s Retry-After, which it caps at five minutes', () => {
    expect(retryDelayMs(1, '5', 0)).toBe(5000);
    expect(retryDelayMs(1, '86400', 0)).toBe(300_000);
    expect(retryDelayMs(1, 'soon', 0.999_999)).toBe(999);
  });
});

describe('the tracker routes', () => {
  it('serve /t.js but no demo page when demo is off', async () => {
    const app = Fastify();
    await registerTrackerRoutes(app, { demo: false, demoWriteKey: 'wk' });
    expect((await app.inject('/t.js')).statusCode).toBe(200);
    expect((await app.inject('/demo')).statusCode).toBe(404);
    await app.close();
  });

  it('answer 304 to any of the ETags in If-None-Match, weak or strong', async () => {
    const app = Fastify();
    await registerTrackerRoutes(app, { demo: false });
    const etag = (await app.inject('/t.js')).headers.etag as string;
    expect((await app.inject({ url: '/t.js', headers: { 'if-none-match': `"old", ${etag.replace(/^W\//, '')}` } })).statusCode).toBe(304);
    expect((await app.inject({ url: '/t.js', headers: { 'if-none-match': '"old"' } })).statusCode).toBe(200);
    await app.close();
  });

  it('read Accept-Encoding with its q-values', () => {
    expect(accepts('gzip, deflate, br', 'br')).toBe(true);
    expect(accepts('gzip;q=1.0, br;q=0', 'br')).toBe(false);
    expect(accepts('BR;q=0.5', 'br')).toBe(true);
    expect(accepts(undefined, 'gzip')).toBe(false);
  });

  it('escape the demo write key so that it cannot end the page’s script', async () => {
    const app = Fastify();
    await registerTrackerRoutes(app, { demo: true, demoWriteKey: 'wk</script><script>alert(1)//' });
    const html = (await app.inject('/demo')).body;
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).toContain('"wk\\u003c/script>\\u003cscript>alert(1)//"');
    await app.close();
  });
});
