/**
 * Writes the client engine's state chart into docs/client.md, from the
 * machine itself (`clientMachine.root`: its states, initial states,
 * transitions, delayed and eventless transitions, invoked actors), so the
 * chart can never disagree with the code.
 *
 * What it writes, between the markers `<!-- client-chart:begin -->` and
 * `<!-- client-chart:end -->`:
 * - a Mermaid `stateDiagram-v2` of every transition that changes state,
 *   labelled `event [guard] / named actions`;
 * - a table of the events handled without a change of state;
 * - a table of what each state invokes, and the named implementations.
 *
 * Usage (from the repository root):
 *   npx tsx --conditions=@dialoghub/source scripts/gen-client-chart.ts           # rewrite the section
 *   npx tsx --conditions=@dialoghub/source scripts/gen-client-chart.ts --check   # exit 1 when stale
 * or `npm run chart -w @dialoghub/client [-- --check]`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { clientMachine } from '../packages/client/src/machine.js';

const TARGET = fileURLToPath(new URL('../docs/client.md', import.meta.url));
const DISPLAY = 'docs/client.md';
const BEGIN = '<!-- client-chart:begin -->';
const END = '<!-- client-chart:end -->';

/** Mermaid ids are global: every state key must be unique in the machine. */
function checkUniqueKeys(root: AnyStateNode): void {
  const seen = new Map<string, string>();
  const walk = (node: AnyStateNode): void => {
    for (const child of Object.values(node.states)) {
      const other = seen.get(child.key);
      if (other !== undefined) throw new Error(`state key "${child.key}" is used twice (${other}, ${child.id}): the chart needs unique keys`);
      seen.set(child.key, child.id);
      walk(child);
    }
  };
  walk(root);
}

function actionNames(t: AnyTransitionDefinition): string[] {
  const names: string[] = [];
  for (const a of t.actions as readonly unknown[]) {
    if (typeof a === 'string') names.push(a);
    else if (typeof a === 'object' && a !== null && typeof (a as { type?: unknown }).type === 'string') names.push((a as { type: string }).type);
  }
  return names;
}

/** A readable event name: `after backoff`, `connect done`, `always`, or the event type. */
function eventLabel(node: AnyStateNode, eventType: string): string {
  if (eventType === '') return 'always';
  const delayed = node.after.find((a) => a.eventType === eventType);
  if (delayed !== undefined) return `after ${String(delayed.delay)}`;
  const done = /^xstate\.done\.actor\.(.+)$/.exec(eventType);
  if (done !== null) return `${done[1]} done`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(eventType);
  if (error !== null) return `${error[1]} error`;
  return eventType;
}

function label(node: AnyStateNode, eventType: string, t: AnyTransitionDefinition): string {
  const guard = t.guard === undefined ? '' : ` [${typeof t.guard === 'string' ? t.guard : ((t.guard as { type?: string }).type ?? 'guard')}]`;
  const actions = actionNames(t);
  return `${eventLabel(node, eventType)}${guard}${actions.length > 0 ? ` / ${actions.join(', ')}` : ''}`;
}

/** Every transition of a node, with its event type ('' for eventless), in definition order. */
function transitionsOf(node: AnyStateNode): { eventType: string; t: AnyTransitionDefinition }[] {
  const out: { eventType: string; t: AnyTransitionDefinition }[] = [];
  for (const [eventType, ts] of node.transitions) for (const t of ts) out.push({ eventType, t });
  for (const t of node.always ?? []) out.push({ eventType: '', t });
  return out;
}

function children(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states);
}

/** Ancestors of `node` from itself up to the root. */
function lineage(node: AnyStateNode): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  for (let n: AnyStateNode | undefined = node; n !== undefined; n = n.parent) out.push(n);
  return out;
}

/**
 * Where a transition must be written: Mermaid places a state in the block
 * where it is first named, so an edge goes in the deepest block that contains
 * both ends' declarations (the common ancestor of their parents). An outer
 * state is then never named inside an inner block, which would create a copy
 * of it there (mermaid-js/mermaid#2092).
 */
function blockOf(source: AnyStateNode, target: AnyStateNode): AnyStateNode {
  const targetSide = new Set(lineage(target.parent ?? target));
  const common = lineage(source.parent ?? source).find((n) => targetSide.has(n));
  if (common === undefined) throw new Error(`no common ancestor for ${source.id} and ${target.id}`);
  return common;
}

