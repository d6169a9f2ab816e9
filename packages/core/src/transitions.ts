/**
 * Theory of operation: every client status change the core may make, as a
 * literal table. `Tx.setStatus` refuses (throws `invariantBroken`) any change
 * that is not listed here, so this table is the truth, and the state diagram
 * in docs/status-diagram.md is generated from it (scripts/gen-state-diagram.ts).
 */
import type { ClientStatus } from './model.js';

export type StatusTrigger =
  /** A registration is granted: the new client starts enabled. */
  | 'register'
  /** A disabled client's resume (or login) is granted. */
  | 'resume'
  /** Another client of the profile registered or resumed and took the profile (replaceOld / disableOld). */
  | 'displaced'
  /** An older client of the profile resumed (seniority): the newer one is banned. */
  | 'outranked'
  /** The operator set this status. */
  | 'operator'
  /** The operator enabled another client of the profile. */
  | 'operatorEnabledOther'
  /** The operator deleted a reset client. */
  | 'delete';

export type StatusNode = ClientStatus | 'unregistered' | 'deleted';

export interface StatusTransition {
  readonly from: StatusNode;
  readonly to: StatusNode;
  readonly trigger: StatusTrigger;
}

export const STATUS_TRANSITIONS: readonly StatusTransition[] = [
  { from: 'unregistered', to: 'enabled', trigger: 'register' },
  { from: 'disabled', to: 'enabled', trigger: 'resume' },
  { from: 'enabled', to: 'disabled', trigger: 'displaced' },
  { from: 'enabled', to: 'banned', trigger: 'outranked' },
  { from: 'enabled', to: 'disabled', trigger: 'operatorEnabledOther' },
  { from: 'disabled', to: 'enabled', trigger: 'operator' },
  { from: 'banned', to: 'enabled', trigger: 'operator' },
  { from: 'reset', to: 'enabled', trigger: 'operator' },
  { from: 'enabled', to: 'disabled', trigger: 'operator' },
  { from: 'banned', to: 'disabled', trigger: 'operator' },
  { from: 'reset', to: 'disabled', trigger: 'operator' },
  { from: 'enabled', to: 'banned', trigger: 'operator' },
  { from: 'disabled', to: 'banned', trigger: 'operator' },
  { from: 'reset', to: 'banned', trigger: 'operator' },
  { from: 'enabled', to: 'reset', trigger: 'operator' },
  { from: 'disabled', to: 'reset', trigger: 'operator' },
  { from: 'banned', to: 'reset', trigger: 'operator' },
  { from: 'reset', to: 'deleted', trigger: 'delete' },
];

const ALLOWED = new Set(STATUS_TRANSITIONS.map((t) => `${t.from}>${t.to}>${t.trigger}`));

export function isAllowedTransition(from: StatusNode, to: StatusNode, trigger: StatusTrigger): boolean {
  return ALLOWED.has(`${from}>${to}>${trigger}`);
}
