/**
 * Theory of operation: the page's only way out — `fetch` to its own origin
 * with the bearer token the operator typed (kept in sessionStorage, so it
 * dies with the tab). The live feed is read with fetch and a stream reader
 * rather than EventSource, because EventSource cannot send an
 * Authorization header and the token must never travel in a URL.
 */
import type { ApiErrorBody, FeedEntry } from '../src/api-types.js';

const KEY = 'dialoghub.adminToken';

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, token);
}

/** An answer other than 2xx. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the server says 401: the token is gone or wrong. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

/** One JSON call to the admin API. */
export async function call<T>(method: string, path: string, body?: unknown, token = savedToken()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const b = (parsed ?? {}) as Partial<ApiErrorBody>;
    if (res.status === 401) onUnauthorized();
    throw new ApiError(res.status, b.error ?? 'httpError', b.message ?? `${res.status} ${res.statusText}`);
  }
  return parsed as T;
}

/**
 * Follows the live feed until `signal` aborts: `onEntry` for each entry,
 * `onState` when the stream opens or drops. Reconnects after a drop and
 * resumes after the last entry it saw (`Last-Event-ID`).
 */
export function followFeed(onEntry: (e: FeedEntry) => void, onState: (live: boolean) => void, signal: AbortSignal): void {
  // The SSE id of the last entry (`<epoch>-<n>`): after a hub restart the server sees an old epoch and sends its whole backlog.
  let last = '';
  const run = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        const token = savedToken();
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (token !== null) headers['authorization'] = `Bearer ${token}`;
        if (last !== '') headers['last-event-id'] = last;
        const res = await fetch('api/events', { headers, signal });
        if (res.status === 401) {
          onUnauthorized();
          return;
        }
        if (!res.ok || res.body === null) throw new Error(`feed: ${res.status}`);
        onState(true);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = frame.split('\n');
            const data = lines
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n');
            if (data === '') continue;
            const entry = JSON.parse(data) as FeedEntry;
            const id = lines.find((l) => l.startsWith('id: '));
            if (id !== undefined) last = id.slice(4);
            onEntry(entry);
          }
        }
      } catch {
        // Dropped or refused: try again below.
      }
      if (signal.aborted) return;
      onState(false);
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void run();
}
