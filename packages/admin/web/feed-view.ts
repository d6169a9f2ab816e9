/**
 * Theory of operation: the live feed panel — one line per hub event, newest
 * first, at most `max` lines. Each line carries `data-type` (and the client
 * or profile it concerns) so tests and styles can find it.
 */
import type { FeedEntry } from '../src/api-types.js';
import { fill, h, time } from './dom.js';

/** A person-readable line for a hub event. */
export function describeEvent(e: FeedEntry['event']): string {
  const v = (k: string): string => String(e[k]);
  switch (e.type) {
    case 'clientRegistered':
      return `client ${v('clientId')} registered in profile ${v('profileId')}`;
    case 'clientOnline':
      return `client ${v('clientId')} online (${v('via')}, link ${v('link')})`;
    case 'clientOffline':
      return `client ${v('clientId')} offline: ${v('reason')}`;
    case 'takeover':
      return `takeover in profile ${v('profileId')} (${v('conflict')}): client ${v('winner')} wins over ${v('loser')}, reason ${v('reason')}`;
    case 'statusChanged':
      return `client ${v('clientId')} ${v('from')} → ${v('to')} (${v('cause')})`;
    case 'profileChanged':
      return `profile ${v('profileId')} ${v('change')}: mode ${v('mode')}, policy ${e['policy'] === null ? 'hub default' : v('policy')}`;
    case 'requestRejected':
      return `${v('request')} from client ${v('clientId')} rejected: ${v('reason')}`;
    case 'clientDeleted':
      return `client ${v('clientId')} deleted`;
    default:
      return `${e.type} ${JSON.stringify(e)}`;
  }
}

export class FeedView {
  private readonly list = h('ol', { id: 'feed', class: 'feed' });
  private readonly state = h('span', { id: 'feed-state', class: 'pill off' }, 'connecting');
  readonly element = h('section', { class: 'panel feed-panel' }, h('h2', {}, 'Live feed ', this.state), this.list);

  constructor(private readonly max = 300) {}

  live(on: boolean): void {
    this.state.textContent = on ? 'live' : 'reconnecting';
    this.state.className = `pill ${on ? 'on' : 'off'}`;
    this.state.dataset['live'] = String(on);
  }

  add(entry: FeedEntry): void {
    const e = entry.event;
    const client = e['clientId'] ?? e['loser'];
    const li = h(
      'li',
      { 'data-type': e.type, 'data-id': entry.id, 'data-client': client === undefined ? undefined : String(client), 'data-reason': e['reason'] === undefined ? undefined : String(e['reason']) },
      h('time', {}, time(entry.at).slice(11)),
      ' ',
      h('span', { class: `kind k-${e.type}` }, e.type),
      ' ',
      describeEvent(e),
    );
    this.list.prepend(li);
    while (this.list.childElementCount > this.max) this.list.lastElementChild?.remove();
  }

  clear(): void {
    fill(this.list);
  }
}
