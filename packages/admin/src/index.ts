/**
 * @packageDocumentation
 * `@dialoghub/admin`: the operator console of a dialoghub hub — an
 * authenticated admin HTTP API whose every action is an operator input of
 * the core (`hub.operate`), a live feed of hub events (server-sent events),
 * Prometheus metrics and a self-contained web page.
 *
 * ```ts
 * const { token, path } = await loadOrCreateToken(dataDir);   // print `path`, never `token`
 * const admin = await startAdmin({ hub, token, port: 7401 });  // http://127.0.0.1:7401/
 * // …
 * await admin.close();                                         // then hub.close()
 * ```
 *
 * See packages/admin/README.md and docs/operations.md.
 */
export { startAdmin, refusalStatus, DEFAULT_ADMIN_PORT, type AdminOptions, type RunningAdmin } from './server.js';
export { loadOrCreateToken, readToken, tokenMatches, bearerToken, ADMIN_TOKEN_ENV, ADMIN_TOKEN_FILE, MIN_TOKEN_LENGTH, type LoadedToken } from './token.js';
export { AdminMetrics, type AdminMetricsOptions } from './metrics.js';
export { EventFeed, sseFrame, type EventFeedOptions } from './event-feed.js';
export { RecentDialog, describeBody, type RecentDialogOptions } from './recent-dialog.js';
export { listClients, clientsOf, clientDetail, listProfiles, hubStats, type ClientFilter } from './queries.js';
export type { RouteInfo } from './router.js';
export { pageBundle, renderPage, WEB_BUILD, type Page, type PageBundle } from './page.js';
export { AdminClient, AdminApiError, type AdminClientOptions } from './client.js';
export type * from './api-types.js';
