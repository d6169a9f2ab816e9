/**
 * The promise facade over a real engine and the real hub core, in virtual time.
 */
import { describe, expect, it } from 'vitest';
import {
  ClientStoppedError,
  ClientUsageError,
  connect,
  fromMemoryLink,
  memoryTransport,
  SendRefusedError,
  type DialogClient,
  type MemoryLinkLike,
} from '../src/index.js';
import { settle, SteppingClock } from './helpers/clock.js';
import { bytes, FakeHub, text } from './helpers/fake-hub.js';

async function connected(clock: SteppingClock, hub: FakeHub, secret: string): Promise<DialogClient> {
  let client: DialogClient | undefined;
  void connect({ transport: hub.transport, getCredentials: () => Promise.resolve({ clientId: 7, secret }), clock }).then((c) => {
    client = c;
  });
  await clock.until(() => client !== undefined, 60_000);
  return client as DialogClient;
}

function world() {
  const clock = new SteppingClock();
  const hub = new FakeHub(clock, { config: { appMessageTypes: ['chat'] } });
  hub.createProfile(1);
  return { clock, hub, secret: hub.registerDirect(7, 1) };
}

describe('connect()', () => {
  it('resolves online; send resolves once the hub acknowledged; on() hears messages', async () => {
    const { clock, hub, secret } = world();
    const client = await connected(clock, hub, secret);
    expect(client.status).toBe('online');
    expect(client.clientId).toBe(7);
    const got: string[] = [];
    const off = client.on('message', (m) => got.push(text(m.payload)));
    let acked = false;
    const sent = client.send('chat', bytes('hello')).then(() => {
      acked = true;
    });
    expect(acked).toBe(false);
    await clock.advance(10);
    await sent;
    expect(acked).toBe(true);
    expect(hub.delivered.map((d) => d.text)).toEqual(['hello']);
    hub.sendApp(7, 'chat', 'hi');
    await clock.advance(10);
    off();
    hub.sendApp(7, 'chat', 'unheard');
    await clock.advance(10);
    expect(got).toEqual(['hi']);
  });

  it('a send survives a lost link: it resolves when the hub acknowledges it after the re-login', async () => {
    const { clock, hub, secret } = world();
    const client = await connected(clock, hub, secret);
    hub.lastLink.blockUp = true;
    let acked = false;
    void client.send('chat', bytes('survivor')).then(() => {
      acked = true;
    });
    await clock.advance(10);
    hub.lastLink.lose();
    expect(client.status).toBe('online');
    await settle();
    expect(client.status).toBe('offline');
    await clock.until(() => acked, 60_000);
    expect(hub.delivered.map((d) => d.text)).toEqual(['survivor']);
    expect(client.status).toBe('online');
  });

  it('rejects with ClientStoppedError when the engine stops before it is online', async () => {
    const { clock, hub } = world();
    let error: unknown;
    void connect({ transport: hub.transport, getCredentials: () => Promise.resolve({ clientId: 7, secret: 'wrong' }), clock }).catch((e: unknown) => {
      error = e;
    });
    await clock.until(() => error !== undefined, 60_000);
    expect(error).toBeInstanceOf(ClientStoppedError);
    expect((error as ClientStoppedError).reason).toBe('badCredentials');
  });

  it('send rejects with SendRefusedError for a malformed message, and pending sends reject on close', async () => {
    const { clock, hub, secret } = world();
    const client = await connected(clock, hub, secret);
    await expect(client.send('no spaces allowed', bytes('x'))).rejects.toEqual(new SendRefusedError('invalidMessage'));
    hub.lastLink.blockDown = true;
    const pending = client.send('chat', bytes('never acknowledged'));
    await client.close();
    await expect(pending).rejects.toEqual(new ClientStoppedError('closedByUser'));
    expect(client.status).toBe('stopped');
    await expect(client.send('chat', bytes('late'))).rejects.toEqual(new SendRefusedError('stopped'));
  });
});

