/**
 * Theory of operation: profile management — the profiles with their mode,
 * policy and counts, and the actions on them (create, rename, switch mode,
 * set policy, remove), each behind a confirmation and each one operator
 * input on the server.
 */
import type { ApiMode, ApiPolicy, ProfileView } from '../src/api-types.js';
import { ApiError, call } from './api.js';
import { confirmAction, fill, h, toast } from './dom.js';

const POLICIES: readonly ApiPolicy[] = ['replaceOld', 'ignoreNew', 'seniority'];

export class ProfilesView {
  private readonly body = h('tbody');
  private readonly newId = h('input', { id: 'new-profile-id', type: 'number', min: 1, placeholder: 'id', 'aria-label': 'new profile id' });
  private readonly newName = h('input', { id: 'new-profile-name', type: 'text', placeholder: 'name', 'aria-label': 'new profile name' });
  readonly element: HTMLElement;

  constructor(private readonly changed: () => void) {
    this.element = h(
      'section',
      { id: 'profiles-view', class: 'panel', hidden: true },
      h(
        'table',
        { id: 'profiles', class: 'grid' },
        h('thead', {}, h('tr', {}, ...['id', 'name', 'mode', 'policy', 'clients', 'online', 'enabled client', ''].map((c) => h('th', {}, c)))),
        this.body,
      ),
      h(
        'form',
        {
          class: 'create',
          onsubmit: (e: Event) => {
            e.preventDefault();
            const id = Number(this.newId.value);
            const name = this.newName.value;
            void this.run(`Create profile ${id} "${name}"?`, false, () => call('POST', 'api/profiles', { id, name }));
          },
        },
        h('strong', {}, 'New profile '),
        this.newId,
        this.newName,
        h('button', { id: 'new-profile-create', type: 'submit' }, 'Create'),
      ),
    );
  }

  render(items: readonly ProfileView[], hubPolicy: ApiPolicy): void {
    fill(this.body, ...items.map((p) => this.row(p, hubPolicy)));
    if (items.length === 0) fill(this.body, h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'no profile yet: nobody can register')));
  }

  private row(p: ProfileView, hubPolicy: ApiPolicy): HTMLTableRowElement {
    const mode = h('button', {
      type: 'button',
      class: `mode m-${p.mode}`,
      'data-action': 'toggle-mode',
      onclick: () => {
        const to: ApiMode = p.mode === 'auto' ? 'manual' : 'auto';
        void this.run(
          to === 'manual' ? `Switch profile ${p.id} to manual? No request will change a status in it any more; only operators will.` : `Switch profile ${p.id} back to auto? Requests may change statuses again (policy ${p.effectivePolicy}).`,
          false,
          () => call('POST', `api/profiles/${p.id}/mode`, { mode: to }),
        );
      },
    }, p.mode);
    const policy = h(
      'select',
      { 'data-action': 'policy', 'aria-label': `policy of profile ${p.id}` },
      h('option', { value: '' }, `hub default (${hubPolicy})`),
      ...POLICIES.map((x) => h('option', { value: x }, x)),
    );
    policy.value = p.policy ?? '';
    policy.addEventListener('change', () => {
      const to = policy.value === '' ? null : (policy.value as ApiPolicy);
      void this.run(`Set the policy of profile ${p.id} to ${to ?? 'the hub default'}?`, false, () => call('POST', `api/profiles/${p.id}/policy`, { policy: to }));
    });
    return h(
      'tr',
      { 'data-id': p.id, 'data-mode': p.mode },
      h('td', { class: 'num' }, p.id),
      h('td', {}, p.name),
      h('td', {}, mode),
      h('td', {}, policy),
      h('td', { class: 'num' }, p.clientCount),
      h('td', { class: 'num' }, p.online),
      h('td', { class: 'num' }, p.enabledClient ?? '—'),
      h(
        'td',
        {},
        h('button', {
          type: 'button',
          'data-action': 'rename',
          onclick: () => {
            const name = window.prompt(`New name of profile ${p.id}`, p.name);
            if (name === null) return;
            void this.run(`Rename profile ${p.id} to "${name}"?`, false, () => call('POST', `api/profiles/${p.id}/name`, { name }));
          },
        }, 'Rename'),
        ' ',
        h('button', { type: 'button', class: 'danger', 'data-action': 'remove', disabled: p.clientCount > 0, title: p.clientCount > 0 ? 'only an empty profile can be removed' : '', onclick: () => void this.run(`Remove profile ${p.id}?`, true, () => call('DELETE', `api/profiles/${p.id}`)) }, 'Remove'),
      ),
    );
  }

  private async run(question: string, danger: boolean, action: () => Promise<unknown>): Promise<void> {
    if (!(await confirmAction(question, danger))) {
      this.changed();
      return;
    }
    try {
      const done = await action();
      toast((done as { message?: string }).message ?? 'done');
    } catch (e) {
      toast(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e), 'error');
    }
    this.changed();
  }
}
