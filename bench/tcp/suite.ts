/**
 * Theory of operation: the `tcp` suite — the hub over its TCP transport,
 * end to end on loopback, against aedes (MQTT 3.1.1) and a bare node:net
 * echo server (docs/performance.md, "TCP transport", gives the method and
 * the figures).
 *
 * Placement: every server runs in a child process of its own (one per
 * system: dialoghub on `MemoryStore`, dialoghub on `JournalStore`, aedes,
 * raw), every client in this process. Same choice for every system.
 *
 * Concurrency: the same for every system — CONCURRENCY connections busy at
 * once for the rates and the heap fill, each with WINDOW messages in flight
 * for the message rates; takeovers one at a time (a latency, not a
 * throughput).
 *
 * 1. setup: each dialoghub hub gets one profile per account and every
 *    account registers once over TCP (its secret is kept).
 * 2. `login_rate`: LOGINS times connect, log in (dialoghub `login` with the
 *    secret → `ok`; aedes CONNECT → CONNACK; raw: the server's hello frame),
 *    then close. Accounts are taken round-robin so none is reused while its
 *    last connection may still be open.
 * 3. `takeover_p50/p99`: a client is logged in on link A; the same client
 *    logs in on link B (already connected). From B's login request (MQTT
 *    CONNECT) being written to A's close arriving at A (`pushedOut` close
 *    frame; for aedes the socket's 'close').
 * 4. `ack_msg_rate`: CONCURRENCY logged-in connections, WINDOW app messages
 *    in flight each (dialoghub: an app message handled by `hub.handle`,
 *    acknowledged by the hub's ack; aedes: QoS 1 PUBLISH → PUBACK; raw: a
 *    frame of the dialog frame's size echoed back), MESSAGES in total.
 * 5. `heap_per_connection`: the server child's heap after a full collection,
 *    before and after HEAP_CONNECTIONS idle logged-in connections, divided by
 *    the count (limited by the fd limit; see `fdLimit`).
 *
 * Rates and takeovers run in ROUNDS, systems interleaved within each round,
 * and the median round is reported: other load on the machine then weighs on
 * every system alike. Each record carries the CPU the server child and this
 * (client) process used during the measurement, as a share of one core, so a
 * reader sees which side was the bottleneck.
 */
import { encodeFrame, clientId as cid } from '@dialoghub/core';
import { execFileSync } from 'node:child_process';
import type { Suite, SuiteContext } from '../suites.js';
import { clock, median, seconds, sig } from '../timing.js';
import { ServerChild } from './child.js';
import { login, register, takeover, type Account, type Session } from './dialoghub-client.js';
import { mqttConnect, mqttEnd, mqttPump, mqttTakeover } from './mqtt-client.js';
import { RawConnection } from './raw-client.js';
import { APP_TYPE, PAYLOAD_BYTES, type SystemName } from './shared.js';

/** Connections busy at once (rates, heap fill); `DH_BENCH_TCP_CONCURRENCY` overrides it for exploration. */
const CONCURRENCY = envInt('DH_BENCH_TCP_CONCURRENCY', 50);
/** Messages in flight per connection in the message-rate runs; `DH_BENCH_TCP_WINDOW` overrides it. */
const WINDOW = envInt('DH_BENCH_TCP_WINDOW', 4);
const FULL = { accounts: 10_000, logins: 15_000, takeovers: 1_500, messages: 200_000, heapConnections: 10_000, rounds: 3 };
const QUICK = { accounts: 500, logins: 1_000, takeovers: 100, messages: 20_000, heapConnections: 1_000, rounds: 1 };
type Sizes = typeof FULL;

/** Longest any one phase may take before the suite gives up (it then stops every server). */
const PHASE_TIMEOUT_MS = 120_000;

const TARGETS = { loginVsAedes: 1.5, takeoverP50VsAedes: 1, ackVsAedes: 1, ackVsRaw: 0.3 } as const;

type Target = 'dialoghub' | 'dialoghub_durable' | 'aedes' | 'raw';

interface Server {
  readonly target: Target;
  readonly system: SystemName;
  readonly child: ServerChild;
  readonly port: number;
  readonly accounts: Account[];
  /** Round-robin cursor over accounts / client ids, so no id is reused while its last connection may linger. */
  cursor: number;
}