describe('resume()', () => {
  /** Settles `p` in virtual time: its outcome, once known. */
  async function outcome(clock: SteppingClock, p: Promise<void>): Promise<{ ok: true } | { ok: false; error: unknown }> {
    let result: { ok: true } | { ok: false; error: unknown } | undefined;
    p.then(
      () => (result = { ok: true }),
      (error: unknown) => (result = { ok: false, error }),
    );
    await clock.until(() => result !== undefined, 60_000);
    return result!;
  }

  it('after the engine stopped replaced: one resume request, resolves online; the `resume` event says ok', async () => {
    const { clock, hub, secret } = world();
    const client = await connected(clock, hub, secret);
    hub.registerDirect(8, 1); // replaceOld: 7 is replaced (disabled)
    await clock.until(() => client.status === 'stopped', 60_000);
    const reported: unknown[] = [];
    client.on('resume', (e) => reported.push(e));
    expect(await outcome(clock, client.resume())).toEqual({ ok: true });
    expect(client.status).toBe('online');
    expect(reported).toEqual([{ type: 'resume', result: 'ok', reason: null }]);
    expect(hub.lastLink.sent[0]).toMatchObject({ kind: 'request', request: { kind: 'resume', clientId: 7 } });
    expect(hub.state.clients.get(7)?.status).toBe('enabled');
  });

  it('rejects with ClientStoppedError(reason) when refused, and with ClientUsageError(notStopped) while running', async () => {
    const { clock, hub, secret } = world();
    const client = await connected(clock, hub, secret);
    const running = await outcome(clock, client.resume());
    expect(running).toMatchObject({ ok: false, error: expect.any(ClientUsageError) });
    expect((running as { error: ClientUsageError }).error.code).toBe('notStopped');
    hub.setStatus(7, 'disabled'); // an operator's decision: the profile is manual now
    await clock.until(() => client.status === 'stopped', 60_000);
    const refused = await outcome(clock, client.resume());
    expect(refused).toEqual({ ok: false, error: new ClientStoppedError('profileManual') });
    expect(client.status).toBe('stopped');
  });
});

describe('memory transport adapter', () => {
  function fakeMemoryLink(sendOk: boolean) {
    const calls: string[] = [];
    let receive: ((f: never) => void) | null = null;
    let closed: ((end: { by: 'hub' | 'client' | 'transport'; reason: null | 'kicked'; detail: string | null }) => void) | null = null;
    const link: MemoryLinkLike = {
      send: () => {
        calls.push('send');
        return sendOk;
      },
      onReceive: (l) => {
        receive = l as never;
        return () => {};
      },
      onClose: (l) => {
        closed = l as never;
        return () => {};
      },
      close: () => calls.push('close'),
    };
    return { link, calls, receive: () => receive, closed: () => closed };
  }

  it('maps send, frames and the link end to the ClientLink shape', async () => {
    const m = fakeMemoryLink(true);
    const link = fromMemoryLink(m.link);
    await expect(link.send({ kind: 'dialog', clientId: 1 as never, messages: [] })).resolves.toBeUndefined();
    const frames: unknown[] = [];
    link.onFrame((f) => frames.push(f));
    m.receive()?.({ kind: 'close', reason: 'kicked', reconnect: false } as never);
    expect(frames).toEqual([{ kind: 'close', reason: 'kicked', reconnect: false }]);
    const ends: unknown[] = [];
    link.onClose((reason, cause) => ends.push([reason, cause]));
    m.closed()?.({ by: 'hub', reason: 'kicked', detail: null });
    m.closed()?.({ by: 'client', reason: null, detail: null });
    m.closed()?.({ by: 'transport', reason: null, detail: 'badFrame' });
    expect(ends).toEqual([
      ['kicked', 'closedByHub'],
      [null, 'closedByClient'],
      [null, 'transport: badFrame'],
    ]);
    link.close();
    expect(m.calls).toEqual(['send', 'close']);
  });

  it('send rejects once the memory link has ended; memoryTransport opens one link per connect()', async () => {
    const m = fakeMemoryLink(false);
    await expect(fromMemoryLink(m.link).send({ kind: 'dialog', clientId: 1 as never, messages: [] })).rejects.toThrow('ended');
    let opened = 0;
    const transport = memoryTransport({
      connect: () => {
        opened += 1;
        return m.link;
      },
    });
    await transport.connect();
    await transport.connect();
    expect(opened).toBe(2);
  });
});
