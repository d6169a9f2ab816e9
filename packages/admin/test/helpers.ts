/**
 * Shared test helpers: a real `Hub` on the memory network with a manual
 * clock, clients that register and log in over memory links, an admin server
 * on a loopback port, and a reader of the live feed. Nothing sleeps: every
 * wait is for a frame, an event or a settled network.
 */
import { request, type IncomingMessage } from 'node:http';
import { clientId, profileId, type Answer, type Request } from '@dialoghub/core';
import { createMemoryNetwork, type HubFrame, type MemoryClientLink, type MemoryNetwork } from '@dialoghub/adapter-memory';
import { Hub, ManualClock, MemoryStore, seededEntropy } from '@dialoghub/runtime';
import { startAdmin, type AdminOptions, type FeedEntry, type RunningAdmin } from '../src/index.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const START = 1_700_000_000_000;

export interface TestClient {
  readonly id: number;
  readonly link: MemoryClientLink;
  readonly frames: HubFrame[];
  secret: string | null;
}

export interface TestHub {
  readonly hub: Hub;
  readonly net: MemoryNetwork;
  readonly clock: ManualClock;
  readonly store: MemoryStore;
  /** Delivers everything in flight and lets the hub act, until nothing moves. */
  settle(): Promise<void>;
  /** Registers client `id` in `profile` over a new link; resolves with the answer. */
  register(id: number, profile: number, contact?: { name: string; phone: string; email: string }, env?: Record<string, string>): Promise<{ client: TestClient; answer: Answer }>;
  /** Logs `client` in again on a new link. */
  login(client: TestClient, env?: Record<string, string> | null): Promise<{ client: TestClient; answer: Answer }>;
}

export async function testHub(): Promise<TestHub> {
  const net = createMemoryNetwork();
  const clock = new ManualClock(START);
  const store = new MemoryStore();
  const hub = await Hub.open({ transport: net.transport, store, clock, entropy: seededEntropy(7), config: { appMessageTypes: ['chat'] } });
  const settle = async (): Promise<void> => {
    do {
      await net.idle();
      await hub.drain();
    } while (net.pending().length > 0);
  };
  let requestId = 1;
  const ask = async (id: number, req: Request): Promise<{ client: TestClient; answer: Answer }> => {
    const link = net.connect();
    const client: TestClient = { id, link, frames: [], secret: null };
    link.onReceive((f) => client.frames.push(f));
    link.send({ kind: 'request', request: req });
    await settle();
    const frame = client.frames.find((f) => f.kind === 'answer');
    if (frame?.kind !== 'answer') throw new Error(`no answer for client ${id}`);
    if (frame.answer.code === 'ok') client.secret = frame.answer.secret;
    return { client, answer: frame.answer };
  };
  return {
    hub,
    net,
    clock,
    store,
    settle,
    register: (id, profile, contact = { name: `client ${id}`, phone: `+1-555-${id}`, email: `c${id}@example.org` }, env = { os: 'linux', version: '1.0' }) =>
      ask(id, { kind: 'register', requestId: requestId++, clientId: clientId(id), profileId: profileId(profile), contact, environment: env }),
    login: async (c, env = null) => {
      if (c.secret === null) throw new Error('no secret');
      const r = await ask(c.id, { kind: 'login', requestId: requestId++, clientId: clientId(c.id), credential: { secret: c.secret }, environment: env, lastReceived: 0 });
      r.client.secret = c.secret;
      return r;
    },
  };
}

export async function admin(hub: Hub, options: Partial<AdminOptions> = {}): Promise<RunningAdmin> {
  return startAdmin({ hub, token: TOKEN, port: 0, heartbeatMs: 0, ...options });
}

export interface Answered {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
  readonly text: string;
}

/** A request to the admin server; `token` null sends none. */
export async function api(a: RunningAdmin, method: string, path: string, body?: unknown, token: string | null = TOKEN, headers: Record<string, string> = {}): Promise<Answered> {
  const h: Record<string, string> = { ...headers };
  if (token !== null) h['authorization'] = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    h['content-type'] ??= 'application/json';
  }
  const res = await fetch(new URL(path, a.url), { method, headers: h, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** A subscriber of the live feed: every entry it got, and a wait for one that matches. */
export interface FeedReader {
  readonly entries: FeedEntry[];
  /** The SSE `id:` of each entry, in order. */
  readonly ids: string[];
  readonly response: Promise<IncomingMessage>;
  until(check: (entries: readonly FeedEntry[]) => boolean, what: string): Promise<void>;
  close(): void;
}

export function readFeed(a: RunningAdmin, headers: Record<string, string> = {}, path = '/api/events'): FeedReader {
  const entries: FeedEntry[] = [];
  const ids: string[] = [];
  const waiting = new Set<() => void>();
  let buffer = '';
  const url = new URL(path, a.url);
  let req: ReturnType<typeof request>;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req = request(url, { headers: { authorization: `Bearer ${TOKEN}`, ...headers } }, (res) => {
      resolve(res);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = frame.split('\n');
          const data = lines.find((l) => l.startsWith('data: '));
          if (data === undefined) continue;
          entries.push(JSON.parse(data.slice(6)) as FeedEntry);
          ids.push(lines.find((l) => l.startsWith('id: '))?.slice(4) ?? '');
        }
        for (const w of [...waiting]) w();
      });
    });
    req.on('error', reject);
    req.end();
  });
  return {
    entries,
    ids,
    response,
    until(check, what) {
      return new Promise<void>((resolve, reject) => {
        const attempt = (): void => {
          if (!check(entries)) return;
          waiting.delete(attempt);
          clearTimeout(timer);
          resolve();
        };
        // Only turns a hang into a failure; never part of what is tested.
        const timer = setTimeout(() => {
          waiting.delete(attempt);
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(entries.map((e) => e.event.type))}`));
        }, 20_000);
        waiting.add(attempt);
        attempt();
      });
    },
    close: () => req.destroy(),
  };
}
