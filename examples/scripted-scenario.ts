/**
 * A scripted tour of the dialoghub core: `npm run example`.
 *
 * It plays the part of the shell and of every client by hand. Three profiles,
 * one per re-login policy, see both kinds of takeover (a second link for the
 * same client, another client of the profile). Then one client holds a dialog
 * with the application: application messages handed over and confirmed, piggybacked and bare acks, a
 * duplicate, a dropped link with store-and-forward and a resend on resume, a
 * Sync answered, then silence until the heartbeat timeout. Last, the operator
 * enables a client by hand, which turns its profile to manual mode.
 *
 * Every step prints what the hub told whom and why, and is followed by
 * `checkInvariants`. At the end come a summary table and a few checks of the
 * outcome; the whole run is done twice to check that it is deterministic (fixed
 * times, fixed secrets). The exit code is non-zero if anything is off.
 *
 * Until `dialoghub serve` exists (issue 6) this is the quickest way to watch
 * the protocol work. Every input here is what an adapter or an operator
 * console would feed the runtime; every command is what the runtime would run.
 */
import {
  checkInvariants,
  clientDialogOf,
  clientId,
  initialState,
  linkId,
  nextDeadline,
  pendingDeliveries,
  profileId,
  step,
  type ClientId,
  type DialogMessage,
  type HubCommand,
  type HubEvent,
  type HubInput,
  type HubState,
  type MessageBody,
  type Policy,
} from '@dialoghub/core';

/** The scenario's clock starts here; everything is an offset from it. */
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

const utf8 = new TextEncoder();
const text = new TextDecoder();

interface Actor {
  readonly id: ClientId;
  readonly name: string;
  readonly profile: number;
  /** What the shell would draw at random when this client registers. */
  readonly secret: string;
}

const PROFILES: readonly { id: number; name: string; policy: Policy }[] = [
  { id: 1, name: 'Alpha', policy: 'replaceOld' },
  { id: 2, name: 'Bravo', policy: 'ignoreNew' },
  { id: 3, name: 'Charlie', policy: 'seniority' },
];

const ACTORS = {
  ada: { id: clientId(0x1001), name: 'Ada', profile: 1, secret: 'secret-ada-0001' },
  alan: { id: clientId(0x1002), name: 'Alan', profile: 1, secret: 'secret-alan-0002' },
  bob: { id: clientId(0x2001), name: 'Bob', profile: 2, secret: 'secret-bob-0003' },
  bea: { id: clientId(0x2002), name: 'Bea', profile: 2, secret: 'secret-bea-0004' },
  cleo: { id: clientId(0x3001), name: 'Cleo', profile: 3, secret: 'secret-cleo-0005' },
  carl: { id: clientId(0x3002), name: 'Carl', profile: 3, secret: 'secret-carl-0006' },
} satisfies Record<string, Actor>;

const ALL: readonly Actor[] = Object.values(ACTORS);
const nameOf = (id: number | null): string => (id === null ? 'nobody' : (ALL.find((a) => a.id === id)?.name ?? `client ${id.toString(16)}`));

/** The hub plus a transcript: what a runtime with a console logger would show. */
class Scenario {
  state: HubState = initialState({ policy: 'replaceOld', appMessageTypes: ['chat.text', 'news'] }, T0);
  now = T0;
  readonly lines: string[] = [];
  readonly problems: string[] = [];
  readonly counts = new Map<HubCommand['type'], number>();
  delivered = 0;

  say(line: string): void {
    this.lines.push(line);
  }

  section(title: string): void {
    this.say('');
    this.say(`== ${title}`);
  }

  /** Feeds one input at `offsetMs` after T0, prints it and the commands it produced, checks the invariants. */
  feed(offsetMs: number, what: string, input: HubInput, quiet = 'nothing to tell anyone'): HubCommand[] {
    this.now = T0 + offsetMs;
    const r = step(this.state, input, this.now);
    this.state = r.state;
    this.say(`${clock(this.now)}  ${what}`);
    let told = 0;
    for (const c of r.commands) {
      this.counts.set(c.type, (this.counts.get(c.type) ?? 0) + 1);
      if (c.type === 'deliver') this.delivered++;
      const line = describe(c);
      if (line !== null) {
        this.say(`            -> ${line}`);
        told++;
      }
    }
    if (told === 0) this.say(`            -> ${quiet}`);
    for (const p of checkInvariants(this.state)) this.problems.push(`after "${what}": ${p}`);
    return [...r.commands];
  }

