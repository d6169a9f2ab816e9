/**
 * Theory of operation: the glue between the pure machine and the world. It
 * supplies, through `machine.provide()`, every implementation the machine
 * names and nothing else:
 *
 * - actor `connect`: `transport.connect()`; the link goes into a small table
 *   private to this engine, and only its key (a number) enters the machine.
 *   A link that opens after the machine stopped waiting is closed at once.
 * - actor `link`: takes the link out of the table, turns hub frames into
 *   events (`answerReceived`, `messagesReceived`, `closeReceived`) and the
 *   link's end into `closeReceived` (a reason) or `linkLost` (none), and
 *   sends what `transmit` hands it. Stopping it (leaving `attached`) closes
 *   the link. A failed send closes the link too: the engine then hears
 *   `linkLost`, reconnects and resends, so nothing is lost silently.
 * - actor `credentials`: the application's `getCredentials()`, on every
 *   attempt, normalised (a registration without an id gets a drawn one).
 * - actor `saveCredentials`: the application's `onRegistered(issued)`.
 * - action `transmit`: forwards frames to the `link` actor.
 * - delay `backoff`: full jitter, `random(0, min(cap, base·2^attempt))`, from
 *   the injected random source.
 *
 * No protocol decision lives here.
 */
import { CLOSE_REASON_RECONNECT } from '@dialoghub/core';
import { fromCallback, fromPromise, sendTo } from 'xstate';
import { backoffDelay } from './backoff.js';
import { normalizeCredentials, type AttemptCredentials, type Credentials, type IssuedCredentials } from './credentials.js';
import { ClientUsageError } from './errors.js';
import type { ClientFrame, ClientLink, ClientTransport } from './link.js';
import { clientMachine, type ClientMachine } from './machine.js';
import type { ClientContext, ClientEvent, LinkCommand } from './types.js';

/** What an engine needs from the application. */
export interface EngineBindings {
  /** Opens links to the hub. */
  readonly transport: ClientTransport;
  /** Called on every attempt: stored credentials, or a registration for first use. */
  readonly getCredentials: () => Promise<Credentials>;
  /**
   * Called with what a registration issued, before the engine goes online.
   * Store the secret and return it from the next `getCredentials()`. A
   * rejection stops the engine (`credentialsNotSaved`). Omitted, the secret
   * is dropped.
   */
  readonly onRegistered?: (issued: IssuedCredentials) => void | Promise<void>;
  /** A uniform draw in [0, 1): backoff jitter and drawn client ids. Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * Returns `machine` (by default the engine's `clientMachine`) with every named
 * effect implemented for one engine. Each call makes an independent engine:
 * run one actor per result.
 */
export function bindTransport(bindings: EngineBindings, machine: ClientMachine = clientMachine): ClientMachine {
  const { transport, getCredentials } = bindings;
  if (transport === null || typeof transport !== 'object' || typeof transport.connect !== 'function') {
    throw new ClientUsageError('invalidOption', 'transport must be an object with a connect() method');
  }
  if (typeof getCredentials !== 'function') throw new ClientUsageError('invalidOption', 'getCredentials must be a function');
  const random = bindings.random ?? Math.random;
  const onRegistered = bindings.onRegistered;
  const links = new Map<number, ClientLink>();
  let nextLinkId = 1;

  return machine.provide({
    actors: {
      connect: fromPromise<{ readonly linkId: number }, { readonly attempt: number }>(async ({ signal }) => {
        const link = await transport.connect();
        if (signal.aborted) {
          link.close();
          throw new Error('connected too late');
        }
        const linkId = nextLinkId++;
        links.set(linkId, link);
        return { linkId };
      }),
      link: fromCallback<LinkCommand, { readonly linkId: number | null }>(({ input, sendBack, receive }) => {
        const link = input.linkId === null ? undefined : links.get(input.linkId);
        if (input.linkId !== null) links.delete(input.linkId);
        if (link === undefined) {
          sendBack({ type: 'linkLost', cause: 'no link' } satisfies ClientEvent);
          return () => {};
        }
        let ended = false;
        const end = (event: ClientEvent): void => {
          if (ended) return;
          ended = true;
          sendBack(event);
        };
        const offFrame = link.onFrame((frame) => {
          if (ended) return;
          switch (frame.kind) {
            case 'answer':
              sendBack({ type: 'answerReceived', requestId: frame.requestId, answer: frame.answer } satisfies ClientEvent);
              break;
            case 'dialog':
              sendBack({ type: 'messagesReceived', messages: frame.messages } satisfies ClientEvent);
              break;
            case 'close':
              end({ type: 'closeReceived', reason: frame.reason, reconnect: frame.reconnect });
              break;
            default: {
              const never: never = frame;
              throw new TypeError(`unknown hub frame ${JSON.stringify(never)}`);
            }
          }
        });
        const offClose = link.onClose((reason, cause) => {
          end(reason === null ? { type: 'linkLost', cause } : { type: 'closeReceived', reason, reconnect: CLOSE_REASON_RECONNECT[reason] ?? false });
        });
        receive((command) => {
          for (const frame of command.frames) send(link, frame);
        });
        return () => {
          ended = true;
          offFrame();
          offClose();
          link.close();
        };
      }),
      credentials: fromPromise<AttemptCredentials, { readonly attempt: number; readonly environment: ClientContext['settings']['environment'] }>(
        async ({ input }) => normalizeCredentials(await getCredentials(), input.environment, random),
      ),
      saveCredentials: fromPromise<void, IssuedCredentials | null>(async ({ input }) => {
        if (input === null) throw new Error('no issued credentials');
        await onRegistered?.(input);
      }),
    },
    actions: {
      transmit: sendTo('link', (_, params: { readonly frames: readonly ClientFrame[] }): LinkCommand => ({ type: 'transmit', frames: params.frames })),
    },
    delays: {
      backoff: ({ context }) => backoffDelay(context.attempt, context.settings.backoffBaseMs, context.settings.backoffCapMs, random()),
    },
  });
}

function send(link: ClientLink, frame: ClientFrame): void {
  let sent: Promise<void>;
  try {
    sent = link.send(frame);
  } catch {
    link.close();
    return;
  }
  sent.catch(() => link.close());
}
