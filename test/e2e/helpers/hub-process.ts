/**
 * A hub in a process of its own, for the crash test (restart.test.ts): a
 * `Hub` on a `JournalStore` in the data directory given on the command line
 * and a `TcpTransport` on an ephemeral port. The test kills it with SIGKILL
 * — a real crash: no close, no snapshot, the journal as fsync left it, the
 * lock file left behind by a dead pid — and starts another on the same
 * directory.
 *
 *   node --conditions=@dialoghub/source --import tsx hub-process.ts <dataDir> <deliveryLog> <run>
 *
 * - stdout, one JSON object a line: `{ event: 'listening', port, pid }`, then
 *   `{ event: 'done', id, ok, reason }` for each command, `{ event: 'closed' }`.
 * - stdin, one JSON object a line: `{ op: 'profile', id }`,
 *   `{ op: 'send', id, clientId, text }` (a `chat` message to a client),
 *   `{ op: 'close', id }` (a graceful `hub.close()`, then exit).
 * - the delivery log: one JSON line per `chat` message the handler got,
 *   `{ run, clientId, seq, text }`, appended synchronously inside the handler
 *   (so a SIGKILL cannot lose a line the handler wrote), preceded by
 *   `{ run, replays }`: the `(clientId, seq)` keys whose handling the
 *   previous run had not confirmed, which this run hands over again
 *   (docs/protocol.md §6.6). In run `1`, the handler of the message
 *   `up hold` never finishes (it is "still running" when the crash comes),
 *   so that message and every later one from its client stay unconfirmed.
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { TcpTransport } from '@dialoghub/adapter-tcp';
import { clientId, pendingDeliveries, profileId } from '@dialoghub/core';
import { Hub, JournalStore, type ActionOutcome } from '@dialoghub/runtime';

const [dir, deliveryLog, run] = process.argv.slice(2);
if (dir === undefined || deliveryLog === undefined || run === undefined) {
  process.stderr.write('usage: hub-process.ts <dataDir> <deliveryLog> <run>\n');
  process.exit(2);
}

const out = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
const decoder = new TextDecoder();

const store = await JournalStore.open({ dir });
const transport = new TcpTransport({ stopTimeoutMs: 1_000, lingerMs: 200 });
const hub = await Hub.open({
  transport,
  store,
  // Liveness far beyond the test's length: the crash, not a timeout, is under test.
  config: { appMessageTypes: ['chat'], syncAfterMs: 600_000, deadAfterMs: 1_200_000 },
  setup: (h) => {
    const replays = pendingDeliveries(h.state).flatMap((c) => (c.type === 'deliver' ? [`${c.clientId}/${c.seq}`] : []));
    appendFileSync(deliveryLog, `${JSON.stringify({ run, replays })}\n`);
    h.handle('chat', (d) => {
      const text = decoder.decode(d.payload);
      appendFileSync(deliveryLog, `${JSON.stringify({ run, clientId: d.clientId, seq: d.seq, text })}\n`);
      // In the first run, a message `up hold` is still being handled when the crash comes: its handler
      // never finishes, so neither it nor anything after it from that client is confirmed.
      if (run === '1' && text === 'up hold') return new Promise<void>(() => {});
      return undefined;
    });
  },
});
out({ event: 'listening', port: transport.address().port, pid: process.pid });

const done = (id: number) => (o: ActionOutcome) => out({ event: 'done', id, ok: o.ok, reason: o.reason });
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const cmd = JSON.parse(line) as { op: string; id: number; clientId?: number; text?: string };
  switch (cmd.op) {
    case 'profile':
      void hub.operate({ type: 'profileCreated', profileId: profileId(1), name: 'one' }).then(done(cmd.id));
      break;
    case 'send':
      void hub.send(clientId(cmd.clientId ?? 0), 'chat', new TextEncoder().encode(cmd.text ?? '')).then(done(cmd.id));
      break;
    case 'close':
      await hub.close();
      out({ event: 'closed' });
      process.exit(0);
      break;
    default:
      process.stderr.write(`unknown op ${cmd.op}\n`);
  }
}