  /** Runs the one timer the way a runtime does: at `nextDeadline`, until `untilMs`. */
  timersUntil(untilMs: number): void {
    for (;;) {
      const at = nextDeadline(this.state);
      if (at === undefined || at > T0 + untilMs) return;
      this.feed(at - T0, 'timer fired', { type: 'timerFired' }, "nothing due: the index entry was early (the client was heard since), so it is re-filed under the real deadline");
    }
  }

  expect(ok: boolean, what: string): void {
    if (!ok) this.problems.push(`expected ${what}`);
  }
}

function clock(now: number): string {
  return `+${((now - T0) / 1000).toFixed(1).padStart(5)}s`;
}

function body(b: MessageBody): string {
  switch (b.type) {
    case 'app':
      return `${b.appType} "${text.decode(b.payload)}"${b.replyTo === 0 ? '' : ` (reply to #${b.replyTo})`}`;
    case 'ok':
      return `ok (to #${b.replyTo})`;
    case 'refused':
      return `refused ${b.reason} (to #${b.replyTo})`;
    case 'null':
      return b.replyTo === 0 ? 'null' : `null (to Sync #${b.replyTo})`;
    case 'setInfo':
      return `setInfo (phone ${b.contact.phone})`;
    case 'log':
      return `log "${b.text}"`;
    default:
      return b.type;
  }
}

function wire(messages: readonly DialogMessage[]): string {
  return messages.map((m) => (m.seq === 0 ? `bare ack ${m.ack}` : `#${m.seq} ${body(m.body)} [ack ${m.ack}]`)).join(', ');
}

function event(e: HubEvent): string | null {
  switch (e.type) {
    case 'clientRegistered':
      return `${nameOf(e.clientId)} registered in profile ${e.profileId}`;
    case 'clientOnline':
      return `${nameOf(e.clientId)} is online on link ${e.link} (via ${e.via})`;
    case 'clientOffline':
      return `${nameOf(e.clientId)} is offline (${e.reason}); its dialog is kept`;
    case 'takeover':
      return e.conflict === 'sameClient'
        ? `takeover in profile ${e.profileId}: ${nameOf(e.winner)}'s new link wins (${e.reason})`
        : `takeover in profile ${e.profileId}: ${nameOf(e.winner)} wins over ${nameOf(e.loser)} (${e.reason})`;
    case 'statusChanged':
      return `${nameOf(e.clientId)}: ${e.from} -> ${e.to} (by ${e.cause})`;
    case 'profileChanged':
      return e.change === 'created' ? null : `profile ${e.profileId} changed (${e.change}): mode ${e.mode}, policy ${e.policy ?? "the hub's"}`;
    case 'requestRejected':
      return null; // the reply line already says it
    case 'clientDeleted':
      return `${nameOf(e.clientId)} deleted`;
    default: {
      const never: never = e;
      return String(never);
    }
  }
}

/** One readable line per notable command; null for the ones the transcript leaves out. */
function describe(c: HubCommand): string | null {
  switch (c.type) {
    case 'commit':
      return null; // a runtime makes the input durable here, before anything below is revealed
    case 'reply': {
      const a = c.answer;
      const who = nameOf(a.clientId);
      switch (a.code) {
        case 'ok':
          return `reply on link ${c.link} to ${who}: ok, ${a.status}${a.secret === null ? '' : ', secret issued'}; hub handled up to #${a.lastReceived}, sent up to #${a.lastSent}`;
        case 'rejected':
          return `reply on link ${c.link} to ${who}: rejected (${a.reason})`;
        case 'profiles':
        case 'invalidProfile':
          return `reply on link ${c.link} to ${who}: ${a.code} (${a.profiles.length} profiles listed)`;
        default:
          return `reply on link ${c.link} to ${who}: ${a.code}`;
      }
    }
    case 'writeDialog':
      return `dialog to ${nameOf(c.clientId)} on link ${c.link}: ${wire(c.messages)}`;
    case 'close':
      return `close link ${c.link} (${nameOf(c.clientId)}), told "${c.reason}": ${c.reconnect ? 'may reconnect' : 'must not reconnect by itself'}`;
    case 'deliver':
      return `deliver to the application: ${nameOf(c.clientId)} #${c.seq} ${c.appType} "${text.decode(c.payload)}"`;
    case 'notify':
      return event(c.event);
    case 'actionResult':
      return `action ${c.actionId}: ${c.ok ? 'done' : `refused (${c.reason})`}: ${c.message}`;
    case 'log': {
      const detail = Object.entries(c.detail)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      return `log ${c.level} ${c.event}${c.clientId === null ? '' : ` ${nameOf(c.clientId)}`}${detail === '' ? '' : ` (${detail})`}`;
    }
    default: {
      const never: never = c;
      return String(never);
    }
  }
}

// ---- inputs, built the way an adapter would -------------------------------------

let requestSeq = 0;
const nextRequestId = (): number => ++requestSeq;

function register(a: Actor, link: number, requestId = nextRequestId()): HubInput {
  return {
    type: 'requestReceived',
    link: linkId(link),
    request: {
      kind: 'register',
      requestId,
      clientId: a.id,
      profileId: profileId(a.profile),
      contact: { name: a.name, phone: '555-0100', email: `${a.name.toLowerCase()}@example.org` },
      environment: { os: 'linux', app: '1.0.0' },
    },
    issued: { secret: a.secret },
  };
}

function login(a: Actor, link: number, lastReceived = 0, kind: 'login' | 'start' = 'login'): HubInput {
  return {
    type: 'requestReceived',
    link: linkId(link),
    request: { kind, requestId: nextRequestId(), clientId: a.id, credential: { secret: a.secret }, environment: { os: 'linux', app: '1.0.0' }, lastReceived },
  };
}

function say(link: number, ...messages: DialogMessage[]): HubInput {
  return { type: 'messagesReceived', link: linkId(link), messages };
}

const app = (seq: number, ack: number, appType: string, payload: string, replyTo = 0): DialogMessage => ({
  seq,
  ack,
  body: { type: 'app', appType, payload: utf8.encode(payload), replyTo },
});

function send(actionId: string, to: Actor | { profile: number }, appType: string, payload: string, replyTo = 0): HubInput {
  return {
    type: 'appMessageSent',
    actionId,
    to: 'id' in to ? { clientId: to.id } : { profileId: profileId(to.profile) },
    appType,
    payload: utf8.encode(payload),
    replyTo,
  };
}

// ---- the scenario ------------------------------------------------------------------

function play(): Scenario {
  requestSeq = 0;
  const s = new Scenario();
  const { ada, alan, bob, bea, cleo, carl } = ACTORS;
  /** The time of the next step: `ms` after the previous one. */
  const tick = (ms = 100): number => s.now - T0 + ms;
  const cfg = s.state.config;
  s.say('dialoghub scripted scenario: the core driven by hand, with a fixed clock and fixed secrets');
  s.say(`hub: default policy ${cfg.policy}; Sync after ${cfg.syncAfterMs / 1000} s of silence, then every ${cfg.syncEveryMs / 1000} s; offline after ${cfg.deadAfterMs / 1000} s`);
  s.say(`clients: ${ALL.map((a) => `${a.name} ${a.id.toString(16)} (profile ${a.profile})`).join(', ')}`);
  s.say('each step: the input, then one "->" line per command (commit, and events the reply already tells, left out)');

  s.section('Profiles, one per re-login policy');
  for (const p of PROFILES) {
    s.feed(tick(), `operator creates profile ${p.id} "${p.name}" with policy ${p.policy}`, {
      type: 'profileCreated',
      actionId: `create-${p.name.toLowerCase()}`,
      profileId: profileId(p.id),
      name: p.name,
      policy: p.policy,
    });
  }

  s.section('Registrations (the seed\'s NewConnection)');
  s.feed(tick(), 'Ada registers in Alpha on link 1', register(ada, 1));
  s.feed(tick(), 'Bob registers in Bravo on link 2', register(bob, 2));
  s.feed(tick(), 'Cleo registers in Charlie on link 3', register(cleo, 3));

  s.section('Conflict 1: the same client opens a second link');
  s.feed(tick(), 'Ada logs in again on link 11 (replaceOld: the old link is pushed out)', login(ada, 11));
  s.feed(tick(), 'Bob logs in again on link 12 (ignoreNew: the new link is refused)', login(bob, 12));
  s.feed(tick(), 'Cleo logs in again on link 13 (seniority: as ignoreNew)', login(cleo, 13));

  s.section('Conflict 2: another client of the profile wants to be the enabled one');
  s.feed(tick(), 'Alan registers in Alpha on link 21 while Ada is online (replaceOld)', register(alan, 21));
  s.feed(tick(), 'Bea registers in Bravo on link 22 while Bob is online (ignoreNew)', register(bea, 22));
  s.feed(tick(), 'Carl registers in Charlie on link 23 while Cleo is online (seniority)', register(carl, 23));
  s.feed(tick(), "Cleo's link 3 drops", { type: 'connectionClosed', link: linkId(3), cause: 'network' });
  s.feed(tick(), 'Carl registers again on link 24, Cleo being offline (seniority: the offline one is disabled)', register(carl, 24));
  s.feed(tick(), 'Cleo, disabled but registered first, logs in on link 25 (seniority: the older registration wins)', login(cleo, 25));
  s.feed(tick(), 'Carl, banned, tries to start on link 26', login(carl, 26, 0, 'start'));

  s.section('A dialog between Alan and the application');
  s.feed(tick(), 'Alan sends #1 chat.text "hello hub"', say(21, app(1, 0, 'chat.text', 'hello hub')));
  s.feed(tick(), "the application confirms it handled Alan's #1", { type: 'appMessageHandled', clientId: alan.id, seq: 1 }, 'nothing to tell anyone: the hand-over is no longer pending (a crash now would not hand it over again)');
  s.feed(tick(), 'the application answers Alan', send('answer-1', alan, 'chat.text', 'hello Alan', 1));
  s.feed(tick(), "the application pushes news to Alpha's enabled client", send('news-1', { profile: 1 }, 'news', 'news #1'));
  s.feed(tick(), 'Alan sends #2 setInfo, acknowledging #1', say(21, { seq: 2, ack: 1, body: { type: 'setInfo', contact: { name: 'Alan', phone: '555-0199', email: 'alan@example.org' } } }));
  s.feed(tick(), 'Alan sends #2 again (a duplicate)', say(21, { seq: 2, ack: 1, body: { type: 'setInfo', contact: { name: 'Alan', phone: '555-0199', email: 'alan@example.org' } } }));
  s.feed(tick(), 'Alan sends #4 before #3 (a gap)', say(21, { seq: 4, ack: 1, body: { type: 'null', replyTo: 0 } }));
  s.feed(tick(), "Alan's link 21 drops with #2 and #3 unacknowledged", { type: 'connectionClosed', link: linkId(21), cause: 'network' });
  s.feed(tick(), 'the application sends Alan more news while he is offline (store and forward)', send('news-2', alan, 'news', 'news #2'));
  s.feed(tick(), 'Alan starts on link 31, having received up to #2', login(alan, 31, 2, 'start'));
  s.feed(tick(), 'Alan acknowledges everything with a bare ack', say(31, { seq: 0, ack: 4, body: { type: 'ack' } }), 'nothing to tell anyone: the outbox is trimmed, and a bare ack is not acknowledged');

  s.section('Bob and Cleo sign off');
  s.feed(tick(), 'Bob sends #1 close', say(2, { seq: 1, ack: 0, body: { type: 'close' } }));
  s.feed(tick(), 'Cleo sends #1 log and #2 close', say(25, { seq: 1, ack: 0, body: { type: 'log', at: T0, isError: false, text: 'bye' } }, { seq: 2, ack: 0, body: { type: 'close' } }));

  s.section('Liveness: a Sync answered, then silence');
  s.timersUntil(tick(cfg.syncAfterMs));
  const sync = s.state.sessions.get(linkId(31))?.dialog.outSeq ?? 0;
  s.feed(tick(700), `Alan answers the Sync: #3 null, acknowledging #${sync}`, say(31, { seq: 3, ack: sync, body: { type: 'null', replyTo: sync } }));
  s.timersUntil(tick(2 * cfg.deadAfterMs));

  s.section('The operator takes over');
  s.feed(tick(5_000), 'operator enables Ada (profile Alpha turns manual; Alan is disabled)', { type: 'statusSet', actionId: 'enable-ada', clientId: ada.id, status: 'enabled' });
  s.feed(tick(), 'Alan logs in on link 41', login(alan, 41, sync));

  // ---- the outcome --------------------------------------------------------------------
  const status = (a: Actor): string => s.state.clients.get(a.id)?.status ?? 'unregistered';
  s.expect(status(ada) === 'enabled', 'Ada enabled (by the operator)');
  s.expect(status(alan) === 'disabled', 'Alan disabled (the operator enabled Ada)');
  s.expect(status(bob) === 'enabled' && status(bea) === 'unregistered', 'Bob kept Bravo, Bea never registered (ignoreNew)');
  s.expect(status(cleo) === 'enabled' && status(carl) === 'banned', 'Cleo won Charlie back and Carl is banned (seniority)');
  s.expect(s.state.profiles.get(profileId(1))?.mode === 'manual', 'Alpha in manual mode after the operator acted');
  s.expect(s.state.sessions.size === 0, 'nobody online at the end');
  s.expect(s.delivered === 1, 'the one application message from Alan handed over exactly once');
  s.expect(pendingDeliveries(s.state).length === 0, 'no hand-over left unconfirmed');
  const alanDialog = clientDialogOf(s.state, s.state.clients.get(alan.id)!);
  s.expect(alanDialog !== null && alanDialog.inSeq === 3 && alanDialog.messagesIn === 3, "Alan's #1..#3 handled once each, the duplicate and the gap dropped");
  s.expect(alanDialog !== null && alanDialog.outAcked === sync && alanDialog.outbox.length === alanDialog.outSeq - sync, 'hub→Alan outbox holds exactly the unacknowledged Syncs');
  return s;
}

// ---- report ---------------------------------------------------------------------------

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

function summary(s: Scenario): string[] {
  const st = s.state;
  const rows = ALL.map((a) => {
    const c = st.clients.get(a.id);
    const p = st.profiles.get(profileId(a.profile))!;
    if (c === undefined) return [a.name, `${p.name} (${p.policy ?? st.config.policy}, ${p.mode})`, 'unregistered', '-', '-', '-', '-', '-'];
    const d = clientDialogOf(st, c)!;
    const link = st.online.get(c.id);
    return [
      a.name,
      `${p.name} (${p.policy ?? st.config.policy}, ${p.mode})`,
      c.status,
      link === undefined ? 'offline' : `link ${link}`,
      String(c.regSeq),
      `${d.inSeq} / ${d.messagesIn}`,
      `${d.outSeq} / ${d.outAcked} / ${d.outbox.length}`,
      String(d.messagesOut),
    ];
  });
  const commands = [...s.counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`);
  return [
    '',
    '== Summary',
    ...table(['client', 'profile (policy, mode)', 'status', 'online', 'reg#', 'in: handled / msgs', 'out: sent / acked / outbox', 'msgs out'], rows),
    '',
    `commands: ${commands.join(', ')}`,
  ];
}

const first = play();
const again = play();
const out = [...first.lines, ...summary(first)];
if (again.lines.join('\n') !== first.lines.join('\n')) first.problems.push('the second run differs from the first: the scenario is not deterministic');

out.push('');
if (first.problems.length === 0) {
  out.push('checks: invariants held after every step; outcome as expected; deterministic. OK');
} else {
  out.push(`checks: ${first.problems.length} problem(s):`, ...first.problems.map((p) => `  - ${p}`));
  process.exitCode = 1;
}
process.stdout.write(`${out.join('\n')}\n`);
