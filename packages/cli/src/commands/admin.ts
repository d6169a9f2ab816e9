/**
 * Theory of operation: `dialoghub admin <action> …` — the operator console's
 * actions for scripts. It is a client of the console's HTTP API
 * (`@dialoghub/admin`'s `AdminClient`), never of the data directory: a
 * running hub owns its journal, and every action must be an operator input
 * that hub steps, journals and answers. The command line can therefore do
 * exactly what the page can, with the same refusals.
 *
 * The token comes from `--token`, else `DIALOGHUB_ADMIN_TOKEN`, else
 * `<--data-dir>/admin-token` (the file `dialoghub serve` writes). Prefer the
 * last two: a `--token` is visible to other users in the process list.
 *
 * Exit codes: 0 done; 1 the hub refused the action (the core's reason is
 * printed, e.g. `notReset`); 2 bad arguments, no token, a token the console
 * refuses, or a console that cannot be reached.
 */
import type { Command } from 'commander';
import { AdminApiError, AdminClient, ADMIN_TOKEN_ENV, DEFAULT_ADMIN_PORT, readToken, type ActionDone, type ClientDetail, type ClientPage, type HubStats, type ProfileView } from '@dialoghub/admin';
import { CLIENT_STATUSES, MANAGEMENT_MODES, type ClientStatus, type ManagementMode } from '@dialoghub/core';
import { join } from 'node:path';
import { integer, policy as parsePolicy } from '../args.js';
import type { CliCommand, CommandContext } from '../command.js';
import { InputError, UsageError } from '../errors.js';
import { pairs, table, time } from '../output/table.js';

/** The console `dialoghub admin` talks to unless told otherwise. */
export const DEFAULT_ADMIN_URL = `http://127.0.0.1:${DEFAULT_ADMIN_PORT}/`;


/** One action, with its checked arguments. */
export type AdminAction =
  | { readonly kind: 'stats' }
  | { readonly kind: 'profiles' }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'clients'; readonly profile?: number; readonly status?: ClientStatus; readonly online?: boolean; readonly q?: string; readonly offset?: number; readonly limit?: number }
  | { readonly kind: 'client'; readonly id: number }
  | { readonly kind: 'status'; readonly id: number; readonly status: ClientStatus }
  | { readonly kind: 'kick'; readonly id: number }
  | { readonly kind: 'delete'; readonly id: number }
  | { readonly kind: 'profile-create'; readonly id: number; readonly name: string; readonly mode?: ManagementMode; readonly policy?: ReturnType<typeof parsePolicy> | null }
  | { readonly kind: 'profile-rename'; readonly id: number; readonly name: string }
  | { readonly kind: 'profile-mode'; readonly id: number; readonly mode: ManagementMode }
  | { readonly kind: 'profile-policy'; readonly id: number; readonly policy: ReturnType<typeof parsePolicy> | null }
  | { readonly kind: 'profile-remove'; readonly id: number };

export interface AdminCommandOptions {
  readonly action: AdminAction;
  readonly url: string;
  readonly token: string | null;
  readonly dataDir: string | null;
}

/** What a run returns: the answer, or the hub's refusal. */
export type AdminCommandResult =
  | { readonly kind: 'stats'; readonly stats: HubStats }
  | { readonly kind: 'profiles'; readonly hubPolicy: string; readonly profiles: readonly ProfileView[] }
  | { readonly kind: 'metrics'; readonly text: string }
  | { readonly kind: 'clients'; readonly page: ClientPage }
  | { readonly kind: 'client'; readonly client: ClientDetail }
  | { readonly kind: 'done'; readonly action: string; readonly result: ActionDone }
  | { readonly kind: 'refused'; readonly action: string; readonly status: number; readonly reason: string; readonly message: string };

/** The actions and their positional arguments, for help and checks. */
export const ADMIN_ACTIONS: Readonly<Record<AdminAction['kind'], string>> = {
  stats: '',
  profiles: '',
  metrics: '',
  clients: '',
  client: '<clientId>',
  status: '<clientId> <enabled|disabled|banned|reset>',
  kick: '<clientId>',
  delete: '<clientId>',
  'profile-create': '<profileId> <name>',
  'profile-rename': '<profileId> <name>',
  'profile-mode': '<profileId> <auto|manual>',
  'profile-policy': '<profileId> <replaceOld|ignoreNew|seniority|default>',
  'profile-remove': '<profileId>',
};

