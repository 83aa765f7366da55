import { isUtf8 } from 'node:buffer';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance } from 'fastify';

export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
  constructor(
    readonly code: 'invalid_json' | 'invalid_encoding' | 'invalid_unicode' | 'empty_body',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Bodies as SDKs send them: JSON under any content type (analytics.js posts `text/plain` to avoid a CORS preflight),
 * gzip- or deflate-compressed (Fastify then applies the route's size limit to the decompressed bytes).
 */
/** zlib's errors (Z_DATA_ERROR, Z_BUF_ERROR, …) reach the error handler as they are: a body that does not decompress. */
export function isDecompressionError(err: { code?: string }): boolean {
  return typeof err.code === 'string' && err.code.startsWith('Z_');
}

export function registerBodyHandling(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'identity' || encoding === '') return payload;
    const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : undefined;
    if (!decoder) throw new BadRequestError('invalid_encoding', `Content-Encoding ${encoding} is not supported (use gzip, deflate or none)`);
    // Fastify checks the declared length against what arrived; after decompression those differ by design. Without a
    // length it would take the request for one without a body (and leave the decoder unread) unless told a body
    // follows.
    delete request.headers['content-length'];
    request.headers['transfer-encoding'] = 'chunked';
    // A body that does not decompress is the parser's error (400); were nobody reading the decoder, an unheard
    // 'error' would end the process (found by pnpm fuzz: one unauthenticated request killed the collector).
    decoder.on('error', () => {});
    payload.on('error', (err) => decoder.destroy(err));
    return payload.pipe(decoder);
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    if (body.length === 0) {
      done(new BadRequestError('empty_body', 'request body is empty; expected JSON'), undefined);
      return;
    }
    // Decoding would put U+FFFD where the bad bytes were: text nobody sent, in every store.
    if (!isUtf8(body)) {
      done(new BadRequestError('invalid_unicode', 'request body is not valid UTF-8; send JSON encoded as UTF-8'), undefined);
      return;
    }
    try {
      done(null, JSON.parse(body.toString('utf8')));
    } catch (err) {
      done(new BadRequestError('invalid_json', `body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
}