interface Measured {
  readonly rate: number;
  readonly seconds: number;
  readonly serverCpu: number;
  /** The kernel's share of serverCpu (system time). */
  readonly serverSys: number;
  readonly clientCpu: number;
  readonly handled: number;
  readonly writes: number;
  readonly reads: number;
  readonly steps: number;
  readonly appends: number;
}

export const suite: Suite = {
  name: 'tcp',
  description: 'the hub over TCP on loopback vs aedes (MQTT 3.1.1) and a raw node:net echo: logins/s, takeover latency, acknowledged messages/s, heap per connection',
  async run(ctx) {
    const sizes: Sizes = ctx.options.quick ? QUICK : FULL;
    const limit = fdLimit();
    // Each process (clients here, the server in its child) holds one descriptor per connection, plus a few hundred of its own.
    const heapConnections = Math.min(sizes.heapConnections, Math.max(100, Math.floor((limit - 1_000) / 100) * 100));
    if (heapConnections < sizes.heapConnections) {
      ctx.progress(`ulimit -n is ${limit}: heap per connection measured at ${heapConnections} connections, not ${sizes.heapConnections}`);
    }
    const accounts = Math.max(sizes.accounts, heapConnections, CONCURRENCY * 2);
    const appFrameBytes = 4 + encodeFrame({ kind: 'dialog', clientId: cid(accounts), messages: [{ seq: 1_000, ack: 0, body: { type: 'app', appType: APP_TYPE, payload: new Uint8Array(PAYLOAD_BYTES), replyTo: 0 } }] }).length;
    const answerBytes = 4 + encodeFrame({ kind: 'answer', requestId: 2, answer: { code: 'ok', clientId: cid(accounts), status: 'enabled', secret: null, lastReceived: 0, lastSent: 0 } }).length;
    const common = { concurrency: CONCURRENCY, placement: 'server in a child process, clients in the parent' };

    const servers: Server[] = [];
    try {
      ctx.progress(`starting the servers (child processes): dialoghub (MemoryStore), dialoghub (JournalStore), aedes, raw…`);
      for (const [target, spec] of [
        ['dialoghub', { system: 'dialoghub' }],
        ['dialoghub_durable', { system: 'dialoghub', durable: true }],
        ['aedes', { system: 'aedes' }],
        ['raw', { system: 'raw', helloBytes: answerBytes }],
      ] as const) {
        const { child, port } = await ServerChild.start(target, spec);
        servers.push({ target, system: spec.system, child, port, accounts: [], cursor: 0 });
      }
      const by = (t: Target): Server => servers.find((s) => s.target === t)!;
      for (const s of servers.filter((x) => x.system === 'dialoghub')) {
        ctx.progress(`${s.target}: ${accounts.toLocaleString('en-US')} profiles, then ${accounts.toLocaleString('en-US')} registrations over TCP…`);
        await s.child.call({ cmd: 'profiles', count: accounts });
        const registered = new Array<Account>(accounts);
        const t0 = clock();
        await timed(`${s.target} setup`, pool(CONCURRENCY, accounts, async (i) => void (registered[i] = await register(s.port, i + 1))));
        s.accounts.push(...registered);
        ctx.progress(`  ${Math.round(accounts / seconds(clock() - t0)).toLocaleString('en-US')} registrations/s`);
      }

      // ---- login rate ---------------------------------------------------------------
      const loginRuns = new Map<Target, Measured[]>();
      for (let round = 0; round < sizes.rounds; round++) {
        for (const s of servers) {
          if (round === 0) await loginRun(s, Math.ceil(sizes.logins / 10)); // warm-up
          const m = await timed(`${s.target} logins`, loginRun(s, sizes.logins));
          push(loginRuns, s.target, m);
          ctx.progress(`login_rate ${s.target} round ${round + 1}: ${Math.round(m.rate).toLocaleString('en-US')}/s (server ${pct(m.serverCpu)}, client ${pct(m.clientCpu)} of a core)`);
        }
      }
      const login = (t: Target): Measured => medianRun(loginRuns.get(t)!);
      for (const t of ['dialoghub', 'aedes', 'raw', 'dialoghub_durable'] as const) {
        const m = login(t);
        ctx.report({
          name: t === 'dialoghub_durable' ? 'login_rate_durable' : 'login_rate',
          system: by(t).system,
          ...(by(t).system === 'dialoghub' ? { clients: accounts } : {}),
          value: Math.round(m.rate),
          unit: 'logins/s',
          of: LOGIN_OF[by(t).system] + (t === 'dialoghub_durable' ? ' (JournalStore: group commit + fdatasync)' : t === 'dialoghub' ? ' (MemoryStore)' : ''),
          count: sizes.logins,
          ...(m.steps > 0 ? { steps_per_login: sig(m.steps / sizes.logins), inputs_per_commit: sig(m.steps / m.appends) } : {}),
          ...common,
          ...cpu(m),
          rounds: loginRuns.get(t)!.map((r) => Math.round(r.rate)),
        });
      }

      // ---- takeover latency --------------------------------------------------------------
      const takeovers = new Map<Target, number[]>();
      const takeoverRounds = new Map<Target, number[][]>();
      const perRound = Math.ceil(sizes.takeovers / sizes.rounds);
      for (let round = 0; round < sizes.rounds; round++) {
        for (const s of servers.filter((x) => x.system !== 'raw')) {
          if (round === 0) await takeoverRun(s, Math.ceil(perRound / 10)); // warm-up
          const samples = await timed(`${s.target} takeovers`, takeoverRun(s, perRound));
          for (const v of samples) push(takeovers, s.target, v);
          push(takeoverRounds, s.target, samples);
          ctx.progress(`takeover ${s.target} round ${round + 1}: p50 ${sig(quantile(samples, 0.5))} ms, p99 ${sig(quantile(samples, 0.99))} ms`);
        }
      }
      for (const t of ['dialoghub', 'aedes', 'dialoghub_durable'] as const) {
        const samples = takeovers.get(t)!;
        for (const [q, label] of [
          [0.5, 'p50'],
          [0.99, 'p99'],
        ] as const) {
          ctx.report({
            name: `takeover_${label}${t === 'dialoghub_durable' ? '_durable' : ''}`,
            system: by(t).system,
            value: sig(quantile(samples, q)),
            unit: 'ms',
            of: TAKEOVER_OF[by(t).system],
            samples: samples.length,
            concurrency: 1,
          });
        }
      }

      // ---- acknowledged messages ------------------------------------------------------------
      const ackRuns = new Map<Target, Measured[]>();
      for (let round = 0; round < sizes.rounds; round++) {
        for (const s of servers) {
          const m = await timed(`${s.target} messages`, ackRun(s, sizes.messages, round === 0, appFrameBytes));
          push(ackRuns, s.target, m);
          ctx.progress(`ack_msg_rate ${s.target} round ${round + 1}: ${Math.round(m.rate).toLocaleString('en-US')}/s (server ${pct(m.serverCpu)}, client ${pct(m.clientCpu)} of a core)`);
        }
      }
      const ack = (t: Target): Measured => medianRun(ackRuns.get(t)!);
      for (const t of ['dialoghub', 'aedes', 'raw', 'dialoghub_durable'] as const) {
        const m = ack(t);
        ctx.report({
          name: t === 'dialoghub_durable' ? 'ack_msg_rate_durable' : 'ack_msg_rate',
          system: by(t).system,
          value: Math.round(m.rate),
          unit: 'msgs/s',
          of: ACK_OF[by(t).system] + (t === 'dialoghub_durable' ? ' (JournalStore)' : t === 'dialoghub' ? ' (MemoryStore)' : ''),
          count: sizes.messages,
          window: WINDOW,
          in_flight: CONCURRENCY * WINDOW,
          ...(by(t).system === 'aedes' ? {} : { frame_bytes: appFrameBytes }),
          payload_bytes: PAYLOAD_BYTES,
          handled_by_server: m.handled,
          ...(m.steps > 0 ? { steps_per_msg: sig(m.steps / sizes.messages), inputs_per_commit: sig(m.steps / m.appends) } : {}),
          ...(m.writes > 0 ? { server_writes_per_msg: sig(m.writes / sizes.messages), server_reads_per_msg: sig(m.reads / sizes.messages) } : {}),
          ...common,
          ...cpu(m),
          rounds: ackRuns.get(t)!.map((r) => Math.round(r.rate)),
        });
      }

      // ---- heap per idle connection ----------------------------------------------------------
      const heaps = new Map<Target, number>();
      for (const t of ['dialoghub_durable', 'aedes', 'raw'] as const) {
        const s = by(t);
        ctx.progress(`heap: ${heapConnections.toLocaleString('en-US')} idle connections on ${t}…`);
        const h = await timed(`${t} heap`, heapRun(s, heapConnections));
        heaps.set(t, h.perConnection);
        ctx.report({
          name: 'heap_per_connection',
          system: s.system,
          connections: heapConnections,
          value: Math.round(h.perConnection),
          unit: 'bytes',
          of: HEAP_OF[s.system],
          ...(heapConnections < FULL.heapConnections && !ctx.options.quick ? { note: `ulimit -n ${limit}: ${heapConnections} connections, not ${FULL.heapConnections}` } : {}),
        });
      }

      // ---- ratios -----------------------------------------------------------------------------
      // The value compares the reported (median-round) figures; `rounds` gives the same ratio within
      // each round, where both systems ran back to back under the same background load.
      const ratio = (name: string, value: number, of: string, rounds: readonly number[] | null, target?: { text: string; met: boolean }): void =>
        ctx.report({
          name,
          system: 'dialoghub',
          value: sig(value),
          unit: 'x',
          of,
          ...(target ? { target: target.text, met: target.met } : {}),
          ...(rounds !== null && rounds.length > 1 ? { rounds: rounds.map((r) => sig(r)) } : {}),
        });
      const rateRounds = (runs: Map<Target, Measured[]>, a: Target, b: Target): number[] => runs.get(a)!.map((r, i) => r.rate / runs.get(b)![i]!.rate);
      const rate = (runs: Map<Target, Measured[]>, a: Target, b: Target): number => medianRun(runs.get(a)!).rate / medianRun(runs.get(b)!).rate;
      const rateRatio = (name: string, runs: Map<Target, Measured[]>, metric: string, a: Target, b: Target, min?: number): void => {
        const v = rate(runs, a, b);
        const of = `${metric}${a === 'dialoghub_durable' ? '_durable' : '(dialoghub)'} / ${metric}(${b})`;
        ratio(name, v, of, rateRounds(runs, a, b), min === undefined ? undefined : { text: `>= ${min}`, met: v >= min });
      };
      rateRatio('login_rate_vs_aedes', loginRuns, 'login_rate', 'dialoghub', 'aedes', TARGETS.loginVsAedes);
      rateRatio('login_rate_vs_raw', loginRuns, 'login_rate', 'dialoghub', 'raw');
      rateRatio('login_rate_durable_vs_aedes', loginRuns, 'login_rate', 'dialoghub_durable', 'aedes');
      for (const q of [0.5, 0.99] as const) {
        const label = q === 0.5 ? 'p50' : 'p99';
        for (const t of ['dialoghub', 'dialoghub_durable'] as const) {
          const r = quantile(takeovers.get(t)!, q) / quantile(takeovers.get('aedes')!, q);
          const name = `takeover_${label}${t === 'dialoghub' ? '' : '_durable'}_vs_aedes`;
          const rounds = takeoverRounds.get(t)!.map((samples, i) => quantile(samples, q) / quantile(takeoverRounds.get('aedes')![i]!, q));
          const target = q === 0.5 && t === 'dialoghub' ? { text: `<= ${TARGETS.takeoverP50VsAedes}`, met: r <= TARGETS.takeoverP50VsAedes } : undefined;
          ratio(name, r, `takeover_${label}${t === 'dialoghub' ? '(dialoghub)' : '_durable'} / takeover_${label}(aedes): below 1 is faster`, rounds, target);
        }
      }
      rateRatio('ack_msg_rate_vs_aedes', ackRuns, 'ack_msg_rate', 'dialoghub', 'aedes', TARGETS.ackVsAedes);
      rateRatio('ack_msg_rate_vs_raw', ackRuns, 'ack_msg_rate', 'dialoghub', 'raw', TARGETS.ackVsRaw);
      rateRatio('ack_msg_rate_durable_vs_aedes', ackRuns, 'ack_msg_rate', 'dialoghub_durable', 'aedes');
      rateRatio('ack_msg_rate_durable_vs_raw', ackRuns, 'ack_msg_rate', 'dialoghub_durable', 'raw');
      ratio('heap_per_connection_vs_aedes', heaps.get('dialoghub_durable')! / heaps.get('aedes')!, 'heap_per_connection(dialoghub) / heap_per_connection(aedes): below 1 is leaner', null);
      ratio('heap_per_connection_vs_raw', heaps.get('dialoghub_durable')! / heaps.get('raw')!, 'heap_per_connection(dialoghub) / heap_per_connection(raw)', null);
    } finally {
      for (const s of servers) await s.child.stop().catch((e: unknown) => ctx.progress(`stopping ${s.target}: ${String(e)}`));
    }
  },
};