function oneOf<T extends string>(value: unknown, what: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new UsageError(`unknown ${what} '${String(value)}' (expected ${allowed.join(', ')})`);
  return value as T;
}

const id = (value: string | undefined, what: string): number => integer(value, what, 1, 0xffffffff);

function policyOrDefault(value: string | undefined): ReturnType<typeof parsePolicy> | null {
  return value === 'default' ? null : parsePolicy(value, 'policy');
}

/** Checks the action and its arguments (no network yet). */
export function parseAdmin(args: readonly string[], o: Readonly<Record<string, unknown>>): AdminCommandOptions {
  const [verb, ...rest] = args;
  if (verb === undefined) throw new UsageError(`missing action (${Object.keys(ADMIN_ACTIONS).join(', ')})`);
  if (!(verb in ADMIN_ACTIONS)) throw new UsageError(`unknown action '${verb}' (expected ${Object.keys(ADMIN_ACTIONS).join(', ')})`);
  const kind = verb as AdminAction['kind'];
  const wanted = ADMIN_ACTIONS[kind] === '' ? 0 : ADMIN_ACTIONS[kind].split(' ').length;
  if (rest.length !== wanted) throw new UsageError(`${kind} takes ${wanted === 0 ? 'no argument' : ADMIN_ACTIONS[kind]}, got ${rest.length} argument(s)`);
  const [x, y] = rest;
  for (const flag of ['profile', 'status', 'online', 'offline', 'search', 'offset', 'limit'] as const) {
    if (o[flag] !== undefined && kind !== 'clients') throw new UsageError(`--${flag} is an option of 'clients' only`);
  }
  for (const flag of ['mode', 'policy'] as const) if (o[flag] !== undefined && kind !== 'profile-create') throw new UsageError(`--${flag} is an option of 'profile-create' only`);
  let action: AdminAction;
  switch (kind) {
    case 'stats':
    case 'profiles':
    case 'metrics':
      action = { kind };
      break;
    case 'clients': {
      if (o['online'] === true && o['offline'] === true) throw new UsageError('--online and --offline exclude each other');
      action = {
        kind,
        ...(o['profile'] !== undefined ? { profile: id(o['profile'] as string, '--profile') } : {}),
        ...(o['status'] !== undefined ? { status: oneOf(o['status'], 'status', CLIENT_STATUSES) } : {}),
        ...(o['online'] === true ? { online: true } : o['offline'] === true ? { online: false } : {}),
        ...(typeof o['search'] === 'string' ? { q: o['search'] } : {}),
        ...(o['offset'] !== undefined ? { offset: integer(o['offset'], '--offset', 0) } : {}),
        ...(o['limit'] !== undefined ? { limit: integer(o['limit'], '--limit', 1) } : {}),
      };
      break;
    }
    case 'client':
    case 'kick':
    case 'delete':
    case 'profile-remove':
      action = { kind, id: id(x, kind.startsWith('profile') ? 'profileId' : 'clientId') };
      break;
    case 'status':
      action = { kind, id: id(x, 'clientId'), status: oneOf(y, 'status', CLIENT_STATUSES) };
      break;
    case 'profile-create':
      action = {
        kind,
        id: id(x, 'profileId'),
        name: y!,
        ...(o['mode'] !== undefined ? { mode: oneOf(o['mode'], 'mode', MANAGEMENT_MODES) } : {}),
        ...(o['policy'] !== undefined ? { policy: policyOrDefault(o['policy'] as string) } : {}),
      };
      break;
    case 'profile-rename':
      action = { kind, id: id(x, 'profileId'), name: y! };
      break;
    case 'profile-mode':
      action = { kind, id: id(x, 'profileId'), mode: oneOf(y, 'mode', MANAGEMENT_MODES) };
      break;
    case 'profile-policy':
      action = { kind, id: id(x, 'profileId'), policy: policyOrDefault(y) };
      break;
    default: {
      const never: never = kind;
      throw new UsageError(`unknown action ${String(never)}`);
    }
  }
  const url = typeof o['url'] === 'string' ? o['url'] : DEFAULT_ADMIN_URL;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new UsageError(`--url '${url}' is not an http(s) URL`);
  }
  return { action, url, token: typeof o['token'] === 'string' ? o['token'] : null, dataDir: typeof o['dataDir'] === 'string' ? o['dataDir'] : null };
}

