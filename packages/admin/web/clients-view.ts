/**
 * Theory of operation: the clients table and the client detail. Paging,
 * filtering and search happen on the server (`GET api/clients`), so the page
 * holds one page of rows whatever the number of registered clients. Live
 * updates re-fetch the visible page, at most every `refreshMs`, when the feed
 * reports a change that may touch it; an action re-fetches at once.
 */
import type { ApiStatus, ClientDetail, ClientPage, ClientSummary, ProfileView } from '../src/api-types.js';
import { ApiError, call } from './api.js';
import { confirmAction, fill, h, time, toast } from './dom.js';

const STATUSES: readonly ApiStatus[] = ['enabled', 'disabled', 'banned', 'reset'];
const PAGE = 50;
const VERB: Readonly<Record<ApiStatus, string>> = { enabled: 'Enable', disabled: 'Disable', banned: 'Ban', reset: 'Reset' };

function option(value: string, label: string): HTMLOptionElement {
  return h('option', { value }, label);
}

export class ClientsView {
  private offset = 0;
  private total = 0;
  private selected: number | null = null;
  private pending: number | undefined;
  private profiles: readonly ProfileView[] = [];
  private readonly profileFilter = h('select', { id: 'filter-profile', 'aria-label': 'profile', onchange: () => this.reload(true) });
  private readonly statusFilter = h(
    'select',
    { id: 'filter-status', 'aria-label': 'status', onchange: () => this.reload(true) },
    option('', 'any status'),
    ...STATUSES.map((s) => option(s, s)),
  );
  private readonly onlineFilter = h(
    'select',
    { id: 'filter-online', 'aria-label': 'online', onchange: () => this.reload(true) },
    option('', 'online or not'),
    option('true', 'online'),
    option('false', 'offline'),
  );
  private readonly search = h('input', { id: 'filter-q', type: 'search', placeholder: 'search id, name, phone, e-mail', 'aria-label': 'search', autocomplete: 'off' });
  private readonly body = h('tbody');
  private readonly info = h('span', { id: 'page-info' }, '');
  private readonly prev = h('button', { id: 'prev', type: 'button', onclick: () => this.move(-1) }, '‹ previous');
  private readonly next = h('button', { id: 'next', type: 'button', onclick: () => this.move(1) }, 'next ›');
  private readonly detail = h('section', { id: 'client-detail', class: 'panel detail', hidden: true });
  readonly element: HTMLElement;

  constructor(private readonly refreshMs = 500) {
    let typing: number | undefined;
    this.search.addEventListener('input', () => {
      window.clearTimeout(typing);
      typing = window.setTimeout(() => this.reload(true), 250);
    });
    this.element = h(
      'div',
      { id: 'clients-view' },
      h(
        'section',
        { class: 'panel' },
        h('div', { class: 'filters' }, this.profileFilter, this.statusFilter, this.onlineFilter, this.search),
        h(
          'table',
          { id: 'clients', class: 'grid' },
          h('thead', {}, h('tr', {}, ...['id', 'profile', 'status', 'online', 'name', 'phone', 'e-mail', 'last seen', 'in', 'out', 'outbox'].map((c) => h('th', {}, c)))),
          this.body,
        ),
        h('div', { class: 'pager' }, this.prev, this.info, this.next),
      ),
      this.detail,
    );
  }

  setProfiles(profiles: readonly ProfileView[]): void {
    this.profiles = profiles;
    const current = this.profileFilter.value;
    fill(this.profileFilter, option('', 'any profile'), ...profiles.map((p) => option(String(p.id), `${p.id} · ${p.name}`)));
    this.profileFilter.value = profiles.some((p) => String(p.id) === current) ? current : '';
  }

  /** Something changed on the hub: refresh the page soon (coalesced). */
  changed(clientId: number | null): void {
    if (this.pending !== undefined) return;
    this.pending = window.setTimeout(() => {
      this.pending = undefined;
      void this.reload(false);
      if (this.selected !== null && (clientId === null || clientId === this.selected)) void this.open(this.selected);
    }, this.refreshMs);
  }

