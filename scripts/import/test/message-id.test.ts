import { describe, expect, it } from 'vitest';
import { messageIdFor } from '../message-id.ts';

describe('message ids', () => {
  it('are the first 32 hex digits of sha256(kind, key column, key value), the same run after run', () => {
    expect(messageIdFor('leads', { by: 'email', value: 'ann@acme.example' })).toBe('import-leads-50e92e51ba479e62f76767dcd9ff4e07');
  });

  it('name the kind and carry 32 hex digits of the key\'s hash', () => {
    expect(messageIdFor('orders', { by: 'order_id', value: 'SO-1' })).toMatch(/^import-orders-[0-9a-f]{32}$/);
  });

  it('differ between kinds for the same key', () => {
    expect(messageIdFor('leads', { by: 'id', value: '42' })).not.toBe(messageIdFor('companies', { by: 'id', value: '42' }));
  });

  it('differ between key columns with the same value', () => {
    expect(messageIdFor('companies', { by: 'id', value: 'acme.example' })).not.toBe(messageIdFor('companies', { by: 'domain', value: 'acme.example' }));
  });

  it('fit the collector\'s 100-character limit', () => {
    expect(messageIdFor('companies', { by: 'id', value: 'x'.repeat(1000) }).length).toBeLessThanOrEqual(100);
  });
});
