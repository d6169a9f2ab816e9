/**
 * Theory of operation: the admin server — an HTTP API over a running `Hub`,
 * its live feed, its metrics and the console page.
 *
 * 1. Every request but `GET /` (the login page) needs `Authorization:
 *    Bearer <token>` (compared in constant time); without it the answer is
 *    401, whatever the path or method, so not even the list of routes leaks.
 *    The login page is code without data.
 * 2. Reads are pure functions of `hub.state` (queries.ts).
 * 3. Every action is one `hub.operate(...)`: an operator input, stepped by
 *    the core, journaled and replayable like any other, with the same
 *    invariants. Its outcome is the answer: 200, or the core's refusal
 *    reason with 404 (unknown client or profile), 422 (an invalid value),
 *    409 (the state does not allow it) or 503 (the hub has stopped).
 * 4. Bad input — a malformed or oversize body, a value the schema refuses,
 *    an unknown route — is a 4xx with a message, never a 500.
 * 5. Once the hub has stopped on a store failure, every route but the page
 *    answers 503 `storeFailed`: its state is then ahead of its journal.
 *
 * The server attaches a listener (`onAny`) and an observer (`observe`) to
 * the hub and detaches them on `close`; it never closes the hub.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { OperatorInput } from '@dialoghub/core';
import type { DistributiveOmit, Hub } from '@dialoghub/runtime';
import type { ActionDone } from './api-types.js';
import { EventFeed, type EventFeedOptions } from './event-feed.js';
import { COMMON_HEADERS, HttpError, readJson, sendError, sendJson, validate } from './http.js';
import { AdminMetrics } from './metrics.js';
import { pageBundle, renderPage } from './page.js';
import { clientDetail, hubStats, listClients, listProfiles } from './queries.js';
import { RecentDialog, type RecentDialogOptions } from './recent-dialog.js';
import { Router, type RouteContext, type RouteInfo } from './router.js';
import {
  createProfileBody,
  emptyBody,
  eventsQuerySchema,
  idParam,
  listQuerySchema,
  renameProfileBody,
  setModeBody,
  setPolicyBody,
  setStatusBody,
} from './schemas.js';
import { bearerToken, tokenMatches } from './token.js';

/** The port `dialoghub serve` gives the console unless told otherwise. */
export const DEFAULT_ADMIN_PORT = 7401;

/** Options of `startAdmin`. */
export interface AdminOptions {
  /** The running hub to administer. */
  readonly hub: Hub;
  /** The bearer token every request but the login page must carry (see `loadOrCreateToken`). */
  readonly token: string;
  /** Address to listen on. Default 127.0.0.1: this machine only. */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Serve HTTPS with this PEM key and certificate. Default: plain HTTP (put it behind a TLS proxy, or on loopback). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Largest request body accepted, in bytes. Default 64 KiB. */
  readonly maxBodyBytes?: number;
  /** Largest page of `GET /api/clients`. Default 200. */
  readonly maxPageSize?: number;
  /** Interval of the feed's keep-alive comments in ms; 0 sends none. Default 15 000. */
  readonly heartbeatMs?: number;
  /** Bounds of the per-client rings of recent dialog messages. */
  readonly recent?: RecentDialogOptions;
  /** Backlog and buffering of the live feed. */
  readonly feed?: EventFeedOptions;
  /** Also export prom-client's process metrics. Default false. */
  readonly processMetrics?: boolean;
  /** Hears errors that became a 500 (a bug): log them. Default: dropped. */
  readonly onError?: (error: unknown, method: string, path: string) => void;
}

/** A running admin server. */
export interface RunningAdmin {
  /** The console's address, e.g. `http://127.0.0.1:7401/` (no token in it). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The metrics (its `registry` is what `/metrics` serves). */
  readonly metrics: AdminMetrics;
  /** The live feed. */
  readonly feed: EventFeed;
  /** Every route the server answers; only the console page (`GET /`) is public. */
  readonly routes: readonly RouteInfo[];
  /** Stops listening, ends the feed's streams and detaches from the hub (the hub keeps running). Idempotent. */
  close(): Promise<void>;
}

