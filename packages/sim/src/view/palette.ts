/**
 * Theory of operation: the timeline's colours and marker shapes, shared by
 * the legend (drawn in the HTML) and the page's script (which draws the
 * lanes), so the two can never disagree. Colours are chosen to stay
 * distinguishable on a white background and for the common colour-vision
 * deficiencies where it matters most: status fills are light, markers dark.
 */
import type { CloseReason } from '@dialoghub/core';
import type { LaneStatus, MarkerKind } from './timeline-model.js';

export const STATUS_ORDER: readonly LaneStatus[] = ['unknown', 'enabled', 'disabled', 'banned', 'reset', 'deleted'];

export const STATUS_COLORS: Readonly<Record<LaneStatus, string>> = {
  unknown: '#e6e6e6',
  enabled: '#b7e4b0',
  disabled: '#c9ced6',
  banned: '#f4a6a6',
  reset: '#fbd38d',
  deleted: '#ffffff',
};

export const STATUS_TEXT: Readonly<Record<LaneStatus, string>> = {
  unknown: 'status unknown (the trace starts later)',
  enabled: 'enabled',
  disabled: 'disabled',
  banned: 'banned',
  reset: 'reset',
  deleted: 'deleted (lane ends)',
};

export const ONLINE_COLOR = '#1f3b73';
export const CRASH_COLOR = '#d00000';
export const LINK_COLOR = '#6a3d9a';

/** Shapes the page's script knows how to draw. */
export type MarkerShape = 'diamond' | 'down' | 'up' | 'cross' | 'square';

/** `shape` and `color` draw the marker, `title` starts its tooltip, `text` explains it in the legend. */
export const MARKER_STYLE: Readonly<Record<MarkerKind, { readonly shape: MarkerShape; readonly color: string; readonly title: string; readonly text: string }>> = {
  takeover: { shape: 'diamond', color: '#6a3d9a', title: 'takeover', text: 'takeover (colour: reason; a line links winner and loser)' },
  gap: { shape: 'down', color: '#e31a1c', title: 'loss (gap)', text: 'loss: messages dropped after a gap (the client resends)' },
  outboxFull: { shape: 'down', color: '#b15928', title: 'loss (outbox full)', text: 'loss: outbox full, a hub→client message dropped' },
  connectionLost: { shape: 'down', color: '#ff7f00', title: 'loss (connection closed)', text: 'loss: connectionClosed by the transport (with its cause)' },
  heartbeatTimeout: { shape: 'square', color: '#8c510a', title: 'loss (heartbeat timeout)', text: 'loss: heartbeat timeout (the hub gave up on the link)' },
  commandFailed: { shape: 'cross', color: '#e31a1c', title: 'loss (command failed)', text: 'loss: a command the shell could not carry out (commandFailed)' },
  resend: { shape: 'up', color: '#1f78b4', title: 'resend (hub→client)', text: 'resend: hub→client seqs at or below what was already written' },
  duplicate: { shape: 'up', color: '#33a0a0', title: 'resend (client→hub)', text: 'resend: client→hub duplicates dropped (the client resent)' },
  rejected: { shape: 'cross', color: '#555555', title: 'rejected request', text: 'request rejected (with its reason)' },
};

/**
 * A colour per close reason, for takeover markers. Partial on purpose: a
 * reason the core adds later is drawn in the takeover colour until it gets
 * its own, rather than breaking the viewer's build.
 */
export const REASON_COLORS: Readonly<Partial<Record<CloseReason, string>>> = {
  pushedOut: '#6a3d9a',
  replaced: '#e7298a',
  banned: '#a50026',
  disabled: '#4d4d4d',
  reset: '#d95f02',
  deleted: '#000000',
  kicked: '#7570b3',
  heartbeatTimeout: '#8c510a',
  alreadyOnline: '#1b9e77',
  refused: '#666666',
  closedByClient: '#1f78b4',
  notLoggedIn: '#999999',
  shutdown: '#333333',
};

export function reasonColor(reason: string): string {
  return (REASON_COLORS as Readonly<Record<string, string | undefined>>)[reason] ?? MARKER_STYLE.takeover.color;
}

/** SVG path of a marker shape centred on (x, y) with half-size r (the page's script has the same function). */
export function markerPath(shape: MarkerShape, x: number, y: number, r: number): string {
  switch (shape) {
    case 'diamond':
      return `M${x},${y - r}L${x + r},${y}L${x},${y + r}L${x - r},${y}Z`;
    case 'down':
      return `M${x - r},${y - r}L${x + r},${y - r}L${x},${y + r}Z`;
    case 'up':
      return `M${x - r},${y + r}L${x + r},${y + r}L${x},${y - r}Z`;
    case 'square':
      return `M${x - r},${y - r}h${2 * r}v${2 * r}h${-2 * r}Z`;
    case 'cross':
      return `M${x - r},${y - r}L${x + r},${y + r}M${x + r},${y - r}L${x - r},${y + r}`;
    default: {
      const never: never = shape;
      return never;
    }
  }
}