const LOGIN_OF: Record<SystemName, string> = {
  dialoghub: 'connect, login with the secret, ok answer, close',
  aedes: 'connect, MQTT 3.1.1 CONNECT, CONNACK, DISCONNECT',
  raw: 'connect, server hello frame (login-answer size) received, close',
};
const TAKEOVER_OF: Record<SystemName, string> = {
  dialoghub: "second login's request written → old link's pushedOut close frame arrived (replaceOld)",
  aedes: "second CONNECT (same client id) written → old client's 'close'",
  raw: '',
};
const ACK_OF: Record<SystemName, string> = {
  dialoghub: 'app message sent → hub.handle got it → hub ack received',
  aedes: 'QoS 1 PUBLISH → PUBACK (broker publish event counted)',
  raw: 'same-size length-prefixed frame echoed back',
};
const HEAP_OF: Record<SystemName, string> = {
  dialoghub: 'idle logged-in connection, hub child heap delta after gc (JournalStore hub)',
  aedes: 'idle connected MQTT client, broker child heap delta after gc',
  raw: 'idle accepted socket, echo child heap delta after gc',
};

// ---- the measurements -------------------------------------------------------------------

async function measure(s: Server, count: number, work: () => Promise<void>): Promise<Measured> {
  const before = await s.child.stats();
  const c0 = process.cpuUsage();
  const t0 = clock();
  await work();
  const sec = seconds(clock() - t0);
  const c1 = process.cpuUsage(c0);
  const after = await s.child.stats();
  return {
    rate: count / sec,
    seconds: sec,
    serverCpu: (after.cpuMicros - before.cpuMicros) / 1e6 / sec,
    serverSys: (after.sysMicros - before.sysMicros) / 1e6 / sec,
    clientCpu: (c1.user + c1.system) / 1e6 / sec,
    handled: after.handled - before.handled,
    writes: after.writes - before.writes,
    reads: after.reads - before.reads,
    steps: after.steps - before.steps,
    appends: after.appends - before.appends,
  };
}

