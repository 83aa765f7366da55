/**
 * The parts of a signed click's email token (email-token.ts) that need no secret: its query parameter (which the
 * tracker's bundle imports by path, so no Node API here) and the address it names.
 *
 *   <base64url(email, UTF-8)>.<expiry, unix seconds>.<base64url signature>
 */
export const EMAIL_TOKEN_PARAM = 'ls_ev';

/** The address a token is for, readable without the secret (the pipeline checks the signature), or undefined. */
export const emailFromToken = (token: string): string | undefined => {
  const [encoded, , signature] = token.split('.');
  if (!encoded || !signature) return undefined;
  try {
    const bytes = Uint8Array.from(atob(encoded.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes) || undefined;
  } catch {
    return undefined;
  }
};
