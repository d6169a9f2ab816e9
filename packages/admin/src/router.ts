/**
 * Theory of operation: a tiny router — method plus a path pattern whose
 * `:name` segments capture one decoded path segment each. Routes are tried in
 * the order added; a path that matches with another method is a 405 (with
 * `Allow`), no match at all a 404. No framework: the admin API has a dozen
 * routes and `node:http` serves them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http.js';

/** What a handler gets: the request, the response, the captured path parameters and the query. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
}

/** A route handler; it writes the response itself. */
export type RouteHandler = (ctx: RouteContext) => void | Promise<void>;

interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly parts: readonly string[];
  readonly handler: RouteHandler;
  /** Reachable without the admin token (only the login page). */
  readonly isPublic: boolean;
}

/** A route as `Router.list` describes it. */
export interface RouteInfo {
  readonly method: string;
  /** The path pattern, `:name` for a captured segment (`/api/clients/:id`). */
  readonly pattern: string;
  /** Reachable without the admin token. */
  readonly isPublic: boolean;
}

/** A matched route. */
export interface Match {
  readonly handler: RouteHandler;
  readonly params: Readonly<Record<string, string>>;
  readonly isPublic: boolean;
}

/** Routes by method and path pattern (`/api/clients/:id`). */
export class Router {
  private readonly routes: Route[] = [];

  /** Adds a route. `isPublic` routes skip authentication: keep them free of data. */
  add(method: string, pattern: string, handler: RouteHandler, isPublic = false): this {
    this.routes.push({ method, pattern, parts: pattern.split('/').filter((p) => p !== ''), handler, isPublic });
    return this;
  }

  /**
   * The route for `method` and `path`.
   * @throws HttpError 404 (no such path), 405 (path known, method not), 400 (a malformed %-escape).
   */
  match(method: string, path: string): Match {
    let segments: string[];
    try {
      segments = path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
    } catch {
      throw new HttpError(400, 'malformedPath', `malformed path ${path}`);
    }
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchParts(route.parts, segments);
      if (params === null) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params, isPublic: route.isPublic };
      allowed.push(route.method);
    }
    if (allowed.length > 0) throw new HttpError(405, 'methodNotAllowed', `${method} is not allowed on ${path}`, { allow: [...new Set(allowed)].join(', ') });
    throw new HttpError(404, 'notFound', `no route ${path}`);
  }

  /** Every route, in the order added (for tests and docs: what must answer 401 without the token). */
  list(): readonly RouteInfo[] {
    return this.routes.map((r) => ({ method: r.method, pattern: r.pattern, isPublic: r.isPublic }));
  }

  /** True when a public route serves `method` on `path` (HEAD counts as GET); any other method on that path still needs the token. */
  isPublic(method: string, path: string): boolean {
    const segments = path.split('/').filter((p) => p !== '');
    return this.routes.some((r) => r.isPublic && (r.method === method || (method === 'HEAD' && r.method === 'GET')) && matchParts(r.parts, segments) !== null);
  }
}

function matchParts(parts: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const seg = segments[i]!;
    if (part.startsWith(':')) params[part.slice(1)] = seg;
    else if (part !== seg) return null;
  }
  return params;
}