/** The token: `--token`, else the environment, else the data directory's file. */
async function tokenFor(p: AdminCommandOptions, env: CommandContext['io']['env']): Promise<string> {
  if (p.token !== null && p.token !== '') return p.token;
  const fromEnv = env[ADMIN_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (p.dataDir !== null) {
    const path = join(p.dataDir, 'admin-token');
    let token: string | null;
    try {
      token = await readToken(path);
    } catch (e) {
      throw new InputError(`${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (token === null) throw new InputError(`${path}: no such file (is this the data directory of a hub started with the console?)`);
    return token;
  }
  throw new UsageError(`no admin token: pass --data-dir <dir> (reads <dir>/admin-token), set ${ADMIN_TOKEN_ENV}, or pass --token`);
}

/** Runs the action against the console. */
export async function runAdmin(p: AdminCommandOptions, ctx: CommandContext): Promise<AdminCommandResult> {
  const api = new AdminClient({ url: p.url, token: await tokenFor(p, ctx.io.env) });
  const a = p.action;
  const done = async (run: () => Promise<ActionDone>): Promise<AdminCommandResult> => {
    try {
      return { kind: 'done', action: a.kind, result: await run() };
    } catch (e) {
      if (e instanceof AdminApiError && (e.status === 404 || e.status === 409 || e.status === 422)) return { kind: 'refused', action: a.kind, status: e.status, reason: e.code, message: e.message };
      throw e;
    }
  };
  try {
    switch (a.kind) {
      case 'stats':
        return { kind: 'stats', stats: await api.stats() };
      case 'profiles': {
        const r = await api.profiles();
        return { kind: 'profiles', hubPolicy: r.hubPolicy, profiles: r.items };
      }
      case 'metrics':
        return { kind: 'metrics', text: await api.metrics() };
      case 'clients': {
        const { kind: _kind, ...query } = a;
        return { kind: 'clients', page: await api.clients(query) };
      }
      case 'client':
        try {
          return { kind: 'client', client: await api.client(a.id) };
        } catch (e) {
          if (e instanceof AdminApiError && e.status === 404) return { kind: 'refused', action: a.kind, status: 404, reason: e.code, message: e.message };
          throw e;
        }
      case 'status':
        return done(() => api.setStatus(a.id, a.status));
      case 'kick':
        return done(() => api.kick(a.id));
      case 'delete':
        return done(() => api.deleteClient(a.id));
      case 'profile-create':
        return done(() => api.createProfile(a.id, a.name, a.mode, a.policy));
      case 'profile-rename':
        return done(() => api.renameProfile(a.id, a.name));
      case 'profile-mode':
        return done(() => api.setMode(a.id, a.mode));
      case 'profile-policy':
        return done(() => api.setPolicy(a.id, a.policy));
      case 'profile-remove':
        return done(() => api.removeProfile(a.id));
      default: {
        const never: never = a;
        throw new UsageError(`unknown action ${JSON.stringify(never)}`);
      }
    }
  } catch (e) {
    if (e instanceof AdminApiError) {
      if (e.status === 401) throw new InputError(`${p.url}: the console refused the admin token`);
      throw new InputError(`${p.url}: ${e.status} ${e.code}: ${e.message}`);
    }
    if (e instanceof UsageError) throw e;
    const cause = (e as { cause?: { code?: unknown } }).cause?.code;
    throw new InputError(`cannot reach the console at ${p.url}${typeof cause === 'string' ? ` (${cause})` : ''}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** The result as text. */
export function renderAdmin(r: AdminCommandResult): string {
  switch (r.kind) {
    case 'stats': {
      const s = r.stats;
      return pairs([
        ['journal seq', s.journalSeq],
        ['hub time', time(s.now)],
        ['hub policy', s.hubPolicy],
        ['profiles', s.profiles],
        ['clients', s.clients.total],
        ['  enabled', s.clients.enabled],
        ['  disabled', s.clients.disabled],
        ['  banned', s.clients.banned],
        ['  reset', s.clients.reset],
        ['online', s.online],
        ['outbox depth', s.outboxDepth],
        ['messages received', s.messagesReceived],
        ['messages written', s.messagesWritten],
      ]);
    }
    case 'profiles':
      return table(
        ['id', 'name', 'mode', 'policy', 'clients', 'online', 'enabled'],
        r.profiles.map((p) => [p.id, p.name, p.mode, p.policy ?? `(hub: ${p.effectivePolicy})`, p.clientCount, p.online, p.enabledClient]),
      );
    case 'metrics':
      return r.text.trimEnd();
    case 'clients': {
      const pg = r.page;
      const rows = pg.items.map((c) => [c.id, c.profileId, c.status, c.online ? 'yes' : 'no', c.contact.name, c.contact.phone, c.contact.email, time(c.lastSeen)]);
      const shown = pg.items.length === 0 ? 'none' : `${pg.offset + 1}-${pg.offset + pg.items.length}`;
      return `${table(['id', 'profile', 'status', 'online', 'name', 'phone', 'e-mail', 'last seen'], rows)}\n  ${shown} of ${pg.total}`;
    }
    case 'client': {
      const c = r.client;
      return pairs([
        ['client', c.id],
        ['profile', `${c.profileId}${c.profileName !== null ? ` (${c.profileName})` : ''}`],
        ['status', c.status],
        ['online', c.online ? `yes, link ${c.session?.link}` : 'no'],
        ['contact', `${c.contact.name} / ${c.contact.phone} / ${c.contact.email}`],
        ['registered', time(c.registeredAt)],
        ['last seen', time(c.lastSeen)],
        ['messages in', c.messagesIn],
        ['messages out', c.messagesOut],
        ['outbox', c.outbox],
        ['environment', c.environments.length === 0 ? '-' : Object.entries(c.environments.at(-1)!.env).map(([k, v]) => `${k}=${v}`).join(' ')],
      ]);
    }
    case 'done':
      return r.result.message;
    case 'refused':
      return `refused (${r.reason}): ${r.message}`;
    default: {
      const never: never = r;
      return JSON.stringify(never);
    }
  }
}

export const adminCommand: CliCommand<AdminCommandOptions, AdminCommandResult> = {
  name: 'admin',
  configure(command: Command): void {
    command
      .description("operator actions on a running hub, through its console's HTTP API (dialoghub serve --admin-port)")
      .argument('<action>', Object.entries(ADMIN_ACTIONS).map(([k, v]) => (v === '' ? k : `${k} ${v}`)).join(' | '))
      .argument('[args...]', "the action's arguments")
      .option('--url <url>', `the console's address (default ${DEFAULT_ADMIN_URL})`)
      .option('--data-dir <dir>', "read the token from <dir>/admin-token (the hub's data directory)")
      .option('--token <token>', `the admin token (prefer ${ADMIN_TOKEN_ENV} or --data-dir: arguments are visible in the process list)`)
      .option('--profile <id>', 'clients: only this profile')
      .option('--status <status>', 'clients: only this status')
      .option('--online', 'clients: only online clients')
      .option('--offline', 'clients: only offline clients')
      .option('--search <text>', 'clients: id, name, phone or e-mail containing this text')
      .option('--offset <n>', 'clients: skip this many (paging)')
      .option('--limit <n>', 'clients: page size (the console caps it)')
      .option('--mode <mode>', 'profile-create: auto | manual')
      .option('--policy <policy>', 'profile-create: replaceOld | ignoreNew | seniority | default')
      .option('--json', 'print the answer as one JSON object');
  },
  parse: (args, o) => parseAdmin(args, o),
  run: runAdmin,
  render: (r) => renderAdmin(r),
  json: (r) => r,
  exitCode: (r) => (r.kind === 'refused' ? 1 : 0),
};
