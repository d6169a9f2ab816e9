/**
 * Theory of operation: the operator console page. It starts at the login
 * form; a token that the server accepts (`GET api/stats` answers 200) is kept
 * in sessionStorage and opens the console:
 *
 * - a header with the hub's counts and a live chart (online clients and
 *   messages per second), fed by polling `api/stats` (the counts also
 *   right after each burst of feed events);
 * - the clients table (server-side filters and paging) with the client
 *   detail and its actions, and the profiles table with theirs; every action
 *   asks for confirmation first;
 * - the live feed of hub events (server-sent events over fetch), which also
 *   tells the tables when to refresh.
 *
 * A 401 anywhere drops the token and returns to the login form. Nothing is
 * loaded from anywhere but the page's own origin.
 */
import './style.css';
import type { HubStats, ProfileView, ApiPolicy } from '../src/api-types.js';
import { ApiError, call, followFeed, savedToken, saveToken, whenUnauthorized } from './api.js';
import { LiveChart } from './chart.js';
import { ClientsView } from './clients-view.js';
import { fill, h } from './dom.js';
import { FeedView } from './feed-view.js';
import { ProfilesView } from './profiles-view.js';

const STATS_EVERY_MS = 2000;
const root = document.getElementById('app')!;
let stop: AbortController | null = null;

function showLogin(message = ''): void {
  stop?.abort();
  stop = null;
  saveToken(null);
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'current-password', placeholder: 'admin token', 'aria-label': 'admin token', required: true });
  const error = h('p', { id: 'login-error', class: 'error', role: 'alert' }, message);
  const form = h(
    'form',
    {
      id: 'login',
      class: 'login panel',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const token = input.value.trim();
        try {
          await call<HubStats>('GET', 'api/stats', undefined, token);
        } catch (err) {
          error.textContent = err instanceof ApiError && err.status === 401 ? 'This token is not accepted.' : `Cannot reach the hub: ${err instanceof Error ? err.message : String(err)}`;
          return;
        }
        saveToken(token);
        showConsole();
      },
    },
    h('h1', {}, 'dialoghub console'),
    h('p', {}, 'Sign in with the admin token (the file ', h('code', {}, 'admin-token'), ' in the hub\u2019s data directory, or ', h('code', {}, 'DIALOGHUB_ADMIN_TOKEN'), ').'),
    input,
    h('button', { type: 'submit', class: 'primary', id: 'sign-in' }, 'Sign in'),
    error,
  );
  fill(root, form);
  input.focus();
}

