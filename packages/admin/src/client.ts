/**
 * Theory of operation: a small typed client of the admin API, for scripts
 * and the `dialoghub admin` command. It speaks exactly the HTTP API the page
 * uses (fetch, bearer token), so the command line can do nothing the API
 * does not allow. A non-2xx answer becomes an `AdminApiError` carrying the
 * status and the server's machine-readable `error` code.
 */
import type { ActionDone, ApiMode, ApiPolicy, ApiStatus, ClientDetail, ClientPage, HubStats, ProfileView } from './api-types.js';

/** Options of `AdminClient`. */
export interface AdminClientOptions {
  /** The console's base URL, e.g. `http://127.0.0.1:7401/`. */
  readonly url: string;
  readonly token: string;
  /** The fetch to use. Default: the global one. */
  readonly fetch?: typeof fetch;
}

/** The admin API answered with an error. */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  constructor(
    /** The HTTP status (401, 404, 409, 422…). */
    readonly status: number,
    /** The server's `error` code (the core's refusal reason for a refused action). */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Filters and paging of `clients()`. */
export interface ClientQuery {
  readonly profile?: number;
  readonly status?: ApiStatus;
  readonly online?: boolean;
  readonly q?: string;
  readonly offset?: number;
  readonly limit?: number;
}

/** A client of the admin API: one method per route. */
export class AdminClient {
  private readonly base: URL;
  private readonly fetchFn: typeof fetch;

  /** @throws TypeError for a URL that is not http(s). */
  constructor(private readonly options: AdminClientOptions) {
    this.base = new URL(options.url);
    // The API's paths resolve under the base, also behind a proxy's path prefix.
    if (!this.base.pathname.endsWith('/')) this.base.pathname += '/';
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new TypeError(`the console URL must be http(s), got ${options.url}`);
    this.fetchFn = options.fetch ?? fetch;
  }

  /** Hub statistics. */
  stats(): Promise<HubStats> {
    return this.call('GET', '/api/stats');
  }

  /** One page of clients. */
  clients(query: ClientQuery = {}): Promise<ClientPage> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.call('GET', `/api/clients${qs === '' ? '' : `?${qs}`}`);
  }

  /** One client in detail. */
  client(id: number): Promise<ClientDetail> {
    return this.call('GET', `/api/clients/${id}`);
  }

  /** Every profile. */
  profiles(): Promise<{ hubPolicy: ApiPolicy; items: ProfileView[] }> {
    return this.call('GET', '/api/profiles');
  }

  setStatus(id: number, status: ApiStatus): Promise<ActionDone> {
    return this.call('POST', `/api/clients/${id}/status`, { status });
  }

  kick(id: number): Promise<ActionDone> {
    return this.call('POST', `/api/clients/${id}/kick`, {});
  }

  deleteClient(id: number): Promise<ActionDone> {
    return this.call('DELETE', `/api/clients/${id}`);
  }

  createProfile(id: number, name: string, mode?: ApiMode, policy?: ApiPolicy | null): Promise<ActionDone> {
    return this.call('POST', '/api/profiles', { id, name, ...(mode !== undefined ? { mode } : {}), ...(policy !== undefined ? { policy } : {}) });
  }

  renameProfile(id: number, name: string): Promise<ActionDone> {
    return this.call('POST', `/api/profiles/${id}/name`, { name });
  }

  setMode(id: number, mode: ApiMode): Promise<ActionDone> {
    return this.call('POST', `/api/profiles/${id}/mode`, { mode });
  }

  setPolicy(id: number, policy: ApiPolicy | null): Promise<ActionDone> {
    return this.call('POST', `/api/profiles/${id}/policy`, { policy });
  }

  removeProfile(id: number): Promise<ActionDone> {
    return this.call('DELETE', `/api/profiles/${id}`);
  }

  /** The Prometheus text. */
  async metrics(): Promise<string> {
    const res = await this.request('GET', '/metrics');
    return res.text();
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    return (await res.json()) as T;
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchFn(new URL(path.replace(/^\//, ''), this.base), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) {
      let code = 'httpError';
      let message = `${res.status} ${res.statusText}`;
      try {
        const b = (await res.json()) as { error?: unknown; message?: unknown };
        if (typeof b.error === 'string') code = b.error;
        if (typeof b.message === 'string') message = b.message;
      } catch {
        // Not JSON: keep the status line.
      }
      throw new AdminApiError(res.status, code, message);
    }
    return res;
  }
}