function nextAccount(s: Server): Account {
  const a = s.accounts[s.cursor % s.accounts.length]!;
  s.cursor++;
  return a;
}

/** The next MQTT client id for `s` (a pool as large as the dialoghub accounts, round-robin). */
function nextMqttId(s: Server, pool: number): string {
  return `c${s.cursor++ % pool}`;
}

function loginRun(s: Server, count: number): Promise<Measured> {
  return measure(s, count, () =>
    pool(CONCURRENCY, count, async () => {
      switch (s.system) {
        case 'dialoghub': {
          const session = await login(s.port, nextAccount(s), PAYLOAD_BYTES);
          session.close();
          return;
        }
        case 'aedes': {
          const client = await mqttConnect(s.port, nextMqttId(s, FULL.accounts));
          client.end();
          return;
        }
        case 'raw': {
          const c = await RawConnection.open(s.port);
          c.socket.end();
          return;
        }
      }
    }),
  );
}

async function takeoverRun(s: Server, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(s.system === 'dialoghub' ? await takeover(s.port, nextAccount(s), PAYLOAD_BYTES) : await mqttTakeover(s.port, nextMqttId(s, FULL.accounts)));
  }
  return out;
}

async function ackRun(s: Server, count: number, warmUp: boolean, frameBytes: number): Promise<Measured> {
  switch (s.system) {
    case 'dialoghub': {
      const sessions: Session[] = [];
      try {
        await pool(CONCURRENCY, CONCURRENCY, async () => void sessions.push(await login(s.port, nextAccount(s), PAYLOAD_BYTES)));
        const load = async (n: number): Promise<void> => {
          const budget = { left: n };
          const acked = (await Promise.all(sessions.map((x) => x.pump(WINDOW, budget)))).reduce((a, b) => a + b, 0);
          if (acked !== n) throw new Error(`dialoghub: ${acked} of ${n} messages acknowledged`);
        };
        if (warmUp) await load(Math.ceil(count / 10));
        const m = await measure(s, count, () => load(count));
        if (m.handled < count) throw new Error(`dialoghub: the handler saw ${m.handled} of ${count} acknowledged messages`);
        return m;
      } finally {
        for (const x of sessions) x.close();
      }
    }
    case 'aedes': {
      const clients = await Promise.all(Array.from({ length: CONCURRENCY }, () => mqttConnect(s.port, nextMqttId(s, FULL.accounts))));
      try {
        const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
        const load = async (n: number): Promise<void> => {
          const budget = { left: n };
          const acked = (await Promise.all(clients.map((c, i) => mqttPump(c, `bench/${i}`, payload, WINDOW, budget)))).reduce((a, b) => a + b, 0);
          if (acked !== n) throw new Error(`aedes: ${acked} of ${n} publishes acknowledged`);
        };
        if (warmUp) await load(Math.ceil(count / 10));
        return await measure(s, count, () => load(count));
      } finally {
        await Promise.all(clients.map((c) => mqttEnd(c)));
      }
    }
    case 'raw': {
      const conns = await Promise.all(Array.from({ length: CONCURRENCY }, () => RawConnection.open(s.port)));
      try {
        const frame = Buffer.alloc(frameBytes, 0x61);
        frame.writeUInt32BE(frameBytes - 4, 0);
        const load = async (n: number): Promise<void> => {
          const budget = { left: n };
          const echoed = (await Promise.all(conns.map((c) => c.pump(frame, WINDOW, budget)))).reduce((a, b) => a + b, 0);
          if (echoed !== n) throw new Error(`raw: ${echoed} of ${n} frames echoed`);
        };
        if (warmUp) await load(Math.ceil(count / 10));
        return await measure(s, count, () => load(count));
      } finally {
        await Promise.all(conns.map((c) => c.close()));
      }
    }
  }
}