function showConsole(): void {
  stop?.abort();
  const abort = new AbortController();
  stop = abort;
  const stat = (id: string, label: string): [HTMLElement, HTMLElement] => {
    const value = h('strong', { id }, '…');
    return [h('div', { class: 'stat' }, value, h('span', {}, label)), value];
  };
  const [onlineBox, online] = stat('stat-online', 'online');
  const [clientsBox, clients] = stat('stat-clients', 'registered');
  const [profilesBox, profiles] = stat('stat-profiles', 'profiles');
  const [outboxBox, outbox] = stat('stat-outbox', 'unacknowledged');
  const [journalBox, journal] = stat('stat-journal', 'journal seq');
  const canvas = h('canvas', { id: 'chart', width: 600, height: 140 });
  const chart = new LiveChart(canvas);
  const clientsView = new ClientsView();
  let hubPolicy: ApiPolicy = 'replaceOld';
  let profilesQueued: number | undefined;
  /** Refreshes the profiles soon, once for a burst of events. */
  const profilesSoon = (): void => {
    if (profilesQueued !== undefined) return;
    profilesQueued = window.setTimeout(() => {
      profilesQueued = undefined;
      void refreshProfiles();
    }, 500);
  };
  const refreshProfiles = async (): Promise<void> => {
    try {
      const r = await call<{ hubPolicy: ApiPolicy; items: ProfileView[] }>('GET', 'api/profiles');
      hubPolicy = r.hubPolicy;
      profilesView.render(r.items, hubPolicy);
      clientsView.setProfiles(r.items);
    } catch {
      // The stats poll reports a lost hub.
    }
  };
  const profilesView = new ProfilesView(() => void refreshProfiles());
  const feed = new FeedView();
  const tab = (name: string, label: string, show: () => void): HTMLButtonElement =>
    h('button', { type: 'button', class: 'tab', id: `tab-${name}`, 'data-tab': name, onclick: show }, label);
  const select = (which: 'clients' | 'profiles'): void => {
    clientsView.element.hidden = which !== 'clients';
    profilesView.element.hidden = which !== 'profiles';
    for (const b of root.querySelectorAll<HTMLButtonElement>('button.tab')) b.classList.toggle('active', b.dataset['tab'] === which);
    if (which === 'profiles') void refreshProfiles();
  };
  const status = h('span', { id: 'hub-state', class: 'pill on' }, 'connected');
  fill(
    root,
    h(
      'header',
      { class: 'top' },
      h('h1', {}, 'dialoghub console'),
      status,
      h('div', { class: 'stats' }, onlineBox, clientsBox, profilesBox, outboxBox, journalBox),
      h('button', { type: 'button', id: 'sign-out', onclick: () => showLogin() }, 'Sign out'),
    ),
    h('section', { class: 'panel chart-panel' }, canvas),
    h(
      'main',
      { class: 'layout' },
      h('div', { class: 'main' }, h('nav', { class: 'tabs' }, tab('clients', 'Clients', () => select('clients')), tab('profiles', 'Profiles', () => select('profiles'))), clientsView.element, profilesView.element),
      feed.element,
    ),
  );
  select('clients');
  /** Reads `api/stats` into the header; the periodic poll also adds a point to the chart. */
  const refreshStats = async (chartPoint: boolean): Promise<void> => {
    try {
      const s = await call<HubStats>('GET', 'api/stats');
      online.textContent = s.online.toLocaleString('en');
      clients.textContent = s.clients.total.toLocaleString('en');
      profiles.textContent = s.profiles.toLocaleString('en');
      outbox.textContent = s.outboxDepth.toLocaleString('en');
      journal.textContent = s.journalSeq.toLocaleString('en');
      if (chartPoint) {
        const point = chart.add(s.online, s.messagesReceived + s.messagesWritten, performance.now());
        canvas.dataset['points'] = String(chart.size);
        canvas.dataset['online'] = String(point.online);
        canvas.dataset['rate'] = point.perSecond.toFixed(2);
      }
      status.textContent = 'connected';
      status.className = 'pill on';
    } catch {
      status.textContent = 'hub unreachable';
      status.className = 'pill off';
    }
  };
  let statsQueued: number | undefined;
  /** Refreshes the header soon after an event, once for a burst (the chart keeps its regular poll). */
  const statsSoon = (): void => {
    if (statsQueued !== undefined) return;
    statsQueued = window.setTimeout(() => {
      statsQueued = undefined;
      if (!abort.signal.aborted) void refreshStats(false);
    }, 300);
  };
  const poll = async (): Promise<void> => {
    if (abort.signal.aborted) return;
    await refreshStats(true);
    if (!abort.signal.aborted) window.setTimeout(() => void poll(), STATS_EVERY_MS);
  };
  void poll();
  void refreshProfiles();
  void clientsView.reload(true);
  followFeed(
    (entry) => {
      feed.add(entry);
      const e = entry.event;
      const id = typeof e['clientId'] === 'number' ? e['clientId'] : null;
      clientsView.changed(id);
      profilesSoon();
      statsSoon();
    },
    (live) => feed.live(live),
    abort.signal,
  );
}

// Only a signed-in page is sent back to the form; a refused login attempt reports in place.
whenUnauthorized(() => {
  if (savedToken() !== null) showLogin('The token was refused; sign in again.');
});
if (savedToken() === null) showLogin();
else showConsole();