function chart(root: AnyStateNode): string[] {
  const edges = new Map<AnyStateNode, string[]>();
  const collect = (node: AnyStateNode): void => {
    for (const child of children(node)) {
      for (const { eventType, t } of transitionsOf(child)) {
        for (const target of t.target ?? []) {
          const block = blockOf(child, target);
          const list = edges.get(block) ?? [];
          list.push(`${child.key} --> ${target.key}: ${label(child, eventType, t)}`);
          edges.set(block, list);
        }
      }
      collect(child);
    }
  };
  collect(root);
  const lines: string[] = ['```mermaid', 'stateDiagram-v2'];
  const block = (node: AnyStateNode, depth: number): void => {
    const pad = '    '.repeat(depth);
    if (node.initial !== undefined) {
      for (const target of node.initial.target) lines.push(`${pad}[*] --> ${target.key}`);
    }
    for (const child of children(node)) {
      if (children(child).length > 0) {
        lines.push(`${pad}state ${child.key} {`);
        block(child, depth + 1);
        lines.push(`${pad}}`);
      } else if (depth > 1) {
        // Declared where it belongs before any edge names it (Mermaid places a state where it first appears).
        lines.push(`${pad}${child.key}`);
      }
    }
    for (const edge of edges.get(node) ?? []) lines.push(`${pad}${edge}`);
  };
  block(root, 1);
  lines.push('```');
  return lines;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function tables(root: AnyStateNode): string[] {
  const targetless: string[] = [];
  const invoked: string[] = [];
  const entryExit: string[] = [];
  // Named actions only: the delayed transitions' own timers show up here as built-in functions.
  const names = (actions: readonly unknown[]): string =>
    actions
      .flatMap((a) => (typeof a === 'string' ? [a] : typeof a === 'object' && a !== null && typeof (a as { type?: unknown }).type === 'string' ? [(a as { type: string }).type] : []))
      .map((a) => `\`${a}\``)
      .join(', ');
  const visit = (node: AnyStateNode): void => {
    const name = node === root ? '(any state)' : `\`${node.key}\``;
    for (const { eventType, t } of transitionsOf(node)) {
      if (t.target === undefined || t.target.length === 0) {
        const guard = t.guard === undefined ? '' : typeof t.guard === 'string' ? t.guard : 'guard';
        targetless.push(row([name, `\`${eventLabel(node, eventType)}\``, guard === '' ? '' : `\`${guard}\``, actionNames(t).map((a) => `\`${a}\``).join(', ')]));
      }
    }
    for (const inv of node.invoke) invoked.push(row([name, `\`${String(inv.src)}\``, `\`${inv.id}\``]));
    if (names(node.entry) !== '' || names(node.exit) !== '') entryExit.push(row([name, names(node.entry), names(node.exit)]));
    for (const child of children(node)) visit(child);
  };
  visit(root);
  const impl = clientMachine.implementations;
  return [
    'Events handled without a change of state (a handler on a state also serves its descendants, unless one of them handles the event itself):',
    '',
    row(['state', 'event', 'guard', 'actions']),
    row(['---', '---', '---', '---']),
    ...targetless,
    '',
    'Entry and exit actions:',
    '',
    row(['state', 'entry', 'exit']),
    row(['---', '---', '---']),
    ...entryExit,
    '',
    'Invoked actors (started on entry, stopped on exit):',
    '',
    row(['state', 'actor', 'id']),
    row(['---', '---', '---']),
    ...invoked,
    '',
    'Named implementations (supplied or overridden with `machine.provide()`):',
    '',
    row(['kind', 'names']),
    row(['---', '---']),
    row(['actions', Object.keys(impl.actions).map((k) => `\`${k}\``).join(', ')]),
    row(['guards', Object.keys(impl.guards).map((k) => `\`${k}\``).join(', ')]),
    row(['delays', Object.keys(impl.delays).map((k) => `\`${k}\``).join(', ')]),
    row(['actors', Object.keys(impl.actors).map((k) => `\`${k}\``).join(', ')]),
  ];
}

function generate(): string {
  const root = clientMachine.root;
  checkUniqueKeys(root);
  return [
    BEGIN,
    '<!-- generated by scripts/gen-client-chart.ts from clientMachine — do not edit by hand -->',
    '',
    ...chart(root),
    '',
    ...tables(root),
    END,
  ].join('\n');
}

function main(): void {
  const check = process.argv.includes('--check');
  const current = readFileSync(TARGET, 'utf8');
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (begin < 0 || end < begin) {
    console.error(`${DISPLAY}: markers ${BEGIN} … ${END} not found`);
    process.exit(2);
  }
  const next = current.slice(0, begin) + generate() + current.slice(end + END.length);
  if (check) {
    if (next !== current) {
      console.error(`${DISPLAY} is stale: run \`npx tsx --conditions=@dialoghub/source scripts/gen-client-chart.ts\``);
      process.exit(1);
    }
    console.log(`${DISPLAY} is up to date`);
    return;
  }
  if (next === current) {
    console.log(`${DISPLAY} already up to date`);
    return;
  }
  writeFileSync(TARGET, next);
  console.log(`wrote ${DISPLAY}`);
}

main();