async function heapRun(s: Server, n: number): Promise<{ perConnection: number }> {
  const closers: (() => unknown)[] = [];
  try {
    await waitForConnections(s, 0);
    const before = await s.child.heap();
    await pool(CONCURRENCY, n, async () => {
      switch (s.system) {
        case 'dialoghub': {
          const session = await login(s.port, nextAccount(s), PAYLOAD_BYTES);
          closers.push(() => session.close());
          return;
        }
        case 'aedes': {
          const c = await mqttConnect(s.port, nextMqttId(s, FULL.accounts));
          closers.push(() => c.end(true));
          return;
        }
        case 'raw': {
          const c = await RawConnection.open(s.port);
          closers.push(() => c.socket.destroy());
          return;
        }
      }
    });
    await waitForConnections(s, n);
    const after = await s.child.heap();
    return { perConnection: (after.heapUsed - before.heapUsed) / n };
  } finally {
    for (const c of closers) c();
    await waitForConnections(s, 0).catch(() => undefined);
  }
}

/** Waits (up to 30 s) until the server holds exactly `n` connections. */
async function waitForConnections(s: Server, n: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const held = await s.child.connections();
    if (held === n) return;
    if (Date.now() > deadline) throw new Error(`${s.target}: the server holds ${held} connections, expected ${n}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- helpers -----------------------------------------------------------------------------

/** Runs `count` tasks, at most `concurrency` at a time; rejects on the first failure. */
async function pool(concurrency: number, count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function timed<T>(label: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no result after ${PHASE_TIMEOUT_MS / 1000} s`)), PHASE_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

function medianRun(runs: readonly Measured[]): Measured {
  const rates = runs.map((r) => r.rate);
  const mid = median(rates);
  return runs.reduce((best, r) => (Math.abs(r.rate - mid) < Math.abs(best.rate - mid) ? r : best), runs[0]!);
}

function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** CPU as a share of one core during the measurement; `server_us_per_op`: server CPU time per operation (user + kernel), and the kernel's part. */
function cpu(m: Measured): { server_cpu: number; client_cpu: number; server_us_per_op: number; server_sys_us_per_op: number; seconds: number } {
  return {
    server_cpu: sig(m.serverCpu, 2),
    client_cpu: sig(m.clientCpu, 2),
    server_us_per_op: sig((m.serverCpu * 1e6) / m.rate, 2),
    server_sys_us_per_op: sig((m.serverSys * 1e6) / m.rate, 2),
    seconds: sig(m.seconds),
  };
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return n;
}

/** The soft descriptor limit this process runs with (`ulimit -n`, inherited by the children). */
function fdLimit(): number {
  try {
    const v = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v);
  } catch {
    return 1024;
  }
}