  async reload(resetOffset: boolean): Promise<void> {
    if (resetOffset) this.offset = 0;
    const q = new URLSearchParams({ offset: String(this.offset), limit: String(PAGE) });
    if (this.profileFilter.value !== '') q.set('profile', this.profileFilter.value);
    if (this.statusFilter.value !== '') q.set('status', this.statusFilter.value);
    if (this.onlineFilter.value !== '') q.set('online', this.onlineFilter.value);
    const text = this.search.value.trim();
    if (text !== '') q.set('q', text.slice(0, 200));
    try {
      const page = await call<ClientPage>('GET', `api/clients?${q}`);
      this.render(page);
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e), 'error');
    }
  }

  private move(step: number): void {
    const next = this.offset + step * PAGE;
    if (next < 0 || next >= this.total) return;
    this.offset = next;
    void this.reload(false);
  }

  private render(page: ClientPage): void {
    this.total = page.total;
    fill(this.body, ...page.items.map((c) => this.row(c)));
    if (page.items.length === 0) fill(this.body, h('tr', {}, h('td', { colspan: 11, class: 'empty' }, 'no client matches')));
    const from = page.total === 0 ? 0 : page.offset + 1;
    this.info.textContent = `${from.toLocaleString('en')}–${(page.offset + page.items.length).toLocaleString('en')} of ${page.total.toLocaleString('en')}`;
    this.info.dataset['total'] = String(page.total);
    this.prev.disabled = page.offset === 0;
    this.next.disabled = page.offset + page.items.length >= page.total;
  }

  private row(c: ClientSummary): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-id': c.id, 'data-status': c.status, 'data-online': String(c.online), class: c.id === this.selected ? 'selected' : '', onclick: () => void this.open(c.id) },
      h('td', { class: 'num' }, c.id),
      h('td', {}, `${c.profileId}${c.profileName !== null ? ` · ${c.profileName}` : ''}`),
      h('td', {}, h('span', { class: `status s-${c.status}` }, c.status)),
      h('td', {}, h('span', { class: `dot ${c.online ? 'on' : 'off'}`, title: c.online ? 'online' : 'offline' }), c.online ? 'online' : ''),
      h('td', {}, c.contact.name),
      h('td', {}, c.contact.phone),
      h('td', {}, c.contact.email),
      h('td', {}, time(c.lastSeen)),
      h('td', { class: 'num' }, c.messagesIn),
      h('td', { class: 'num' }, c.messagesOut),
      h('td', { class: 'num' }, c.outbox),
    );
  }

  /** Shows client `id` in the detail panel. */
  async open(id: number): Promise<void> {
    this.selected = id;
    for (const tr of this.body.querySelectorAll('tr')) tr.classList.toggle('selected', tr.dataset['id'] === String(id));
    let c: ClientDetail;
    try {
      c = await call<ClientDetail>('GET', `api/clients/${id}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        this.detail.hidden = true;
        this.selected = null;
        return;
      }
      toast(e instanceof Error ? e.message : String(e), 'error');
      return;
    }
    const profile = this.profiles.find((p) => p.id === c.profileId);
    const act = (label: string, run: () => Promise<unknown>, question: string, danger: boolean, action: string): HTMLButtonElement =>
      h(
        'button',
        {
          type: 'button',
          class: danger ? 'danger' : '',
          'data-action': action,
          onclick: async () => {
            if (!(await confirmAction(question, danger))) return;
            try {
              const done = await run();
              toast((done as { message?: string }).message ?? 'done');
            } catch (e) {
              toast(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e), 'error');
            }
            void this.reload(false);
            void this.open(id);
          },
        },
        label,
      );
    const manualNote = profile !== undefined && profile.mode === 'auto' ? ` Profile ${profile.id} switches to manual mode first, so no automatic takeover undoes it.` : '';
    const status = (s: ApiStatus, danger: boolean): HTMLButtonElement | null =>
      c.status === s
        ? null
        : act(
            VERB[s],
            () => call('POST', `api/clients/${id}/status`, { status: s }),
            `Set client ${id} to ${s}?${s === 'reset' ? ' It will have to register again under a new id.' : manualNote}`,
            danger,
            `status-${s}`,
          );
    fill(
      this.detail,
      h('h2', {}, `Client ${c.id} `, h('span', { class: `status s-${c.status}`, id: 'detail-status' }, c.status), ' ', h('span', { id: 'detail-online', class: `pill ${c.online ? 'on' : 'off'}` }, c.online ? 'online' : 'offline')),
      h(
        'div',
        { class: 'actions' },
        status('enabled', false),
        status('disabled', false),
        status('banned', true),
        status('reset', true),
        c.online ? act('Kick', () => call('POST', `api/clients/${id}/kick`, {}), `Kick client ${id}? Its session ends; its status stays.`, false, 'kick') : null,
        c.status === 'reset' ? act('Delete', () => call('DELETE', `api/clients/${id}`), `Delete client ${id} for good?`, true, 'delete') : null,
      ),
      h(
        'dl',
        {},
        ...([
          ['profile', `${c.profileId}${c.profileName !== null ? ` · ${c.profileName}` : ''}`],
          ['contact', `${c.contact.name} · ${c.contact.phone} · ${c.contact.email}`],
          ['registered', `${time(c.registeredAt)} (seq ${c.regSeq})`],
          ['last seen', time(c.lastSeen)],
          ['messages', `${c.messagesIn} in · ${c.messagesOut} out · ${c.outbox} unacknowledged`],
          ['dialog', c.dialog === null ? '—' : `in seq ${c.dialog.inSeq} · out seq ${c.dialog.outSeq} (acked ${c.dialog.outAcked}) · ${c.dialog.unconfirmed} unconfirmed`],
          ['session', c.session === null ? '—' : `link ${c.session.link} since ${time(c.session.since)} · heard ${time(c.session.lastHeard)}`],
        ] as const).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
      h('h3', {}, 'Environment history'),
      c.environments.length === 0
        ? h('p', { class: 'empty' }, 'none reported')
        : h(
            'table',
            { class: 'grid small', id: 'environments' },
            h('tbody', {}, ...[...c.environments].reverse().map((e) => h('tr', {}, h('td', {}, time(e.at)), h('td', {}, Object.entries(e.env).map(([k, v]) => `${k}=${v}`).join('  '))))),
          ),
      h('h3', {}, 'Recent dialog'),
      c.recent.length === 0
        ? h('p', { class: 'empty' }, 'nothing seen since the console started')
        : h(
            'table',
            { class: 'grid small', id: 'recent' },
            h('tbody', {}, ...[...c.recent].reverse().map((m) => h('tr', { 'data-dir': m.dir }, h('td', {}, time(m.at).slice(11)), h('td', {}, m.dir === 'in' ? '→ hub' : '← hub'), h('td', { class: 'num' }, m.seq), h('td', {}, m.text)))),
          ),
    );
    this.detail.hidden = false;
    this.detail.dataset['client'] = String(c.id);
  }
}
