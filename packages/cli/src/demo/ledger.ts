/**
 * Theory of operation: the demo's books — what was acknowledged against what
 * arrived, in both directions. A message is **lost** when its sender was told
 * it arrived and it never did:
 *
 * - client → hub: a client engine's `send` was acknowledged by the hub
 *   (`acknowledged` names its ref), but the hub's application handler never
 *   got that payload from that client;
 * - hub → client: the hub wrote an application message `(client, seq)` to
 *   the client's dialog (a `writeDialog` command of a step), the client
 *   acknowledged that seq (the hub's `outAcked` for the client at the end),
 *   but no engine of that client handed a message with that seq and that
 *   payload to the application.
 *
 * Every payload is unique (`c<client>.<engine>.<n>` from clients, anything the hub
 * sends is keyed by its seq), so a payload handed over twice is a
 * **duplicate**. On the client side duplicates are counted per engine: a
 * second engine of the same client id (a new installation after a push-out)
 * may legitimately receive again what the first one never acknowledged.
 * Messages that were never acknowledged — sent just before a push-out, a
 * refusal or the end — are neither lost nor delivered: they are counted as
 * unacknowledged.
 */

export interface DirectionBooks {
  /** Messages sent (client sends queued by the engine; application messages the hub wrote). */
  readonly sent: number;
  /** Of those, the ones the sender saw acknowledged. */
  readonly acknowledged: number;
  /** Distinct messages the receiving application got. */
  readonly delivered: number;
  /** Acknowledged but never delivered. */
  readonly lost: number;
  /** Handed to the application a second time. */
  readonly duplicates: number;
}

export interface LedgerSummary {
  readonly clientToHub: DirectionBooks;
  readonly hubToClient: DirectionBooks;
  /** clientToHub.lost + hubToClient.lost. */
  readonly lost: number;
  readonly duplicates: number;
  /** Messages delivered in both directions. */
  readonly delivered: number;
  /** Client sends refused by the engine (`sendRefused`: buffer full, stopped). */
  readonly refused: number;
  /** The first lost messages (at most 10), for a person to look up in the trace: `c<client>.<engine>.<n>` or `<client>:<seq>` (hub → client). */
  readonly lostSamples: readonly string[];
}

const decoder = new TextDecoder();

/** A message's payload as the demo writes it (UTF-8 text). */
export function payloadText(payload: Uint8Array): string {
  return decoder.decode(payload);
}

/** The client a client-message payload `c<client>.<engine>.<n>` names, or null. */
function senderOf(key: string): number | null {
  const m = /^c(\d+)\.\d+\.\d+$/.exec(key);
  return m === null ? null : Number(m[1]);
}

export class Ledger {
  // client → hub
  private readonly sentByClients = new Set<string>();
  private readonly ackedByHub = new Set<string>();
  private readonly gotByHub = new Set<string>();
  private hubDuplicates = 0;
  private refusedSends = 0;
  // hub → client: `${client}:${seq}` → payload
  private readonly writtenByHub = new Map<string, string>();
  private readonly gotByClients = new Set<string>();
  private readonly gotByEngine = new Map<number, Set<number>>();
  private clientDuplicates = 0;

  /** A client engine queued `key` (`c<client>.<engine>.<n>`). */
  clientSent(key: string): void {
    this.sentByClients.add(key);
  }

  /** The hub acknowledged `key` to its sender. */
  clientAcked(key: string): void {
    this.ackedByHub.add(key);
  }

  /** The engine refused to queue `key`. */
  clientRefused(key: string): void {
    this.sentByClients.delete(key);
    this.refusedSends++;
  }

  /** The hub's handler got `key` from `clientId`. A payload that names another client is not counted as delivered. */
  hubGot(clientId: number, key: string): void {
    if (senderOf(key) !== clientId) return;
    if (this.gotByHub.has(key)) this.hubDuplicates++;
    else this.gotByHub.add(key);
  }

  /** The hub wrote application message `seq` to `clientId` (resends repeat it; the first one counts). */
  hubWrote(clientId: number, seq: number, text: string): void {
    const k = `${clientId}:${seq}`;
    if (!this.writtenByHub.has(k)) this.writtenByHub.set(k, text);
  }

  /** Engine `engine` of `clientId` handed message `seq` to the application. */
  clientGot(engine: number, clientId: number, seq: number, text: string): void {
    let seen = this.gotByEngine.get(engine);
    if (seen === undefined) this.gotByEngine.set(engine, (seen = new Set()));
    if (seen.has(seq)) {
      this.clientDuplicates++;
      return;
    }
    seen.add(seq);
    const k = `${clientId}:${seq}`;
    // A message whose payload is not the one the hub wrote under that seq was not delivered.
    if (this.writtenByHub.get(k) === text) this.gotByClients.add(k);
  }

  /** The books, given each client's acknowledged hub seq at the end (the hub's `outAcked`). */
  summary(outAckedOf: (clientId: number) => number): LedgerSummary {
    const samples: string[] = [];
    const sample = (what: string): void => void (samples.length < 10 && samples.push(what));
    let c2hLost = 0;
    for (const key of this.ackedByHub) {
      if (this.gotByHub.has(key)) continue;
      c2hLost++;
      sample(key);
    }
    let h2cAcked = 0;
    let h2cLost = 0;
    for (const k of this.writtenByHub.keys()) {
      const [client, seq] = k.split(':').map(Number) as [number, number];
      if (seq > outAckedOf(client)) continue;
      h2cAcked++;
      if (this.gotByClients.has(k)) continue;
      h2cLost++;
      sample(`${k} (${this.writtenByHub.get(k)})`);
    }
    const clientToHub: DirectionBooks = {
      sent: this.sentByClients.size,
      acknowledged: this.ackedByHub.size,
      delivered: this.gotByHub.size,
      lost: c2hLost,
      duplicates: this.hubDuplicates,
    };
    const hubToClient: DirectionBooks = {
      sent: this.writtenByHub.size,
      acknowledged: h2cAcked,
      delivered: this.gotByClients.size,
      lost: h2cLost,
      duplicates: this.clientDuplicates,
    };
    return {
      clientToHub,
      hubToClient,
      lost: c2hLost + h2cLost,
      duplicates: this.hubDuplicates + this.clientDuplicates,
      delivered: clientToHub.delivered + hubToClient.delivered,
      refused: this.refusedSends,
      lostSamples: samples,
    };
  }
}