/** HTTP status of an action the core refused, by the core's reason. */
export function refusalStatus(reason: string | null): number {
  switch (reason) {
    case 'unknownClient':
    case 'unknownProfile':
      return 404;
    case 'invalidId':
    case 'invalidName':
    case 'invalidMode':
    case 'invalidPolicy':
    case 'invalidStatus':
    case 'invalidInput':
      return 422;
    case 'storeFailed':
      // The hub stopped on a store failure (it must be restarted): not the request's fault.
      return 503;
    default:
      return 409;
  }
}

type Action = DistributiveOmit<OperatorInput, 'actionId'>;

/**
 * Starts the admin server for `options.hub` and resolves once it listens.
 * The caller keeps the hub: close the admin server first, then the hub.
 *
 * @throws Error when the address cannot be listened on (`EADDRINUSE`…).
 */
export async function startAdmin(options: AdminOptions): Promise<RunningAdmin> {
  const { hub, token } = options;
  if (typeof token !== 'string' || token.length === 0) throw new TypeError('startAdmin needs a non-empty token');
  const host = options.host ?? '127.0.0.1';
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const maxPage = options.maxPageSize ?? 200;
  const listQuery = listQuerySchema(maxPage);
  const recent = new RecentDialog(hub.state, options.recent);
  const feed = new EventFeed(options.feed);
  const metrics = new AdminMetrics(hub, { processMetrics: options.processMetrics === true });
  const detachEvents = hub.onAny((event) => {
    metrics.event(event);
    feed.publish(event, hub.state.now);
  });
  const detachLoop = hub.observe({
    step: (record, commands) => {
      recent.step(record, commands);
      metrics.step(record, commands);
    },
    committed: (records, ms) => metrics.committed(records, ms),
  });

  const act = async (res: ServerResponse, action: Action): Promise<void> => {
    let outcome;
    try {
      outcome = await hub.operate(action);
    } catch (e) {
      throw new HttpError(503, 'hubClosed', e instanceof Error ? e.message : String(e));
    }
    if (!outcome.ok) throw new HttpError(refusalStatus(outcome.reason), outcome.reason ?? 'refused', outcome.message);
    const done: ActionDone = { ok: true, message: outcome.message, journalSeq: hub.journalSeq };
    sendJson(res, 200, done);
  };
  const body = async <S extends Parameters<typeof validate>[0]>(ctx: RouteContext, schema: S) => validate(schema, await readJson(ctx.req, maxBody), 'body');
  const id = (ctx: RouteContext, name = 'id'): number => validate(idParam, ctx.params[name], `${name} in the path`);
  const noQuery = (ctx: RouteContext): void => {
    const keys = [...ctx.query.keys()];
    if (keys.length > 0) throw new HttpError(400, 'invalidRequest', `unexpected query parameter(s): ${keys.join(', ')}`);
  };

  const router = new Router()
    .add(
      'GET',
      '/',
      async ({ res }) => {
        const page = renderPage(await pageBundle());
        res.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': page.csp, 'content-length': String(Buffer.byteLength(page.html)) });
        res.end(page.html);
      },
      true,
    )
    .add('GET', '/api/stats', (ctx) => {
      noQuery(ctx);
      sendJson(ctx.res, 200, hubStats(hub.state, hub.journalSeq, { received: metrics.received, written: metrics.written }));
    })
    .add('GET', '/api/clients', (ctx) => {
      const q = validate(listQuery, Object.fromEntries(ctx.query), 'query');
      sendJson(ctx.res, 200, listClients(hub.state, { profile: q.profile, status: q.status, online: q.online, q: q.q }, q.offset ?? 0, q.limit ?? 50));
    })
    .add('GET', '/api/clients/:id', (ctx) => {
      noQuery(ctx);
      const clientId = id(ctx);
      const detail = clientDetail(hub.state, clientId, recent);
      if (detail === undefined) throw new HttpError(404, 'unknownClient', `client ${clientId} does not exist`);
      sendJson(ctx.res, 200, detail);
    })
    .add('POST', '/api/clients/:id/status', async (ctx) => {
      const clientId = id(ctx);
      const { status } = await body(ctx, setStatusBody);
      await act(ctx.res, { type: 'statusSet', clientId: clientId as never, status });
    })
    .add('POST', '/api/clients/:id/kick', async (ctx) => {
      const clientId = id(ctx);
      await body(ctx, emptyBody);
      await act(ctx.res, { type: 'clientKicked', clientId: clientId as never });
    })
    .add('DELETE', '/api/clients/:id', async (ctx) => {
      const clientId = id(ctx);
      await body(ctx, emptyBody);
      await act(ctx.res, { type: 'clientDeleted', clientId: clientId as never });
    })
    .add('GET', '/api/profiles', (ctx) => {
      noQuery(ctx);
      sendJson(ctx.res, 200, { hubPolicy: hub.state.config.policy, items: listProfiles(hub.state) });
    })
    .add('POST', '/api/profiles', async (ctx) => {
      const b = await body(ctx, createProfileBody);
      await act(ctx.res, {
        type: 'profileCreated',
        profileId: b.id as never,
        name: b.name,
        ...(b.mode !== undefined ? { mode: b.mode } : {}),
        ...(b.policy !== undefined ? { policy: b.policy } : {}),
      });
    })
    .add('POST', '/api/profiles/:id/name', async (ctx) => {
      const profileId = id(ctx);
      const { name } = await body(ctx, renameProfileBody);
      await act(ctx.res, { type: 'profileRenamed', profileId: profileId as never, name });
    })
    .add('POST', '/api/profiles/:id/mode', async (ctx) => {
      const profileId = id(ctx);
      const { mode } = await body(ctx, setModeBody);
      await act(ctx.res, { type: 'profileModeSet', profileId: profileId as never, mode });
    })
    .add('POST', '/api/profiles/:id/policy', async (ctx) => {
      const profileId = id(ctx);
      const { policy } = await body(ctx, setPolicyBody);
      await act(ctx.res, { type: 'profilePolicySet', profileId: profileId as never, policy });
    })
    .add('DELETE', '/api/profiles/:id', async (ctx) => {
      const profileId = id(ctx);
      await body(ctx, emptyBody);
      await act(ctx.res, { type: 'profileRemoved', profileId: profileId as never });
    })
    .add('GET', '/api/events', (ctx) => {
      const q = validate(eventsQuerySchema, Object.fromEntries(ctx.query), 'query');
      const header = ctx.req.headers['last-event-id'];
      const fromHeader = typeof header === 'string' ? feed.resumeAfter(header.trim()) : undefined;
      feed.subscribe(ctx.res, fromHeader ?? (q.since !== undefined ? feed.resumeAfter(q.since) : undefined) ?? 0);
    })
    .add('GET', '/metrics', async (ctx) => {
      noQuery(ctx);
      const text = await metrics.text();
      ctx.res.writeHead(200, { ...COMMON_HEADERS, 'content-type': metrics.registry.contentType });
      ctx.res.end(text);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    let path = '/';
    try {
      const url = new URL(req.url ?? '/', 'http://admin.invalid');
      path = url.pathname;
      if (!router.isPublic(method, path)) {
        const given = bearerToken(req.headers.authorization);
        if (given === null || !tokenMatches(given, token)) {
          req.resume();
          throw new HttpError(401, 'unauthorized', 'this console needs the admin token: Authorization: Bearer <token>', { 'www-authenticate': 'Bearer realm="dialoghub"' });
        }
      }
      const match = router.match(method, path);
      // A hub stopped by a store failure holds a state ahead of its journal, which a restart forgets:
      // show none of it, and let every route (the metrics too) say the hub must be restarted.
      const failed = hub.failed;
      if (failed !== null && !match.isPublic) throw new HttpError(503, 'storeFailed', `${failed.message}; restart the hub`);
      await match.handler({ req, res, params: match.params, query: url.searchParams });
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) return sendError(res, e);
      options.onError?.(e, method, path);
      sendError(res, new HttpError(500, 'internalError', 'internal error (a bug in the console: see the hub log)'));
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => void handle(req, res);
  const server: Server = options.tls !== undefined ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createHttpServer(listener);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const detach = (): void => {
    detachEvents();
    detachLoop();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    detach();
    throw e;
  }
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const beat = heartbeatMs > 0 ? setInterval(() => feed.heartbeat(), heartbeatMs) : null;
  beat?.unref();
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    url: `${options.tls !== undefined ? 'https' : 'http'}://${shownHost}:${address.port}/`,
    host: address.address,
    port: address.port,
    metrics,
    feed,
    routes: router.list(),
    close() {
      closing ??= (async () => {
        if (beat !== null) clearInterval(beat);
        detach();
        feed.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
