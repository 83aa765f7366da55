import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiScope } from '@leadscore/config';

export interface ApiToken {
  readonly name: string;
  readonly token: string;
  readonly scopes: readonly ApiScope[];
}

/** Who a request is from: the token's name (for logs; never the token) and what it may do. */
export interface Principal {
  readonly name: string;
  readonly scopes: readonly ApiScope[];
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * The API's bearer tokens. A presented token is compared with every configured one in constant time (SHA-256 digests
 * of equal length, timingSafeEqual, no early exit), so neither a match nor its position leaks through timing.
 */
export class ApiTokens {
  private readonly entries: readonly { digest: Buffer; principal: Principal }[];

  constructor(tokens: readonly ApiToken[]) {
    this.entries = tokens.map((t) => ({ digest: digest(t.token), principal: { name: t.name, scopes: t.scopes } }));
  }

  /** The principal of an `Authorization: Bearer …` header, or undefined without a known token. */
  authenticate(header: string | undefined): Principal | undefined {
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) return undefined;
    const presented = digest(m[1] as string);
    let found: Principal | undefined;
    for (const entry of this.entries) if (timingSafeEqual(entry.digest, presented)) found = entry.principal;
    return found;
  }
}

/** Whether a principal holds a scope (`admin` holds every scope). */
export function allows(principal: Principal, scope: ApiScope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}
