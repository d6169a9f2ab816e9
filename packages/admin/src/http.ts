/**
 * Theory of operation: the small HTTP kit of the admin server — JSON in and
 * out, and one error type that carries a status. Every way a request can be
 * wrong (no token, an unknown route, a malformed or oversize body, a value
 * the schema refuses, an action the core refuses) becomes an `HttpError`
 * with a 4xx status and a message; the server turns anything else into a
 * 500, which the tests treat as a bug.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** An answer other than success: a status, a machine-readable code and a message for a person. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Headers every answer carries: nothing cached, nothing sniffed, never framed, no referrer. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
});

/** Writes `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Writes an `HttpError` as `{ error, message }`. */
export function sendError(res: ServerResponse, e: HttpError): void {
  sendJson(res, e.status, { error: e.code, message: e.message }, e.headers);
}

/**
 * Reads a JSON body of at most `limit` bytes. An empty body reads as `{}`.
 * @throws HttpError 413 (too large), 415 (not JSON), 400 (malformed JSON).
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
    req.resume();
    throw new HttpError(415, 'unsupportedMediaType', `the body must be application/json, got ${type}`);
  }
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  const tooLarge = (): HttpError => new HttpError(413, 'bodyTooLarge', `the body is larger than ${limit} bytes`, { connection: 'close' });
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, 'malformedJson', `the body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** `schema.parse(value)`, with a refusal as `HttpError` 400 naming every problem. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
  throw new HttpError(400, 'invalidRequest', `invalid ${what}: ${problems.join('; ')}`);
}
