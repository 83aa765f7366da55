import { describe, expect, it } from 'vitest';
import { emailContent } from '../src/index.ts';
import { goldenMessage, withLead } from './fixture.ts';

describe('the email', () => {
  it('has a subject with tier, who and action', () => {
    expect(emailContent(goldenMessage()).subject).toBe('[hot lead] Ann Lee (CTO, 北京星河科技) — call today');
  });

  it('escapes a script in a name in the HTML', () => {
    const { html } = emailContent(withLead({ name: '<script>alert(1)</script>' }));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('escapes quotes so a value cannot leave an attribute', () => {
    const { html } = emailContent({ ...goldenMessage(), link: 'https://app.example/l?a="onmouseover=x' });
    expect(html).toContain('href="https://app.example/l?a=&quot;onmouseover=x"');
  });

  it('keeps the script as plain words in the text part', () => {
    expect(emailContent(withLead({ name: '<script>' })).text).toContain('Who: <script> (ann.lee@xinghe.example)');
  });

  it('keeps the subject on one line', () => {
    expect(emailContent(withLead({ name: 'Ann\r\nBcc: all@example.com' })).subject).toBe('[hot lead] Ann Bcc: all@example.com (CTO, 北京星河科技) — call today');
  });
});
